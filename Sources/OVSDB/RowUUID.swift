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
    guard offset >= 0, offset + 36 <= bytes.count else { return nil }
    guard bytes[offset + 8] == UInt8(ascii: "-"), bytes[offset + 13] == UInt8(ascii: "-"),
      bytes[offset + 18] == UInt8(ascii: "-"), bytes[offset + 23] == UInt8(ascii: "-")
    else { return nil }
    func load64(_ at: Int) -> UInt64 {
      UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + at, as: UInt64.self))
    }
    func load32(_ at: Int) -> UInt64 {
      UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + at, as: UInt32.self)))
    }
    // 8-4-4-4-12 as four 8-digit words.
    let a = Self.hex8(load64(0))
    let b = Self.hex8(load32(9) | load32(14) << 32)
    let c = Self.hex8(load32(19) | load32(24) << 32)
    let d = Self.hex8(load64(28))
    guard a.valid && b.valid && c.valid && d.valid else { return nil }
    self.init(high: a.value << 32 | b.value, low: c.value << 32 | d.value)
  }

  /// Eight ASCII hex digits (first digit in the lowest byte) to their 32-bit value, all lanes at
  /// once; `valid` is false if any byte is not [0-9a-fA-F]. This runs for every UUID of a dump.
  @inline(__always)
  static func hex8(_ word: UInt64) -> (value: UInt64, valid: Bool) {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let isLetter = (word >> 6) & ones
    let nibbles = (word & (ones * 0x0F)) &+ isLetter &* 9
    // Re-encode and compare with the lower-cased input: only real hex digits survive the round trip.
    let aboveNine = ((nibbles &+ ones &* 6) >> 4) & ones
    let expected = nibbles &+ ones &* 0x30 &+ aboveNine &* 0x27
    // Nibbles of 16 and up ('g'-'o', 'G'-'O') would round-trip too, so they are ruled out first.
    let valid = nibbles & (ones &* 0xF0) == 0 && expected == word | isLetter &* 0x20
    // Pack: byte pairs, then 16-bit pairs, then the two halves; first digit most significant.
    let pairs = ((nibbles & 0x000F_000F_000F_000F) << 4) | ((nibbles >> 8) & 0x000F_000F_000F_000F)
    let quads = ((pairs & 0x0000_00FF_0000_00FF) << 8) | ((pairs >> 16) & 0x0000_00FF_0000_00FF)
    let value = ((quads & 0xFFFF) << 16) | ((quads >> 32) & 0xFFFF)
    return (value, valid)
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
