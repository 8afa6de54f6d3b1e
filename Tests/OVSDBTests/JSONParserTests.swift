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
    #expect(try JSONParser.parse("2.5E-3") == .double(0.0025))
    #expect(try JSONParser.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
  }

  /// As in Open vSwitch's parser: a number that is exactly a 64-bit integer is one, however written.
  @Test func wholeNumbersAreIntegersWhateverTheirSpelling() throws {
    #expect(try JSONParser.parse("1e3") == .int(1000))
    #expect(try JSONParser.parse("3.0") == .int(3))
    #expect(try JSONParser.parse("-0.0") == .int(0))
    #expect(try JSONParser.parse("2.1230e3") == .int(2123))
    #expect(try JSONParser.parse("9223372036854775807.0") == .int(Int64.max))
    #expect(try JSONParser.parse("-9.223372036854775808e18") == .int(Int64.min))
    #expect(try JSONParser.parse("9.223372036854775808e18") == .double(9_223_372_036_854_775_808))
    #expect(try JSONParser.parse("1.5") == .double(1.5))
    // Underflow is zero, never negative zero.
    #expect(try JSONParser.parse("-1e-9999") == .double(0))
    #expect(try JSONParser.parse("-1e-9999").description == "0.0")
  }

  /// Beyond a double, or with an exponent beyond 32 bits: refused as OVS refuses them, never read
  /// as infinity (which the writer could only send back as `null`).
  @Test(arguments: [
    ("1e400", JSONParseError.Reason.numberOutOfRange), ("-1e400", .numberOutOfRange),
    ("[1e9999]", .numberOutOfRange), ("1.8e308", .numberOutOfRange),
    ("1" + String(repeating: "0", count: 400), .numberOutOfRange),
    ("-" + String(repeating: "9", count: 400) + ".5", .numberOutOfRange),
    ("1e9999999999999999999", .exponentOutOfRange), ("0e-2147483648", .exponentOutOfRange),
    ("[2, 1E+2147483647]", .exponentOutOfRange),
  ])
  func refusesNumbersOutOfRange(source: String, reason: JSONParseError.Reason) {
    do {
      let value = try JSONParser.parse(source)
      Issue.record("\(source.prefix(40)) was read as \(value)")
    } catch {
      #expect(error.reason == reason, "\(source.prefix(40))")
    }
  }

  @Test func largestDoublesAreKept() throws {
    #expect(try JSONParser.parse("1.7976931348623157e+308") == .double(.greatestFiniteMagnitude))
    #expect(try JSONParser.parse("-1.7976931348623157e308") == .double(-.greatestFiniteMagnitude))
    #expect(try JSONParser.parse("5e-324") == .double(.leastNonzeroMagnitude))
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
      "d": [0.5, -1.25, 1e300, -2.2250738585072014e-308], "b": [true, false, nil], "o": ["nested": ["k": "v"]],
    ]
    var writer = JSONWriter()
    writer.write(value)
    #expect(try JSONParser.parse(writer.bytes) == value)
    // A whole real is written as one ("3.0") and, as in OVS, read back as the integer it equals.
    #expect(try JSONParser.parse(JSON.array([3.0]).description) == [3])
  }

  @Test func writerEmitsRealsAsReals() {
    #expect(JSON.double(3).description == "3.0")
    #expect(JSON.int(3).description == "3")
    #expect(JSON.string("\u{01}").description == "\"\\u0001\"")
  }

  // MARK: Open vSwitch's own cases

  /// What ovsvirt does with the cases RFC 8259 and OVS disagree on; every other ambiguous case is
  /// refused. Top-level scalars are accepted because a reply's `result` may be one (`null`); NUL is
  /// accepted because a Swift string holds it (OVS cannot).
  static let acceptedAmbiguous: [String: JSON] = [
    "strings: a string by itself is not valid JSON": "xxx",
    "literal names: a literal by itself is not valid JSON": JSON.null,
    "numbers: a number by itself is not valid JSON": 1,
    "strings: null bytes not allowed": ["\u{0}"],
  ]

  @Test func openVSwitchCasesFileIsComplete() throws {
    let cases = try OVSJSONCase.load()
    // The file as described in its README: 91 cases; a truncated or empty file must not pass.
    #expect(cases.count == 91)
    #expect(cases.filter(\.valid).count >= 35)
    #expect(cases.filter { !$0.valid }.count >= 50)
    let names = Set(cases.map(\.name))
    for name in Self.acceptedAmbiguous.keys { #expect(names.contains(name), "\(name)") }
  }

  /// Each valid case parses to OVS's value and writes back as the same value; each invalid one is
  /// refused with a parse error at a byte of the input (or, if ambiguous, accepted as listed above).
  @Test func openVSwitchCases() throws {
    for testCase in try OVSJSONCase.load() {
      switch testCase.mode {
      case "multiple": try checkStream(testCase)
      default: try checkSingle(testCase)
      }
    }
  }

  func checkSingle(_ testCase: OVSJSONCase) throws {
    let input = testCase.input
    let parsed: JSON
    do {
      parsed = try JSONParser.parse(input)
    } catch {
      #expect(!testCase.valid, "\(testCase.name): refused: \(error)")
      #expect((0...input.count).contains(error.offset), "\(testCase.name): \(error)")
      if testCase.ambiguous { #expect(Self.acceptedAmbiguous[testCase.name] == nil, "\(testCase.name): \(error)") }
      return
    }
    let expected: JSON
    if testCase.valid {
      // Prose ("the same value") for a few extras: Foundation's reading of the input is the oracle.
      let text = Array(testCase.expectedText.utf8)
      expected = try (try? JSONParser.parse(text)) ?? FoundationOracle.parse(input)
    } else {
      let accepted = try #require(
        testCase.ambiguous ? Self.acceptedAmbiguous[testCase.name] : nil,
        "\(testCase.name): accepted as \(String(describing: parsed).prefix(200))")
      expected = accepted
    }
    #expect(parsed.isEquivalent(to: expected), "\(testCase.name): \(String(describing: parsed).prefix(200))")
    let written = parsed.description
    let reread = try JSONParser.parse(written)
    #expect(reread.isEquivalent(to: parsed), "\(testCase.name): wrote \(written.prefix(200))")
  }

  /// Values back to back, as `test-json --multiple` reads them.
  func checkStream(_ testCase: OVSJSONCase) throws {
    let input = testCase.input
    var values: [JSON] = []
    var failure: JSONParseError?
    input.withUnsafeBytes { buffer in
      var cursor = JSONParser.Cursor(buffer: buffer, maxDepth: JSONParser.defaultMaxDepth)
      cursor.skipWhitespace()
      while cursor.position < buffer.count {
        do throws(JSONParseError) {
          values.append(try cursor.parseValue(depth: 0))
        } catch {
          failure = error
          return
        }
        cursor.skipWhitespace()
      }
    }
    guard testCase.valid else {
      #expect(failure != nil, "\(testCase.name): accepted as \(values)")
      return
    }
    #expect(failure == nil, "\(testCase.name): \(String(describing: failure))")
    let expected = try testCase.expected.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    #expect(values == expected, "\(testCase.name)")
  }
}
