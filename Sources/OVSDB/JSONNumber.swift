/// Reads a JSON number literal as Open vSwitch's own parser does (lib/json.c), so ovsvirt accepts
/// and refuses the same numbers as the server it talks to:
/// - a number that is exactly an integer within 64 bits is an integer, however it is written
///   (`2e5`, `1.0`, `92233720.36854775807e11`); negative zero is zero;
/// - any other number is a double (an integer beyond 64 bits too), rounded as `strtod` would;
/// - a number beyond the range of a double (`1e400`, a 400-digit integer) is refused, never read as
///   infinity, and so is an exponent beyond 32 bits; underflow gives 0, as in OVS.
/// One difference: glibc's `strtod` flags subnormal results, which OVS's C parser then refuses; they
/// are kept here, as OVS's Python parser keeps them, since a double represents them.
enum JSONNumber {
  enum Problem: Error {
    case outOfRange
    case exponentOutOfRange
  }

  /// `literal`: the bytes of one number, already checked against the JSON grammar.
  static func value(of literal: UnsafeRawBufferPointer) throws(Problem) -> JSON {
    var decimal = try Decimal(literal)
    if let integer = decimal.exactInteger() { return .int(integer) }
    guard let value = Double(String(decoding: literal, as: UTF8.self)), value.isFinite else { throw .outOfRange }
    // As OVS does: no negative zero from an underflow such as -1e-9999.
    return .double(value == 0 ? 0 : value)
  }

  /// The number as significand × 10^exponent, with as many significant digits as 64 bits hold.
  struct Decimal {
    var negative = false
    var significand: UInt64 = 0
    var exponent = 0
    /// A non-zero digit did not fit in `significand`: the value is not exactly representable here.
    var imprecise = false

    init(_ literal: UnsafeRawBufferPointer) throws(Problem) {
      var index = 0
      if literal[index] == UInt8(ascii: "-") {
        negative = true
        index += 1
      }
      while index < literal.count, let digit = Self.digit(literal[index]) {
        if !append(digit) {
          exponent += 1
          if digit != 0 { imprecise = true }
        }
        index += 1
      }
      if index < literal.count, literal[index] == UInt8(ascii: ".") {
        index += 1
        while index < literal.count, let digit = Self.digit(literal[index]) {
          if append(digit) {
            exponent -= 1
          } else if digit != 0 {
            imprecise = true
          }
          index += 1
        }
      }
      guard index < literal.count else { return }
      // 'e' or 'E', then an optional sign, then digits (the grammar was checked by the caller).
      index += 1
      var negativeExponent = false
      if literal[index] == UInt8(ascii: "+") || literal[index] == UInt8(ascii: "-") {
        negativeExponent = literal[index] == UInt8(ascii: "-")
        index += 1
      }
      var written = 0
      while index < literal.count, let digit = Self.digit(literal[index]) {
        // OVS's bound, checked before each digit: it keeps the exponent within a C int.
        guard written < Int(Int32.max) / 10 else { throw .exponentOutOfRange }
        written = written * 10 + Int(digit)
        index += 1
      }
      exponent += negativeExponent ? -written : written
      guard (Int(Int32.min)...Int(Int32.max)).contains(exponent) else { throw .exponentOutOfRange }
    }

    /// Appends one decimal digit to the significand; false when it would no longer fit.
    mutating func append(_ digit: UInt64) -> Bool {
      let (shifted, overflow) = significand.multipliedReportingOverflow(by: 10)
      let (sum, carry) = shifted.addingReportingOverflow(digit)
      guard !overflow && !carry else { return false }
      significand = sum
      return true
    }

    /// The value as an Int64 when it is exactly an integer in range.
    mutating func exactInteger() -> Int64? {
      if significand == 0 { return 0 }
      guard !imprecise else { return nil }
      while exponent > 0, significand < UInt64.max / 10 {
        significand *= 10
        exponent -= 1
      }
      while exponent < 0, significand % 10 == 0 {
        significand /= 10
        exponent += 1
      }
      guard exponent == 0 else { return nil }
      if negative {
        guard significand <= Int64.min.magnitude else { return nil }
        return Int64(bitPattern: 0 &- significand)
      }
      return significand <= UInt64(Int64.max) ? Int64(significand) : nil
    }

    static func digit(_ byte: UInt8) -> UInt64? {
      let value = byte &- UInt8(ascii: "0")
      return value < 10 ? UInt64(value) : nil
    }
  }
}
