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
