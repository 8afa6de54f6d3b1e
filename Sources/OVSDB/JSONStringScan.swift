/// Finds the end of a JSON string's plain run eight bytes at a time (SWAR: one 64-bit word holds
/// eight byte lanes). Most of a monitor dump's bytes are inside strings (UUIDs, names), and a
/// byte-at-a-time loop there was the largest single cost of receiving one (callgrind).
///
/// The lane tests are the classic "has a zero byte" arithmetic: each flags bit 7 of a lane that
/// matches. A borrow can only flag a lane *above* a real match, so the lowest flagged lane is
/// always exact, and that is the only one ever used.
enum JSONStringScan {
  static let ones: UInt64 = 0x0101_0101_0101_0101
  static let highs: UInt64 = 0x8080_8080_8080_8080

  /// Bit 7 of each lane that is `"` or `\`.
  @inline(__always)
  static func quoteOrBackslashLanes(_ word: UInt64) -> UInt64 {
    let quote = word ^ (ones &* 0x22)
    let backslash = word ^ (ones &* 0x5C)
    return (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & highs
  }

  /// Bit 7 of each lane that ends a plain run inside a string: `"`, `\` or a control byte (< 0x20).
  @inline(__always)
  static func stopLanes(_ word: UInt64) -> UInt64 {
    let control = (word &- ones &* 0x20) & ~word & highs
    return quoteOrBackslashLanes(word) | control
  }

  /// The first byte at or after `from` that is `"`, `\` or a control byte, or `buffer.count` if
  /// there is none; `nonASCII` is set when a byte ≥ 0x80 was passed on the way (the caller then
  /// validates that run's UTF-8). Reads whole words only while eight bytes remain, so it never
  /// reads outside `buffer`.
  @inline(__always)
  static func endOfPlainRun(in buffer: UnsafeRawBufferPointer, from: Int, nonASCII: inout Bool) -> Int {
    var i = from
    var high: UInt64 = 0
    let count = buffer.count
    while i &+ 8 <= count {
      let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: i, as: UInt64.self))
      let stops = stopLanes(word)
      if stops != 0 {
        // High bits of the lanes below the first stop only.
        high |= word & highs & ((stops & (0 &- stops)) &- 1)
        if high != 0 { nonASCII = true }
        return i &+ stops.trailingZeroBitCount &>> 3
      }
      high |= word & highs
      i &+= 8
    }
    if high != 0 { nonASCII = true }
    while i < count {
      let byte = buffer[i]
      if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return i }
      if byte >= 0x80 { nonASCII = true }
      i &+= 1
    }
    return i
  }

  /// The first byte at or after `from` that is `"`, `\`, a control byte or ≥ 0x80, or
  /// `buffer.count`: one mask per word, for callers that handle non-ASCII bytes one sequence at a
  /// time (validation) or not at all (keys).
  @inline(__always)
  static func endOfASCIIRun(in buffer: UnsafeRawBufferPointer, from: Int) -> Int {
    var i = from
    let count = buffer.count
    while i &+ 8 <= count {
      let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: i, as: UInt64.self))
      let stops = stopLanes(word) | (word & highs)
      if stops != 0 { return i &+ stops.trailingZeroBitCount &>> 3 }
      i &+= 8
    }
    while i < count {
      let byte = buffer[i]
      if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { return i }
      i &+= 1
    }
    return i
  }

}
