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

  /// Found by fuzzing: YAML breaks lines at a lone CR (and NEL, LS, PS) where editors do not, so a
  /// later error was reported lines below where it is. Such a break is refused where it is, in a
  /// comment too; CR LF files still load, and a bad byte in one is reported on its own line.
  @Test func lineBreaksOtherThanLineFeedAreReportedWhereTheyAre() throws {
    for (text, line, column) in [
      ("# a comment\r\r\rwith lone carriage returns\nbridges:\n  - name: br0\n    ports: [\n", 1, 12),
      ("bridges:\n  - name: br0 # x\u{2028}y\n", 2, 18),
      ("bridges:\n  - name: \"br\u{85}0\"\n", 2, 14),
      ("bridges:\r\n  - name: br0\r\n  - name: br\u{1}1\r\n", 3, 13),
      ("# \u{7}\nbridges: []\n", 1, 3),
    ] {
      let problem = Self.refusal(text)
      #expect(problem?.location.line == line, "\(text.debugDescription)")
      #expect(problem?.location.column == column, "\(text.debugDescription)")
    }
    let crlf = try SpecLoader.parse("bridges:\r\n  - name: br0\r\n    ports: [{name: p1}]\r\n", file: "crlf.yaml")
    #expect(crlf.ports.map(\.name.rawValue) == ["p1"])
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
