/// Serializes JSON straight into UTF-8 bytes. Requests are written with this, never with
/// Foundation's JSONSerialization, which is several times slower for OVSDB-sized messages.
public struct JSONWriter: Sendable {
  public private(set) var bytes: [UInt8] = []

  public init(reservingCapacity capacity: Int = 256) {
    bytes.reserveCapacity(capacity)
  }

  public var string: String { String(decoding: bytes, as: UTF8.self) }

  public mutating func write(_ value: JSON) {
    switch value {
    case .null: writeRaw("null")
    case .bool(let b): writeRaw(b ? "true" : "false")
    case .int(let i): writeInteger(i)
    case .double(let d): writeDouble(d)
    case .string(let s): writeString(s)
    case .array(let elements):
      bytes.append(UInt8(ascii: "["))
      for (i, element) in elements.enumerated() {
        if i > 0 { bytes.append(UInt8(ascii: ",")) }
        write(element)
      }
      bytes.append(UInt8(ascii: "]"))
    case .object(let members):
      bytes.append(UInt8(ascii: "{"))
      for (i, key) in members.keys.sorted().enumerated() {
        if i > 0 { bytes.append(UInt8(ascii: ",")) }
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        // The key came from `members`, so the lookup cannot miss.
        write(members[key] ?? .null)
      }
      bytes.append(UInt8(ascii: "}"))
    }
  }

  public mutating func appendBytes(_ raw: UnsafeBufferPointer<UInt8>) {
    bytes.append(contentsOf: raw)
  }

  /// Appends bytes that are already valid JSON (a pre-encoded fragment).
  public mutating func writeJSONFragment(_ fragment: [UInt8]) {
    bytes.append(contentsOf: fragment)
  }

  public mutating func writeRaw(_ text: StaticString) {
    text.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  public mutating func writeInteger(_ value: Int64) {
    if value == 0 {
      bytes.append(UInt8(ascii: "0"))
      return
    }
    // Digits are produced backwards into a small stack buffer; magnitude avoids Int64.min overflow.
    var magnitude = value.magnitude
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buffer in
      while magnitude > 0 {
        buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
        count += 1
      }
      if value < 0 { bytes.append(UInt8(ascii: "-")) }
      var i = count - 1
      while i >= 0 {
        bytes.append(buffer[i])
        i -= 1
      }
    }
  }

  public mutating func writeDouble(_ value: Double) {
    guard value.isFinite else {
      // JSON has no NaN or infinity; OVSDB reals never need them.
      writeRaw("null")
      return
    }
    if value == value.rounded(.towardZero), abs(value) < 0x1p63 {
      // Keep a fractional part so the server reads a real, not an integer. Every whole double
      // within 64 bits is written in full: shortest form (-9.223372036854776e+17) reads back as
      // a different integer (-922337203685477600, not ...632), in OVS as here (found by fuzzing).
      writeInteger(Int64(value))
      writeRaw(".0")
    } else {
      bytes.append(contentsOf: "\(value)".utf8)
    }
  }

  public mutating func writeString(_ value: String) {
    bytes.append(UInt8(ascii: "\""))
    var contiguous = value
    contiguous.withUTF8 { appendEscaped($0) }
    bytes.append(UInt8(ascii: "\""))
  }

  private mutating func appendEscaped(_ source: UnsafeBufferPointer<UInt8>) {
    var runStart = 0
    for i in 0..<source.count {
      let byte = source[i]
      guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
      if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<i])) }
      runStart = i + 1
      bytes.append(UInt8(ascii: "\\"))
      switch byte {
      case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
      case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
      case 0x0A: bytes.append(UInt8(ascii: "n"))
      case 0x0D: bytes.append(UInt8(ascii: "r"))
      case 0x09: bytes.append(UInt8(ascii: "t"))
      case 0x08: bytes.append(UInt8(ascii: "b"))
      case 0x0C: bytes.append(UInt8(ascii: "f"))
      default:
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
        bytes.append(hex[Int(byte >> 4)])
        bytes.append(hex[Int(byte & 0xF)])
      }
    }
    if runStart < source.count {
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<source.count]))
    }
  }
}
