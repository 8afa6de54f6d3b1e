import Foundation
import OVSDB
import Testing
import TestSupport

/// Each validation rule, through the CLI: exit status 1, the reason on stderr, and the database
/// byte-for-byte as it was (ovsdb-client dump before = after).
@Suite(.blockingWork) struct CLIValidationTests {
  struct Rule: Sendable, CustomTestStringConvertible {
    var name: String
    var command: [String]
    var reason: String
    var testDescription: String { name }
  }

  /// Run against a switch with ovsbr0 (netdev), fake bridge brlv140 (VLAN 140), port p1 on ovsbr0,
  /// bridge other with port q1.
  static let setup: [[String]] = [
    ["bridge", "add", "ovsbr0"], ["bridge", "add", "brlv140", "--parent", "ovsbr0", "--vlan", "140"],
    ["port", "add", "ovsbr0", "p1", "--access", "120"], ["bridge", "add", "other"], ["port", "add", "other", "q1"],
  ]

  static let rules: [Rule] = [
    Rule(
      name: "name longer than 15 bytes", command: ["port", "add", "ovsbr0", "a-very-long-name16"],
      reason: "longer than the kernel's limit of 15"),
    Rule(name: "name with '/'", command: ["bridge", "add", "br/0"], reason: "contains '/'"),
    Rule(name: "name with whitespace", command: ["port", "add", "ovsbr0", "p 2"], reason: "whitespace"),
    Rule(name: "empty name", command: ["bridge", "add", ""], reason: "is empty"),
    Rule(
      name: "VLAN above 4095", command: ["port", "add", "ovsbr0", "p2", "--access", "4096"],
      reason: "VLAN 4096 is outside 0–4095"),
    Rule(
      name: "negative VLAN", command: ["bridge", "add", "f1", "--parent", "ovsbr0", "--vlan=-1"],
      reason: "outside 0–4095"),
    Rule(
      name: "trunk list not numbers", command: ["port", "add", "ovsbr0", "p2", "--trunk", "120,abc"],
      reason: "'abc' is not a VLAN id"),
    Rule(
      name: "trunk VLAN out of range", command: ["port", "add", "ovsbr0", "p2", "--trunk", "1-5000"],
      reason: "VLAN 5000 is outside"),
    Rule(
      name: "trunks on an access port",
      command: ["port", "add", "ovsbr0", "p2", "--vlan-mode", "access", "--trunk", "10"],
      reason: "an access port cannot have trunks"),
    Rule(
      name: "tag on a trunk-mode port",
      command: ["port", "add", "ovsbr0", "p2", "--vlan-mode", "trunk", "--access", "10"],
      reason: "a trunk port ignores its tag"),
    Rule(
      name: "native mode without native VLAN",
      command: ["port", "add", "ovsbr0", "p2", "--vlan-mode", "native-tagged", "--trunk", "10"],
      reason: "needs a native VLAN"),
    Rule(
      name: "unknown vlan mode", command: ["port", "add", "ovsbr0", "p2", "--vlan-mode", "hybrid"],
      reason: "is not one of"),
    Rule(
      name: "VNI above 24 bits",
      command: ["tunnel", "add", "ovsbr0", "vx1", "--remote-ip", "10.0.0.2", "--key", "16777216"],
      reason: "is not a VNI (0–16777215)"),
    Rule(
      name: "remote_ip not an address", command: ["tunnel", "add", "ovsbr0", "vx1", "--remote-ip", "10.0.0.300"],
      reason: "is not an IPv4 or IPv6 address"),
    Rule(
      name: "local_ip not an address",
      command: ["tunnel", "add", "ovsbr0", "vx1", "--remote-ip", "10.0.0.2", "--local-ip", "host"],
      reason: "local_ip 'host'"),
    Rule(
      name: "unknown tunnel type",
      command: ["tunnel", "add", "ovsbr0", "vx1", "--type", "ipip", "--remote-ip", "10.0.0.2"],
      reason: "is not vxlan, geneve or gre"),
    Rule(name: "unknown bridge", command: ["port", "add", "nobr", "p2"], reason: "bridge 'nobr': does not exist"),
    Rule(
      name: "unknown parent", command: ["bridge", "add", "f1", "--parent", "nobr", "--vlan", "5"],
      reason: "bridge 'nobr': does not exist"),
    Rule(
      name: "fake bridge on a fake parent", command: ["bridge", "add", "f1", "--parent", "brlv140", "--vlan", "5"],
      reason: "is itself a fake bridge"),
    Rule(
      name: "second fake bridge for one VLAN", command: ["bridge", "add", "f1", "--parent", "ovsbr0", "--vlan", "140"],
      reason: "already the fake bridge for VLAN 140"),
    Rule(
      name: "port already on another bridge", command: ["port", "add", "ovsbr0", "q1", "--may-exist"],
      reason: "is already on bridge 'other'"),
    Rule(name: "port exists", command: ["port", "add", "ovsbr0", "p1", "--access", "120"], reason: "already exists"),
    Rule(
      name: "may-exist with other settings",
      command: ["port", "add", "ovsbr0", "p1", "--access", "130", "--may-exist"],
      reason: "exists with different VLAN settings"),
    Rule(
      name: "duplicate names in one request", command: ["port", "add", "ovsbr0", "bond9", "--bond", "eth1,eth1"],
      reason: "names an interface twice"),
    Rule(name: "bridge name taken by a port", command: ["bridge", "add", "p1"], reason: "the name is taken by a port"),
    Rule(
      name: "tagging a port on a fake bridge", command: ["port", "add", "brlv140", "vm2", "--access", "120"],
      reason: "is the fake bridge for VLAN 140"),
    Rule(name: "deleting a missing port", command: ["port", "del", "ghost"], reason: "does not exist"),
    Rule(
      name: "bond of one", command: ["port", "add", "ovsbr0", "bond9", "--bond", "eth9"],
      reason: "a bond needs at least two members"),
    Rule(
      name: "lacp without a bond", command: ["port", "add", "ovsbr0", "p2", "--lacp", "active"],
      reason: "'lacp' applies to bonds only"),
    Rule(
      name: "unknown bond mode",
      command: ["port", "add", "ovsbr0", "bond9", "--bond", "eth8,eth9", "--bond-mode", "x"],
      reason: "bond_mode 'x' is not one of"),
    Rule(
      name: "MTU too large", command: ["port", "add", "ovsbr0", "p2", "--mtu", "70000"],
      reason: "MTU 70000 is out of range"),
    Rule(
      name: "internal bond", command: ["port", "add", "ovsbr0", "bond9", "--bond", "eth8,eth9", "--internal"],
      reason: "a bond's members are system interfaces, not internal"),
    Rule(name: "deleting a fake bridge as a port", command: ["port", "del", "brlv140"], reason: "is a fake bridge"),
  ]

