import Testing

@testable import OVSDB

@Suite struct JSONParserTests {
  @Test func parsesEveryValueKind() throws {
    let json = try JSONParser.parse(#" {"a": [1, -2, 3.5, true, false, null, "s"], "b": {}} "#)
    #expect(json == ["a": [1, -2, 3.5, true, false, nil, "s"], "b": [:]])
  }

  @Test(arguments: [
    (#""\"""#, "\""), (#""\\""#, "\\"), (#""\/""#, "/"), (#""\b""#, "\u{08}"), (#""\f""#, "\u{0C}"),
    (#""\n""#, "\n"), (#""\r""#, "\r"), (#""\t""#, "\t"), (#""\u0041""#, "A"), (#""\u00e9""#, "é"),
    (#""\u20AC""#, "€"), (#""a\u0000b""#, "a\u{0}b"), (#""x\ny\"z""#, "x\ny\"z"),
  ])
  func decodesEscape(source: String, expected: String) throws {
    #expect(try JSONParser.parse(source) == .string(expected))
  }

  @Test func decodesSurrogatePairs() throws {
    #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
    #expect(try JSONParser.parse(#""\uD834\uDD1E clef""#) == .string("𝄞 clef"))
  }

  @Test(arguments: [#""\ud83d""#, #""\ude00""#, #""\ud83d\u0041""#, #""\ud83dx""#])
  func rejectsLoneSurrogates(source: String) {
    #expect(throws: JSONParseError.self) { try JSONParser.parse(source) }
    do {
      _ = try JSONParser.parse(source)
    } catch {
      #expect(error.reason == .loneSurrogate)
    }
  }

  @Test func rejectsBadEscapes() {
    for source in [#""\x""#, #""\u12G4""#, #""\u12""#, #""\"#] {
      #expect(throws: JSONParseError.self, "\(source)") { try JSONParser.parse(source) }
    }
  }

  @Test func rawUTF8PassesThrough() throws {
    #expect(try JSONParser.parse("\"grüß 世界 😀\"") == .string("grüß 世界 😀"))
  }

  @Test func rejectsInvalidUTF8() {
    let cases: [[UInt8]] = [
      [0x22, 0xFF, 0x22],  // never valid
      [0x22, 0xC3, 0x22],  // truncated 2-byte sequence
      [0x22, 0xE2, 0x82, 0x22],  // truncated 3-byte sequence
      [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
      [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-16 surrogate encoded in UTF-8
      [0x22, 0x5C, 0x6E, 0xFF, 0x22],  // invalid after an escape (slow path)
    ]
    for bytes in cases {
      #expect(throws: JSONParseError(reason: .invalidUTF8, offset: 1), "\(bytes)") { try JSONParser.parse(bytes) }
    }
  }

  @Test func rejectsControlCharactersInStrings() {
    #expect(throws: JSONParseError.self) { try JSONParser.parse("\"a\nb\"") }
  }

  @Test func numbersKeep64BitIntegersExact() throws {
    #expect(try JSONParser.parse("9223372036854775807") == .int(Int64.max))
    #expect(try JSONParser.parse("-9223372036854775808") == .int(Int64.min))
    #expect(try JSONParser.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
    #expect(try JSONParser.parse("-0") == .int(0))
    #expect(try JSONParser.parse("1e3") == .double(1000))
    #expect(try JSONParser.parse("2.5E-3") == .double(0.0025))
    #expect(try JSONParser.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
  }

  @Test(arguments: ["01", "1.", ".5", "-", "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "--1"])
  func rejectsMalformedNumbers(source: String) {
    #expect(throws: JSONParseError.self) { try JSONParser.parse(source) }
  }

  @Test func nestingLimitIsEnforced() throws {
    let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
    #expect(throws: Never.self) { try JSONParser.parse(ok) }
    let deep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
    #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    // Far beyond the limit must fail cleanly, not overflow the stack.
    let hostile = String(repeating: "{\"a\":", count: 100_000)
    #expect(throws: JSONParseError.self) { try JSONParser.parse(hostile) }
  }

  @Test func rejectsStructuralErrors() {
    for source in ["", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "[1 2]", "{1:2}", "[1] x", "tru", "nul", "[", "{\"a\":"] {
      #expect(throws: JSONParseError.self, "\(source)") { try JSONParser.parse(source) }
    }
  }

  @Test func writerRoundTrips() throws {
    let value: JSON = [
      "s": "quote\" backslash\\ nl\n tab\t ctl\u{01} uni é 😀", "i": [0, 1, -1, .int(Int64.max), .int(Int64.min)],
      "d": [0.5, -1.25, 3.0, 1e300], "b": [true, false, nil], "o": ["nested": ["k": "v"]],
    ]
    var writer = JSONWriter()
    writer.write(value)
    #expect(try JSONParser.parse(writer.bytes) == value)
  }

  @Test func writerEmitsRealsAsReals() {
    #expect(JSON.double(3).description == "3.0")
    #expect(JSON.int(3).description == "3")
    #expect(JSON.string("\u{01}").description == "\"\\u0001\"")
  }
}
