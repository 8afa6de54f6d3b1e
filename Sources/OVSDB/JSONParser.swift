/// Why a byte sequence is not acceptable JSON; `offset` is the byte where parsing stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Reason: Sendable, Equatable {
    case unexpectedEnd
    case unexpectedByte(UInt8)
    case invalidNumber
    /// Beyond the range of a double (`1e400`): refused as Open vSwitch refuses it, never infinity.
    case numberOutOfRange
    /// An exponent beyond 32 bits (`1e9999999999`), which Open vSwitch refuses whatever the value.
    case exponentOutOfRange
    case invalidEscape
    case invalidUnicodeEscape
    case loneSurrogate
    case controlCharacterInString
    case invalidUTF8
    case tooDeep(limit: Int)
    case trailingData
  }

  public var reason: Reason
  public var offset: Int

  public var description: String {
    let what: String
    switch reason {
    case .unexpectedEnd: what = "unexpected end of input"
    case .unexpectedByte(let b): what = "unexpected byte 0x\(String(b, radix: 16))"
    case .invalidNumber: what = "invalid number"
    case .numberOutOfRange: what = "number outside the range of a double"
    case .exponentOutOfRange: what = "number with an exponent outside the 32-bit range"
    case .invalidEscape: what = "invalid escape sequence in string"
    case .invalidUnicodeEscape: what = "invalid \\u escape in string"
    case .loneSurrogate: what = "unpaired UTF-16 surrogate in \\u escape"
    case .controlCharacterInString: what = "unescaped control character in string"
    case .invalidUTF8: what = "invalid UTF-8 in string"
    case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
    case .trailingData: what = "data after the JSON value"
    }
    return "invalid JSON at byte \(offset): \(what)"
  }
}

/// A strict RFC 8259 parser working directly on UTF-8 bytes. Numbers follow Open vSwitch's own
/// parser (see `JSONNumber`): what OVS refuses, such as `1e400`, is refused here too.
public struct JSONParser {
  /// OVSDB values nest a handful of levels; the limit only protects the stack from hostile input.
  public static let defaultMaxDepth = 128