  @Test(arguments: rules)
  func refusedWithExitOneAndNothingChanged(_ rule: Rule) async throws {
    _ = try Integration.program("ovsdb-client")
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    for step in Self.setup {
      let setup = try CLI.run(step + ["--db", db.remote], in: db.sandbox.directory)
      try #require(setup.status == 0, "setup \(step): \(setup.stderr)")
    }
    let before = try db.oracle("ovsdb-client", "dump", "Open_vSwitch")
    let result = try CLI.run(rule.command + ["--db", db.remote], in: db.sandbox.directory)
    #expect(result.status == 1, "exit \(result.status): \(result.stderr)")
    #expect(result.stderr.contains(rule.reason), "stderr: \(result.stderr)")
    #expect(try db.oracle("ovsdb-client", "dump", "Open_vSwitch") == before)
  }

  /// Refused before libvirt is even opened (the URI here leads nowhere).
  @Test func multicastMACForAVMNICIsRefused() throws {
    let dir = try TemporaryDirectory.make("mac")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let result = try CLI.run(
      ["attach", "vm1", "--mac", "01:00:5e:00:00:01", "--network", "n1", "--connect", "test+unix://\(dir)/none.sock"],
      in: dir)
    #expect(result.status == 1, "exit \(result.status): \(result.stderr)")
    #expect(result.stderr.contains("is not a unicast MAC address"), "\(result.stderr)")
  }

  @Test func unreachableDatabaseExitsTwo() throws {
    let dir = try TemporaryDirectory.make("nodb")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let result = try CLI.run(["bridge", "add", "ovsbr0", "--db", "unix:\(dir)/none.sock", "--timeout", "2"], in: dir)
    #expect(result.status == 2)
    #expect(result.stderr.contains("cannot connect"))
  }

  @Test func dryRunPrintsOperationsAndChangesNothing() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let before = try db.oracle("ovsdb-client", "dump", "Open_vSwitch")
    let result = try CLI.run(["bridge", "add", "ovsbr0", "--dry-run", "--db", db.remote], in: db.sandbox.directory)
    #expect(result.status == 0)
    let operations = try #require(try JSONParser.parse(result.stdout).arrayValue)
    #expect(operations.contains { $0["op"] == "insert" && $0["table"] == "Bridge" })
    #expect(operations.contains { $0["op"] == "wait" })
    #expect(try db.oracle("ovsdb-client", "dump", "Open_vSwitch") == before)
  }

  @Test func secondIdenticalAddIsANoOp() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    _ = try CLI.run(["bridge", "add", "ovsbr0", "--db", db.remote], in: db.sandbox.directory)
    let again = try CLI.run(
      ["bridge", "add", "ovsbr0", "--may-exist", "--json", "--db", db.remote], in: db.sandbox.directory)
    #expect(again.status == 0)
    #expect(again.stdout == "{\"operations\":0}\n")
  }
}
