import Foundation
import Testing

@testable import OVSDB

/// The receive path's fast paths (eight-bytes-at-a-time string scanning, the validating skip, the
/// frame scanner's jumps, byte-matched keys) must refuse and accept exactly what the plain parser
/// does, wherever in a word the interesting byte falls.
@Suite struct DecodeFastPathTests {
  /// Validates `value` the way a reply's `result` is validated when it arrives.
  func arrives(_ value: [UInt8]) -> Bool {
    let message = Array(#"{"id":1,"result":"#.utf8) + value + Array(#","error":null}"#.utf8)
    return (try? message.withUnsafeBytes { buffer throws(OVSDBError) in try InboundMessage(bytes: buffer) }) != nil
  }

  func parses(_ value: [UInt8]) -> Bool {
    (try? JSONParser.parse(value)) != nil
  }

  @Test func validationAgreesWithTheParserOnOpenVSwitchCases() throws {
    for testCase in try OVSJSONCase.load() where testCase.mode != "multiple" {
      let input = testCase.input
      #expect(arrives(input) == parses(input), "\(testCase.name)")
    }
  }

  @Test func everySpecialByteIsSeenAtEveryOffsetOfAWord() {
    // Each special byte at offsets 0...17 of a string's content, so it lands in every lane of the
    // first, second and third word and in the byte-at-a-time tail.
    let specials: [(bytes: [UInt8], valid: Bool)] = [
      (Array(#"\""#.utf8), true), (Array(#"\\"#.utf8), true), (Array(#"\u00e9"#.utf8), true),
      (Array(#"\x"#.utf8), false), ([0x0A], false), ([0x1F], false), ([0x00], false), ([0x7F], true),
      (Array("é".utf8), true), (Array("😀".utf8), true), ([0xC3], false), ([0xED, 0xA0, 0x80], false),
      ([0xFF], false), ([0xF4, 0x90, 0x80, 0x80], false),
    ]
    for special in specials {
      for offset in 0...17 {
        for tail in [0, 1, 9] {
          let content =
            Array(repeating: UInt8(ascii: "a"), count: offset) + special.bytes
            + Array(repeating: UInt8(ascii: "b"), count: tail)
          let string = [UInt8(ascii: "\"")] + content + [UInt8(ascii: "\"")]
          #expect(parses(string) == special.valid, "\(special.bytes) at \(offset)+\(tail)")
          #expect(arrives(string) == special.valid, "\(special.bytes) at \(offset)+\(tail)")
          #expect(arrives(Array("[".utf8) + string + Array("]".utf8)) == special.valid)
          if special.valid {
            let expected = String(decoding: content, as: UTF8.self)
            if case .string(let parsed)? = try? JSONParser.parse(string), !content.contains(UInt8(ascii: "\\")) {
              #expect(parsed == expected)
            }
          }
        }
      }
    }
  }

  @Test func unterminatedStringsAreRefusedAtEveryLength() {
    for length in 0...20 {
      let open = [UInt8(ascii: "\"")] + Array(repeating: UInt8(ascii: "a"), count: length)
      #expect(!parses(open))
      #expect(!arrives(open))
      #expect(!parses(open + [UInt8(ascii: "\\")]))
      #expect(!arrives(open + [UInt8(ascii: "\\")]))
    }
  }

  @Test func numbersAreValidatedLikeTheParser() {
    for text in [
      "0", "-0", "7", "123456789012345678", "1234567890123456789", "-9223372036854775808", "9223372036854775808",
      "01", "-", "1.", "1.5", "1e3", "1E+3", "1e400", "-1e400", "1e9999999999", "2.5e-3", "--1", "1x", "00",
    ] {
      let bytes = Array(text.utf8)
      #expect(arrives(bytes) == parses(bytes), "\(text)")
      #expect(arrives(Array("[\(text)]".utf8)) == parses(Array("[\(text)]".utf8)), "[\(text)]")
    }
  }

  @Test func frameScannerFindsMessagesWhateverTheStringLengths() throws {
    for length in 0...24 {
      let filler = String(repeating: "x", count: length)
      let text = #"{"a":"\#(filler)\"]}","b":["\#(filler)\\",{"c":"\#(filler)"}]}  {"d":"\#(filler)"}"#
      let bytes = Array(text.utf8)
      var scanner = JSONFrameScanner()
      let first = try bytes.withUnsafeBytes { buffer throws(JSONFrameScanner.ScanError) in
        try scanner.scan(buffer, from: 0)
      }
      let end = try #require(first).upperBound
      #expect(try JSONParser.parse(Array(bytes[..<end])) != .null)
      let rest = Array(bytes[end...])
      let second = try rest.withUnsafeBytes { buffer throws(JSONFrameScanner.ScanError) in
        try scanner.scan(buffer, from: 0)
      }
      #expect(second.map { String(decoding: rest[$0], as: UTF8.self) } == #"{"d":"\#(filler)"}"#)
    }
  }

  @Test func frameScannerLimitCountsBytesInsideStrings() {
    let message = Array(#"{"a":"0123456789"}"#.utf8)
    for limit in 1...message.count {
      var scanner = JSONFrameScanner(maxMessageBytes: limit)
      let result: Result<Range<Int>?, JSONFrameScanner.ScanError> = message.withUnsafeBytes { buffer in
        do throws(JSONFrameScanner.ScanError) {
          return .success(try scanner.scan(buffer, from: 0))
        } catch {
          return .failure(error)
        }
      }
      if limit >= message.count {
        #expect((try? result.get()) == 0..<message.count)
      } else {
        #expect(throws: JSONFrameScanner.ScanError.messageTooLarge(limit: limit)) { try result.get() }
      }
    }
  }

  @Test func keysWithEscapesOrUnknownColumnsStillDecode() throws {
    let schema = try #require(ValueTests.portSchema)
    let u = "09cad6a7-489b-42f4-883a-d710ad96c50e"
    let text = """
      {"Port":{"\(u)":{"in\\u0073ert":{"n\\u0061me":"p1","tag":5,"zzz":[1,{"y":"\\u00e9"}]}}},\
      "Other":{"\(u)":{"insert":{}}}}
      """
    let updates = try TableUpdates(raw: RawJSON(validated: Array(text.utf8)), version2: true, schema: schema)
    #expect(updates.tables["Port"]?.first?.change == .insert(["name": "p1", "tag": 5]))
    #expect(updates.tables["Other"] == nil)
  }

  @Test func columnsInAnyOrderAndRowsOfDifferentShapes() throws {
    let schema = try #require(ValueTests.portSchema)
    let rows = (0..<6).map { i in
      let u = String(format: "%08x-0000-4000-8000-000000000000", i)
      switch i % 3 {
      case 0: return #""\#(u)":{"initial":{"name":"p\#(i)","tag":\#(i),"trunks":["set",[1,2]]}}"#
      case 1: return #""\#(u)":{"initial":{"trunks":["set",[]],"name":"p\#(i)"}}"#
      default: return #""\#(u)":{"initial":{"tag":-\#(i),"name":"p\#(i)","weight":1.5,"lacp_fallback":false}}"#
      }
    }
    let text = #"{"Port":{"# + rows.joined(separator: ",") + "}}"
    let updates = try TableUpdates(raw: RawJSON(validated: Array(text.utf8)), version2: true, schema: schema)
    let decoded = try #require(updates.tables["Port"])
    #expect(decoded.count == 6)
    #expect(decoded[0].change == .insert(["name": "p0", "tag": 0, "trunks": .set([1, 2])]))
    #expect(decoded[1].change == .insert(["name": "p1", "trunks": .empty]))
    #expect(
      decoded[2].change
        == .insert(["name": "p2", "tag": -2, "weight": .scalar(.real(1.5)), "lacp_fallback": false]))
    // The second row of each shape is made from a copy of the first (ColumnMatcher's templates):
    // its own values, none of the first's.
    #expect(decoded[3].change == .insert(["name": "p3", "tag": 3, "trunks": .set([1, 2])]))
    #expect(decoded[4].change == .insert(["name": "p4", "trunks": .empty]))
    #expect(
      decoded[5].change
        == .insert(["name": "p5", "tag": -5, "weight": .scalar(.real(1.5)), "lacp_fallback": false]))
  }

  @Test func rowsWithTheSameColumnsInAnotherOrderOrAColumnTwice() throws {
    let schema = try #require(ValueTests.portSchema)
    let bodies = [
      #"{"name":"a","tag":1}"#, #"{"tag":2,"name":"b"}"#, #"{"name":"c","tag":3,"tag":4}"#, #"{"name":"d"}"#,
      #"{"tag":5,"name":"e"}"#, #"{}"#, #"{"name":"f","tag":6}"#,
    ]
    let rows = bodies.enumerated().map { i, body in
      #""\#(String(format: "%08x-0000-4000-8000-000000000000", i))":{"modify":\#(body)}"#
    }
    let text = #"{"Port":{"# + rows.joined(separator: ",") + "}}"
    let updates = try TableUpdates(raw: RawJSON(validated: Array(text.utf8)), version2: true, schema: schema)
    let decoded = try #require(updates.tables["Port"]).map(\.change)
    #expect(
      decoded == [
        .diff(["name": "a", "tag": 1]), .diff(["name": "b", "tag": 2]), .diff(["name": "c", "tag": 4]),
        .diff(["name": "d"]), .diff(["name": "e", "tag": 5]), .diff([:]), .diff(["name": "f", "tag": 6]),
      ])
  }
}
