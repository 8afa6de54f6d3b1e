import Testing

@testable import OVSDB

@Suite struct FrameScannerTests {
  /// Feeds `bytes` in chunks of `chunk` bytes, the way a socket may deliver them, and collects messages.
  func frames(_ text: String, chunk: Int) throws -> [String] {
    let bytes = Array(text.utf8)
    var scanner = JSONFrameScanner()
    var pending: [UInt8] = []
    var scanned = 0
    var out: [String] = []
    var offset = 0
    while offset < bytes.count {
      let end = min(offset + chunk, bytes.count)
      pending += bytes[offset..<end]
      offset = end
      while true {
        let from = scanned
        let found = try pending.withUnsafeBytes { buffer throws(JSONFrameScanner.ScanError) in
          try scanner.scan(buffer, from: from)
        }
        guard let range = found else {
          scanned = pending.count
          break
        }
        out.append(String(decoding: pending[range], as: UTF8.self))
        pending.removeFirst(range.upperBound)
        scanned = 0
      }
    }
    return out
  }

  let stream =
    #"{"id":1,"result":["a}","b\"{[",{"x":[1,{"y":"\\"}]}],"error":null} "#
    + "\n" + #"{"method":"update","params":[null,{"é😀":"]}"}],"id":null}{"id":2,"result":{},"error":null}"#

  @Test func splitsBackToBackMessagesAtEveryChunkSize() throws {
    let expected = try frames(stream, chunk: stream.utf8.count)
    #expect(expected.count == 3)
    for message in expected { #expect(throws: Never.self) { try JSONParser.parse(message) } }
    for chunk in 1...40 {
      #expect(try frames(stream, chunk: chunk) == expected, "chunk size \(chunk)")
    }
  }

  @Test func rejectsNonObjectsBetweenMessages() {
    #expect(throws: JSONFrameScanner.ScanError.notAnObject(byte: UInt8(ascii: "["))) {
      try frames("[1,2]", chunk: 3)
    }
    #expect(throws: JSONFrameScanner.ScanError.notAnObject(byte: UInt8(ascii: "x"))) {
      try frames(#"{"id":1} x"#, chunk: 4)
    }
  }

  @Test func rejectsUnbalancedBrackets() {
    #expect(throws: JSONFrameScanner.ScanError.unbalanced(byte: UInt8(ascii: "]"))) {
      try frames(#"{"a":1]"#, chunk: 2)
    }
  }

  @Test func rejectsOversizedAndTooDeepMessages() {
    var small = JSONFrameScanner(maxMessageBytes: 16)
    let big = Array(#"{"a":"0123456789012345678901234567890"}"#.utf8)
    #expect(throws: JSONFrameScanner.ScanError.messageTooLarge(limit: 16)) {
      _ = try big.withUnsafeBytes { buffer throws(JSONFrameScanner.ScanError) in try small.scan(buffer, from: 0) }
    }
    var shallow = JSONFrameScanner(maxDepth: 4)
    let deep = Array(#"{"a":[[[[1]]]]}"#.utf8)
    #expect(throws: JSONFrameScanner.ScanError.tooDeep(limit: 4)) {
      _ = try deep.withUnsafeBytes { buffer throws(JSONFrameScanner.ScanError) in try shallow.scan(buffer, from: 0) }
    }
  }

  /// Messages long enough for the 16-byte blocks of the scanner's loop, with what its block masks
  /// must get right: brackets and escaped quotes inside strings, runs of backslashes, strings and
  /// escapes cut by block and chunk boundaries. Each is framed exactly where it was written to end.
  @Test func framesGeneratedMessagesAtEveryBoundary() throws {
    var random = SplitMix64(seed: 0x0f5d_b17e)
    for round in 0..<200 {
      let messages = (0..<3).map { _ in generatedObject(&random, depth: 0) }
      let stream = messages.joined(separator: round % 2 == 0 ? "" : " \n")
      let chunk = 1 + Int(random.next() % 64)
      #expect(try frames(stream, chunk: chunk) == messages, "round \(round), chunk \(chunk)")
    }
  }

  /// A wrong closing bracket anywhere outside strings is the error it is, in any block position.
  @Test func findsAWrongBracketInAnyBlockPosition() {
    for padding in 0..<40 {
      let text = #"{"k":["# + String(repeating: #""x","#, count: padding) + #""}{]"}"#
      #expect(throws: JSONFrameScanner.ScanError.unbalanced(byte: UInt8(ascii: "}"))) {
        try frames(text, chunk: 7)
      }
    }
  }

  private func generatedObject(_ random: inout SplitMix64, depth: Int) -> String {
    let members = (0..<(1 + Int(random.next() % 4))).map { _ in
      generatedString(&random) + ":" + generatedValue(&random, depth: depth + 1)
    }
    return "{" + members.joined(separator: ",") + "}"
  }

  private func generatedValue(_ random: inout SplitMix64, depth: Int) -> String {
    switch random.next() % (depth > 5 ? 3 : 5) {
    case 0: return generatedString(&random)
    case 1: return String(random.next() % 100_000)
    case 2: return ["true", "null", "-1.5e3"][Int(random.next() % 3)]
    case 3:
      let items = (0..<Int(random.next() % 5)).map { _ in generatedValue(&random, depth: depth + 1) }
      return "[" + items.joined(separator: ",") + "]"
    default: return generatedObject(&random, depth: depth)
    }
  }

  private func generatedString(_ random: inout SplitMix64) -> String {
    let pieces = [
      #"a"#, #"uuid"#, #"{"#, #"}"#, #"["#, #"]"#, #"\""#, #"\\"#, #"\\\""#, #"é"#, " ", #"0123456789abcdef"#,
    ]
    return "\"" + (0..<Int(random.next() % 12)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
      + "\""
  }

  @Test func reportsAnUnfinishedMessage() throws {
    var scanner = JSONFrameScanner()
    let partial = Array(#"{"id":1,"result":"#.utf8)
    let found = try partial.withUnsafeBytes { buffer throws(JSONFrameScanner.ScanError) in
      try scanner.scan(buffer, from: 0)
    }
    #expect(found == nil)
    #expect(scanner.isInsideMessage)
  }
}

/// A small deterministic generator (SplitMix64), so a failing round can be replayed.
struct SplitMix64 {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
