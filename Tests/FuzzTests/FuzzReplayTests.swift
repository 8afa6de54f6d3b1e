import Foundation
import FuzzTargets
import Testing

/// Every seed input and every input a fuzzer once broke something with (Fuzz/regressions/TARGET/,
/// each a fix's regression test) goes through its target's body: no crash, no broken invariant.
@Suite struct FuzzReplayTests {
  static let fuzzDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fuzz").path

  @Test(arguments: FuzzTarget.all.map(\.name))
  func replaysSeedsAndRegressions(_ name: String) throws {
    let target = try #require(FuzzTarget.all.first { $0.name == name })
    let files = FuzzTarget.inputFiles([
      "\(Self.fuzzDirectory)/corpus/\(name)", "\(Self.fuzzDirectory)/regressions/\(name)",
    ])
    #expect(files.count >= 5, "the \(name) seed corpus is missing")
    for file in files {
      #expect(throws: Never.self, "\(file)") { try target.replay(file: file) }
    }
  }
}
