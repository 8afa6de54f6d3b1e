// Validating a JSON value without building it: the RPC layer checks `params` / `result` fully
// (structure, escapes, UTF-8, depth) when a message arrives, and decodes them later, once.

extension JSONParser.Cursor {
  mutating func skipValue(depth: Int) throws(JSONParseError) {
    switch try peek() {
    case UInt8(ascii: "{"):
      guard depth + 1 <= maxDepth else { throw fail(.tooDeep(limit: maxDepth)) }
      position += 1
      skipWhitespace()
      if try peek() == UInt8(ascii: "}") {
        position += 1
        return
      }
      while true {
        skipWhitespace()
        guard try peek() == UInt8(ascii: "\"") else { throw fail(.unexpectedByte(buffer[position])) }
        try skipString()
        skipWhitespace()
        guard try peek() == UInt8(ascii: ":") else { throw fail(.unexpectedByte(buffer[position])) }
        position += 1
        skipWhitespace()
        try skipMember(depth: depth + 1)
        skipWhitespace()
        switch try peek() {
        case UInt8(ascii: ","): position += 1
        case UInt8(ascii: "}"):
          position += 1
          return
        case let other: throw fail(.unexpectedByte(other))
        }
      }
    case UInt8(ascii: "["):
      guard depth + 1 <= maxDepth else { throw fail(.tooDeep(limit: maxDepth)) }
      position += 1
      skipWhitespace()
      if try peek() == UInt8(ascii: "]") {
        position += 1
        return
      }
      while true {
        skipWhitespace()
        try skipMember(depth: depth + 1)
        skipWhitespace()
        switch try peek() {
        case UInt8(ascii: ","): position += 1
        case UInt8(ascii: "]"):
          position += 1
          return
        case let other: throw fail(.unexpectedByte(other))
        }
      }
    case UInt8(ascii: "\""):
      try skipString()
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      try skipNumber()
    default:
      _ = try parseValue(depth: depth)
    }
  }

  /// A member's or element's value: strings (most of a monitor dump's values: UUIDs, names, the
  /// tags of `["uuid", …]`) are checked in place, without a recursive call and its dispatch.
  @inline(__always)
  mutating func skipMember(depth: Int) throws(JSONParseError) {
    if position < buffer.count, buffer[position] == UInt8(ascii: "\"") {
      try skipString()
    } else {
      try skipValue(depth: depth)
    }
  }

  /// Checks a number and moves past it. Integers of up to 18 digits (every OVSDB tag, count and
  /// index) cannot be out of range, so only the rest go through the full number parser, which
  /// refuses what Open vSwitch refuses.
  mutating func skipNumber() throws(JSONParseError) {
    var i = position
    if buffer[i] == UInt8(ascii: "-") { i += 1 }
    let digitsStart = i
    while i < buffer.count, buffer[i] &- UInt8(ascii: "0") < 10 { i += 1 }
    let digits = i - digitsStart
    if digits >= 1, digits <= 18, digits == 1 || buffer[digitsStart] != UInt8(ascii: "0"),
      i == buffer.count || (buffer[i] != UInt8(ascii: ".") && buffer[i] | 0x20 != UInt8(ascii: "e"))
    {
      position = i
      return
    }
    _ = try parseNumber()
  }

  /// Checks a string (escapes, control characters, UTF-8) and moves past it. ASCII runs are
  /// crossed eight bytes at a time; escapes and multi-byte sequences are checked one by one.
  mutating func skipString() throws(JSONParseError) {
    position += 1
    while true {
      position = JSONStringScan.endOfASCIIRun(in: buffer, from: position)
      guard position < buffer.count else { throw fail(.unexpectedEnd) }
      switch buffer[position] {
      case UInt8(ascii: "\""):
        position += 1
        return
      case UInt8(ascii: "\\"):
        position += 1
        guard position < buffer.count else { throw fail(.unexpectedEnd) }
        let escaped = buffer[position]
        position += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
          UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
          continue
        case UInt8(ascii: "u"):
          _ = try unicodeEscape()
        default:
          position -= 1
          throw fail(.invalidEscape)
        }
      case 0x80...:
        try skipUTF8Sequence()
      default:
        throw fail(.controlCharacterInString)
      }
    }
  }

  /// One multi-byte UTF-8 sequence, rejecting overlong forms, surrogates and code points past U+10FFFF.
  mutating func skipUTF8Sequence() throws(JSONParseError) {
    let lead = buffer[position]
    let length: Int
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF
    switch lead {
    case 0xC2...0xDF: length = 2
    case 0xE0:
      length = 3
      low = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED:
      length = 3
      high = 0x9F
    case 0xF0:
      length = 4
      low = 0x90
    case 0xF1...0xF3: length = 4
    case 0xF4:
      length = 4
      high = 0x8F
    default: throw fail(.invalidUTF8)
    }
    guard position + length <= buffer.count else { throw fail(.invalidUTF8) }
    let second = buffer[position + 1]
    guard second >= low && second <= high else { throw fail(.invalidUTF8) }
    for i in 2..<length where buffer[position + i] & 0xC0 != 0x80 { throw fail(.invalidUTF8) }
    position += length
  }
}
