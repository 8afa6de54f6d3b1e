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
    var high: UInt64 = 0
    var low: UInt64 = 0
    var nibbles = 0
    for (i, byte) in bytes.enumerated() {
      if i == 8 || i == 13 || i == 18 || i == 23 {
        guard byte == UInt8(ascii: "-") else { return nil }
        continue
      }
      let value: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): value = byte - UInt8(ascii: "A") + 10
      default: return nil
      }
      if nibbles < 16 {
        high = high << 4 | UInt64(value)
      } else {
        low = low << 4 | UInt64(value)
      }
      nibbles += 1
    }
    self.init(high: high, low: low)
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
