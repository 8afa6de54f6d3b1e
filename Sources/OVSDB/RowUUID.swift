/// An OVSDB row UUID (RFC 7047 §5.1 `<uuid>`), stored as 128 bits so that decoding, hashing and
/// comparing the thousands of them in a monitor dump costs no allocation.
public struct RowUUID: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var high: UInt64
  public var low: UInt64

  public init(high: UInt64, low: UInt64) {
    self.high = high
    self.low = low
  }

  /// Parses the canonical 8-4-4-4-12 hex form (either case); nil for anything else.
  public init?(_ text: String) {
    var text = text
    guard let parsed = text.withUTF8({ RowUUID(utf8: $0) }) else { return nil }
    self = parsed
  }

  init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
    guard bytes.count == 36 else { return nil }
    self.init(ascii: UnsafeRawBufferPointer(bytes), at: 0)
  }

  /// Parses 36 bytes at `offset` of `bytes` (the caller checked they exist). This runs for every
  /// UUID of a monitor dump, so it is a straight-line loop over the fixed layout.
  init?(ascii bytes: UnsafeRawBufferPointer, at offset: Int) {
    guard bytes[offset + 8] == UInt8(ascii: "-"), bytes[offset + 13] == UInt8(ascii: "-"),
      bytes[offset + 18] == UInt8(ascii: "-"), bytes[offset + 23] == UInt8(ascii: "-")
    else { return nil }
    var words: (UInt64, UInt64) = (0, 0)
    var valid: UInt8 = 0
    var i = offset
    let end = offset + 36
    var nibble = 0
    while i < end {
      let byte = bytes[i]
      i += 1
      if byte == UInt8(ascii: "-") { continue }
      let digit = byte &- UInt8(ascii: "0")
      let letter = (byte | 0x20) &- UInt8(ascii: "a")
      let value: UInt8 = digit < 10 ? digit : letter &+ 10
      valid |= (digit < 10 || letter < 6) ? 0 : 1
      if nibble < 16 {
        words.0 = words.0 << 4 | UInt64(value & 0xF)
      } else {
        words.1 = words.1 << 4 | UInt64(value & 0xF)
      }
      nibble += 1
    }
    guard valid == 0, nibble == 32 else { return nil }
    self.init(high: words.0, low: words.1)
  }

  /// A random (version 4) UUID, for rows whose UUID the client chooses (`uuid` in insert).
  public static func random() -> RowUUID {
    var generator = SystemRandomNumberGenerator()
    let high = (generator.next() & ~0xF000) | 0x4000
    let low = (generator.next() & ~(0xC000 << 48)) | (0x8000 << 48)
    return RowUUID(high: high, low: low)
  }

  public var description: String {
    let hex: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(36)
    for i in 0..<32 {
      if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
      let word = i < 16 ? high : low
      let shift = UInt64(60 - (i % 16) * 4)
      out.append(hex[Int((word >> shift) & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  public static func < (a: RowUUID, b: RowUUID) -> Bool {
    a.high != b.high ? a.high < b.high : a.low < b.low
  }
}