  /// Parses exactly one JSON value (surrounding whitespace allowed).
  public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth) throws(JSONParseError)
    -> JSON
  {
    let result: Result<JSON, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
      parseResult(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth)
    }
    if let result { return try result.get() }
    let copy = Array(bytes)
    return try copy.withUnsafeBytes { parseResult($0, maxDepth: maxDepth) }.get()
  }

  public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSON {
    try parse(Array(text.utf8), maxDepth: maxDepth)
  }

  static func parseResult(_ buffer: UnsafeRawBufferPointer, maxDepth: Int) -> Result<JSON, JSONParseError> {
    var parser = Cursor(buffer: buffer, maxDepth: maxDepth)
    do throws(JSONParseError) {
      parser.skipWhitespace()
      let value = try parser.parseValue(depth: 0)
      parser.skipWhitespace()
      guard parser.position == buffer.count else {
        throw JSONParseError(reason: .trailingData, offset: parser.position)
      }
      return .success(value)
    } catch {
      return .failure(error)
    }
  }

  struct Cursor {
    let buffer: UnsafeRawBufferPointer
    let maxDepth: Int
    var position = 0

    init(buffer: UnsafeRawBufferPointer, maxDepth: Int) {
      self.buffer = buffer
      self.maxDepth = maxDepth
    }

    func fail(_ reason: JSONParseError.Reason) -> JSONParseError {
      JSONParseError(reason: reason, offset: position)
    }

    /// Inlined: it runs between every two tokens, and ovsdb-server sends no whitespace, so the
    /// first comparison nearly always ends it.
    @inline(__always)
    mutating func skipWhitespace() {
      while position < buffer.count {
        let byte = buffer[position]
        guard byte <= 0x20, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
        position += 1
      }
    }

    @inline(__always)
    mutating func peek() throws(JSONParseError) -> UInt8 {
      guard position < buffer.count else { throw fail(.unexpectedEnd) }
      return buffer[position]
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSON {
      switch try peek() {
      case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
      case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
      case UInt8(ascii: "\""): return .string(try parseString())
      case UInt8(ascii: "t"):
        try expectLiteral("true")
        return .bool(true)
      case UInt8(ascii: "f"):
        try expectLiteral("false")
        return .bool(false)
      case UInt8(ascii: "n"):
        try expectLiteral("null")
        return .null
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return try parseNumber()
      case let other:
        throw fail(.unexpectedByte(other))
      }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
      let count = literal.utf8CodeUnitCount
      guard position + count <= buffer.count else {
        position = buffer.count
        throw fail(.unexpectedEnd)
      }
      let start = literal.utf8Start
      for i in 0..<count where buffer[position + i] != start[i] {
        position += i
        throw fail(.unexpectedByte(buffer[position]))
      }
      position += count
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSON {
      guard depth <= maxDepth else { throw fail(.tooDeep(limit: maxDepth)) }
      position += 1
      var members: [String: JSON] = [:]
      skipWhitespace()
      if try peek() == UInt8(ascii: "}") {
        position += 1
        return .object(members)
      }
      while true {
        skipWhitespace()
        guard try peek() == UInt8(ascii: "\"") else { throw fail(.unexpectedByte(buffer[position])) }
        let key = try parseString()
        skipWhitespace()
        guard try peek() == UInt8(ascii: ":") else { throw fail(.unexpectedByte(buffer[position])) }
        position += 1
        skipWhitespace()
        members[key] = try parseValue(depth: depth)
        skipWhitespace()
        switch try peek() {
        case UInt8(ascii: ","): position += 1
        case UInt8(ascii: "}"):
          position += 1
          return .object(members)
        case let other: throw fail(.unexpectedByte(other))
        }
      }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSON {
      guard depth <= maxDepth else { throw fail(.tooDeep(limit: maxDepth)) }
      position += 1
      var elements: [JSON] = []
      skipWhitespace()
      if try peek() == UInt8(ascii: "]") {
        position += 1
        return .array(elements)
      }
      while true {
        skipWhitespace()
        elements.append(try parseValue(depth: depth))
        skipWhitespace()
        switch try peek() {
        case UInt8(ascii: ","): position += 1
        case UInt8(ascii: "]"):
          position += 1
          return .array(elements)
        case let other: throw fail(.unexpectedByte(other))
        }
      }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSON {
      let start = position
      var isInteger = true
      if buffer[position] == UInt8(ascii: "-") { position += 1 }
      guard position < buffer.count else { throw fail(.unexpectedEnd) }
      // RFC 8259: no leading zeros, at least one digit before and after '.', digits after 'e'.
      if buffer[position] == UInt8(ascii: "0") {
        position += 1
      } else if isDigit(buffer[position]) {
        while position < buffer.count, isDigit(buffer[position]) { position += 1 }
      } else {
        throw fail(.invalidNumber)
      }
      if position < buffer.count, buffer[position] == UInt8(ascii: ".") {
        isInteger = false
        position += 1
        guard position < buffer.count, isDigit(buffer[position]) else { throw fail(.invalidNumber) }
        while position < buffer.count, isDigit(buffer[position]) { position += 1 }
      }
      if position < buffer.count, buffer[position] | 0x20 == UInt8(ascii: "e") {
        isInteger = false
        position += 1
        if position < buffer.count, buffer[position] == UInt8(ascii: "+") || buffer[position] == UInt8(ascii: "-") {
          position += 1
        }
        guard position < buffer.count, isDigit(buffer[position]) else { throw fail(.invalidNumber) }
        while position < buffer.count, isDigit(buffer[position]) { position += 1 }
      }
      let digits = UnsafeRawBufferPointer(rebasing: buffer[start..<position])
      // The common case, a plain integer, needs no more than this.
      if isInteger, let value = Self.int64(digits) { return .int(value) }
      do {
        return try JSONNumber.value(of: digits)
      } catch {
        position = start
        switch error {
        case .outOfRange: throw fail(.numberOutOfRange)
        case .exponentOutOfRange: throw fail(.exponentOutOfRange)
        }
      }
    }

    static func int64(_ digits: UnsafeRawBufferPointer) -> Int64? {
      var negative = false
      var index = 0
      if digits[0] == UInt8(ascii: "-") {
        negative = true
        index = 1
      }
      var magnitude: UInt64 = 0
      while index < digits.count {
        let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
        let (m2, o2) = m1.addingReportingOverflow(UInt64(digits[index] &- UInt8(ascii: "0")))
        if o1 || o2 { return nil }
        magnitude = m2
        index += 1
      }
      if negative {
        if magnitude <= UInt64(Int64.max) { return -Int64(magnitude) }
        return magnitude == UInt64(Int64.max) + 1 ? Int64.min : nil
      }
      return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    mutating func parseString() throws(JSONParseError) -> String {
      position += 1
      let start = position
      // Fast path: no escapes, so the bytes between the quotes are the string; pure ASCII (names,
      // UUIDs, keys: nearly everything OVSDB sends) needs no UTF-8 validation at all.
      var nonASCII = false
      position = JSONStringScan.endOfPlainRun(in: buffer, from: start, nonASCII: &nonASCII)
      guard position < buffer.count else { throw fail(.unexpectedEnd) }
      let stop = buffer[position]
      if stop == UInt8(ascii: "\"") {
        let raw = UnsafeRawBufferPointer(rebasing: buffer[start..<position])
        position += 1
        if !nonASCII {
          return String(unsafeUninitializedCapacity: raw.count) { target in
            _ = target.initialize(from: raw)
            return raw.count
          }
        }
        guard let s = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else {
          position = start
          throw fail(.invalidUTF8)
        }
        return s
      }
      if stop < 0x20 { throw fail(.controlCharacterInString) }
      var decoded: [UInt8] = Array(UnsafeRawBufferPointer(rebasing: buffer[start..<position]))
      while position < buffer.count {
        let byte = buffer[position]
        switch byte {
        case UInt8(ascii: "\""):
          guard let s = String(validating: decoded, as: UTF8.self) else {
            position = start
            throw fail(.invalidUTF8)
          }
          position += 1
          return s
        case UInt8(ascii: "\\"):
          position += 1
          guard position < buffer.count else { throw fail(.unexpectedEnd) }
          let escaped = buffer[position]
          position += 1
          switch escaped {
          case UInt8(ascii: "\""): decoded.append(UInt8(ascii: "\""))
          case UInt8(ascii: "\\"): decoded.append(UInt8(ascii: "\\"))
          case UInt8(ascii: "/"): decoded.append(UInt8(ascii: "/"))
          case UInt8(ascii: "b"): decoded.append(0x08)
          case UInt8(ascii: "f"): decoded.append(0x0C)
          case UInt8(ascii: "n"): decoded.append(0x0A)
          case UInt8(ascii: "r"): decoded.append(0x0D)
          case UInt8(ascii: "t"): decoded.append(0x09)
          case UInt8(ascii: "u"): try appendUnicodeEscape(into: &decoded)
          default:
            position -= 1
            throw fail(.invalidEscape)
          }
        default:
          if byte < 0x20 { throw fail(.controlCharacterInString) }
          decoded.append(byte)
          position += 1
        }
      }
      throw fail(.unexpectedEnd)
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
      guard position + 4 <= buffer.count else {
        position = buffer.count
        throw fail(.unexpectedEnd)
      }
      var value: UInt32 = 0
      for _ in 0..<4 {
        let b = buffer[position]
        let digit: UInt8
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
        default: throw fail(.invalidUnicodeEscape)
        }
        value = value << 4 | UInt32(digit)
        position += 1
      }
      return value
    }

    mutating func appendUnicodeEscape(into decoded: inout [UInt8]) throws(JSONParseError) {
      decoded.append(contentsOf: String(Character(try unicodeEscape())).utf8)
    }

    /// The scalar of a `\u` escape (the cursor after the `u`), surrogate pairs joined.
    mutating func unicodeEscape() throws(JSONParseError) -> Unicode.Scalar {
      var scalar = try hex4()
      if (0xD800...0xDBFF).contains(scalar) {
        guard position + 1 < buffer.count, buffer[position] == UInt8(ascii: "\\"),
          buffer[position + 1] == UInt8(ascii: "u")
        else { throw fail(.loneSurrogate) }
        position += 2
        let low = try hex4()
        guard (0xDC00...0xDFFF).contains(low) else { throw fail(.loneSurrogate) }
        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
      } else if (0xDC00...0xDFFF).contains(scalar) {
        throw fail(.loneSurrogate)
      }
      guard let unicode = Unicode.Scalar(scalar) else { throw fail(.invalidUnicodeEscape) }
      return unicode
    }
  }
}
