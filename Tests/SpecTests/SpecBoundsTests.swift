import Foundation
import OVSVirt
import Testing

/// No spec file can make loading hang or eat memory, and a bad byte is reported where it is.
@Suite struct SpecBoundsTests {
  static func refusal(_ text: String) -> SpecProblem? {
    do {
      _ = try SpecLoader.parse(text, file: "bad.yaml")
      return nil
    } catch {
      return error.problems.first
    }
  }

  /// An alias bomb used as a mapping key: nine levels of ten aliases (10⁹ nodes when expanded).
  @Test func aliasBombAsKeyIsRefusedAtOnce() {
    var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in 1...9 {
      lines.append(
        "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
    }
    for key in ["? *a9\n: 1", "*a9 : 1", "{? *a9 : 1}", "- ? *a9\n  : 1"] {
      let started = ContinuousClock.now
      let problem = Self.refusal((lines + [key]).joined(separator: "\n") + "\n")
      #expect(ContinuousClock.now - started < .seconds(1), "\(key)")
      #expect(problem?.location.line == 11, "\(key): \(problem.map { "\($0)" } ?? "accepted")")
    }
  }

  @Test func controlCharacterIsReportedWhereItIs() {
    let problem = Self.refusal("bridges:\n  - name: br\u{0}x\n")
    #expect(problem?.location.line == 2)
    #expect(problem?.location.column == 13)
    #expect(problem?.problem.contains("control character") == true)
  }

  @Test func hugeFileIsRefusedBeforeParsing() {
    let big = "bridges:\n" + String(repeating: "  - {name: br0}\n", count: 400_000)
    let started = ContinuousClock.now
    let problem = Self.refusal(big)
    #expect(ContinuousClock.now - started < .seconds(1))
    #expect(problem?.problem.contains("bytes; a spec has at most") == true, "\(problem.map { "\($0)" } ?? "accepted")")
  }

  @Test func tooManyAliasesAreRefused() {
    let text = "x: &a 1\ny: [" + Array(repeating: "*a", count: 1001).joined(separator: ", ") + "]\n"
    #expect(Self.refusal(text)?.problem.contains("alias references") == true)
  }

  /// What people do write still works: anchors and aliases as values, `?` and `*` inside words,
  /// quotes and comments.
  @Test func ordinaryAnchorsQuotesAndCommentsStillLoad() throws {
    let spec = try SpecLoader.parse(
      """
      # shared port settings? *none here
      bridges:
        - name: br0
          datapath_type: netdev
          ports: &uplinks
            - {name: "eth?1", trunks: "120,130"}   # a '?' and '*' in comments: *x ? y
        - name: br1
          datapath_type: netdev
      """, file: "ok.yaml")
    #expect(spec.bridges.count == 2)
  }
}
