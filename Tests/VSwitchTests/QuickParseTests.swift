import Foundation
import OVSVirt
import Testing
import TestSupport

/// The one-shot commands' quick parse (Sources/ovsvirt/QuickParse.swift) gives exactly the command
/// argument-parser gives for every option it knows, and declines every line that is not plain, so
/// argument-parser's messages stay the only ones. The binary compares the two parses itself when
/// OVSVIRT_QUICK_PARSE_CHECK is set (nothing is run).
@Suite(.blockingWork) struct QuickParseTests {
  static let db = ["--db", "unix:/nonexistent/db.sock"]

  /// Lines the quick parse must take, each with every option its command declares somewhere.
  static let plain: [[String]] = [
    ["port", "add", "br0", "p1"],
    ["port", "add", "br0", "p1", "--access", "120", "--no-wait", "--timeout", "3.5"] + db,
    ["port", "add", "br0", "p1", "--trunk", "10,20-30", "--native", "10", "--vlan-mode", "native-tagged", "--json"],
    ["port", "add", "br0", "bond0", "--bond", "e1,e2", "--lacp", "active", "--bond-mode", "balance-tcp", "--mtu=9000"],
    ["port", "add", "br0", "pa", "--patch-peer", "pb", "--may-exist", "--dry-run", "--db=tcp:127.0.0.1:6640"],
    ["port", "add", "br0", "v1", "--internal", "--external-id", "a=1", "--external-id=b=2", "--other-config", "x=y"],
    ["port", "add", "--access", "5", "br0", "p1"],
    ["port", "set", "p1", "--access", "130"] + db,
    ["port", "set", "p1", "--trunk", "1,2", "--vlan-mode", "trunk", "--no-wait", "--json", "--dry-run", "--timeout=1"],
    ["port", "set", "p1", "--native", "7"],
    ["port", "set", "p1"],
    ["port", "del", "p1", "--if-exists", "--no-wait", "--json", "--dry-run", "--timeout", "2"] + db,
    ["tunnel", "add", "br0", "vx0", "--remote-ip", "10.0.0.2"],
    [
      "tunnel", "add", "br0", "gn0", "--type", "geneve", "--remote-ip=flow", "--local-ip", "10.0.0.1", "--key", "5",
      "--dst-port", "6081", "--may-exist", "--no-wait", "--json", "--dry-run", "--timeout", "4",
    ] + db,
    ["bridge", "add", "br1", "--datapath-type", "netdev", "--external-id", "k=v", "--other-config", "a=b"] + db,
    ["bridge", "add", "brv", "--parent", "br0", "--vlan", "140", "--may-exist", "--no-wait", "--json", "--dry-run"],
    ["bridge", "add", "br2", "--timeout", "86400", "--external-id", "a=1", "--external-id", "b=2"],
    ["show"],
    ["show", "--json", "--timeout", "2"] + db,
    ["show", "--no-wait", "--dry-run", "--timeout=1"],
    ["port", "list", "br0"],
    ["port", "list", "br0", "--json"] + db,
    ["bridge", "list"],
    ["bridge", "list", "--json", "--timeout", "3"] + db,
    ["tunnel", "list"],
    ["tunnel", "list", "--json"] + db,
  ]

  /// Lines argument-parser must parse (or refuse) itself.
  static let declined: [[String]] = [
    ["port", "add", "br0"],
    ["port", "add", "br0", "p1", "extra"],
    ["port", "add", "br0", "p1", "--help"],
    ["port", "add", "br0", "p1", "-h"],
    ["port", "add", "br0", "p1", "--version"],
    ["port", "add", "br0", "p1", "--acess", "5"],
    ["port", "add", "br0", "p1", "--access", "x"],
    ["port", "add", "br0", "p1", "--access", "-5"],
    ["port", "add", "br0", "p1", "--access", "5", "--access", "6"],
    ["port", "add", "br0", "p1", "--access"],
    ["port", "add", "br0", "p1", "--access="],
    ["port", "add", "br0", "p1", "--internal", "--internal"],
    ["port", "add", "br0", "p1", "--internal=true"],
    ["port", "add", "br0", "--", "p1"],
    ["port", "add", "br0", "-p1"],
    ["port", "add", "br0", "p1", "--timeout", "0"],
    ["port", "add", "br0", "p1", "--timeout", "inf"],
    ["port", "add", "br0", "p1", "--db", "nowhere"],
    ["port", "add", "br0", "p1", "--generate-completion-script", "bash"],
    ["port", "set", "p1", "--if-exists"],
    ["port", "del", "p1", "--access", "5"],
    ["tunnel", "add", "br0", "vx0"],
    ["tunnel", "add", "br0", "vx0", "--remote-ip", "1.2.3.4", "--dst-port", "x"],
    ["bridge", "add", "brv", "--parent", "br0"],
    ["bridge", "add", "brv", "--parent", "br0", "--vlan", "5", "--datapath-type", "netdev"],
    ["bridge", "del", "br0"],
    ["show", "br0"],
    ["show", "--help"],
    ["show", "--access", "5"],
    ["show", "--db", "tcp:127.0.0.1:6640", "--private-key", "k.pem"],
    ["port", "list"],
    ["port", "list", "br0", "br1"],
    ["bridge", "list", "br0"],
    ["tunnel", "list", "--timeout", "-1"],
  ]

  static func parses(_ arguments: [String]) throws -> (quick: String, full: String) {
    let dir = try TemporaryDirectory.make("qp")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let out = dir + "/out"
    let status = try CommandRunner.spawn(
      try CLI.binary(), arguments, environment: ["OVSVIRT_QUICK_PARSE_CHECK": "1"], stdout: out, stderr: nil)
    let output = try String(contentsOfFile: out, encoding: .utf8)
    #expect(status == 0, "\(output)")
    guard output.hasPrefix("quick: "), let split = output.range(of: "\nfull: ") else {
      Issue.record("unexpected output: \(output)")
      return ("", "")
    }
    return (
      String(output[output.index(output.startIndex, offsetBy: 7)..<split.lowerBound]),
      String(output[split.upperBound...].dropLast())  // print's newline
    )
  }

  @Test(arguments: plain)
  func plainLinesParseAsArgumentParserDoes(_ arguments: [String]) throws {
    let (quick, full) = try Self.parses(arguments)
    #expect(quick != "none", "declined: \(arguments)")
    #expect(!full.hasPrefix("error:"), "\(full)")
    #expect(quick == full)
  }

  @Test(arguments: declined)
  func otherLinesAreLeftToArgumentParser(_ arguments: [String]) throws {
    let (quick, _) = try Self.parses(arguments)
    #expect(quick == "none", "\(arguments): \(quick)")
  }
}
