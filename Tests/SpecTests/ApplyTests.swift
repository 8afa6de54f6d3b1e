import Foundation
import OVSDB
import Testing
import TestSupport

/// `ovsvirt apply` on the OVS half, against a fresh ovsdb-server per test, with ovs-vsctl and
/// ovsdb-client as oracles.
@Suite(.blockingWork) struct ApplyTests {
  /// Seed 004's host without libvirt (examples/seed004.yaml minus networks and domains).
  static let seedOVS = """
    bridges:
      - name: ovsbr0
        ports:
          - {name: ens3f4, trunks: "120,130"}
          - {name: vlan120, type: internal, access: 120}
        tunnels:
          - {name: vxlan0, type: vxlan, remote_ip: 10.43.11.12}
      - {name: brlv140, parent: ovsbr0, vlan: 140}
    """

  struct Host {
    let db: PrivateOVSDB
    var dir: String { db.sandbox.directory }

    func spec(_ yaml: String, _ name: String = "spec.yaml") throws -> String {
      let path = dir + "/" + name
      try yaml.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }

    func ovsvirt(_ arguments: [String]) throws -> CLI.Result {
      try CLI.run(arguments + ["--db", db.remote, "--no-wait"], in: dir)
    }

    func apply(_ path: String, _ extra: [String] = []) throws -> JSON {
      let result = try ovsvirt(["apply", path, "--json"] + extra)
      try #require(result.status == 0, "apply: \(result.stderr)")
      return try JSONParser.parse(result.stdout)
    }

    func vsctl(_ arguments: String...) throws -> String {
      try db.oracle("ovs-vsctl", arguments: ["--no-wait"] + arguments).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func dump() throws -> String { try db.oracle("ovsdb-client", "dump", "-f", "json", "Open_vSwitch") }
  }

  func host() async throws -> Host {
    _ = try Integration.program("ovs-vsctl")
    _ = try Integration.program("ovsdb-client")
    return Host(db: try await PrivateOVSDB.start())
  }

  /// The spec gives the same switch as seed 004's ovs-vsctl lines; a second apply writes nothing.
  @Test func seedSpecMatchesTheOVSVsctlLinesAndReapplyWritesNothing() async throws {
    let ours = try await host()
    defer { ours.db.stop() }
    let reference = try await host()
    defer { reference.db.stop() }
    for line in [
      ["add-br", "ovsbr0"], ["add-br", "brlv140", "ovsbr0", "140"], ["add-port", "ovsbr0", "ens3f4", "trunks=120,130"],
      ["add-port", "ovsbr0", "vlan120", "tag=120", "--", "set", "Interface", "vlan120", "type=internal"],
      [
        "add-port", "ovsbr0", "vxlan0", "--", "set", "Interface", "vxlan0", "type=vxlan",
        "options:remote_ip=10.43.11.12",
      ],
    ] {
      _ = try reference.db.oracle("ovs-vsctl", arguments: ["--no-wait"] + line)
    }
    let spec = try ours.spec(Self.seedOVS)
    // plan tells and writes nothing.
    let empty = try ours.dump()
    let plan = try ours.ovsvirt(["plan", spec, "--json"])
    #expect(plan.status == 0, "\(plan.stderr)")
    let planned = try JSONParser.parse(plan.stdout)
    #expect(planned["writes"] == 0)
    #expect(planned["ovs"]?["changes"]?.arrayValue?.count == 5, "\(plan.stdout)")
    #expect(try ours.dump() == empty)
    let first = try ours.apply(spec)
    #expect((first["ovs"]?["operations"]?.intValue ?? 0) > 0)
    let expected = try DatabaseDump(json: try reference.dump())
    let actual = try DatabaseDump(json: try ours.dump())
    #expect(actual == expected, "\(actual.difference(from: expected))")

    let before = try ours.dump()
    let second = try ours.ovsvirt(["apply", spec])
    #expect(second.status == 0)
    #expect(second.stderr.contains("nothing to do"), "\(second.stderr)")
    #expect(try ours.apply(spec)["writes"] == 0)
    #expect(try ours.dump() == before)
  }

  /// Hand edits and deletions are put back in one transaction; then nothing is left to do.
  @Test func driftIsCorrectedInOneTransaction() async throws {
    let h = try await host()
    defer { h.db.stop() }
    let spec = try h.spec(Self.seedOVS)
    _ = try h.apply(spec)
    _ = try h.vsctl("set", "Port", "vlan120", "tag=999")
    _ = try h.vsctl("set", "Port", "ens3f4", "trunks=120")
    _ = try h.vsctl("del-port", "vxlan0")
    _ = try h.vsctl("set", "Interface", "vlan120", "type=system")
    _ = try h.vsctl("del-br", "brlv140")
    let fixed = try h.apply(spec)
    let changes = fixed["ovs"]?["changes"]?.arrayValue?.compactMap(\.stringValue) ?? []
    #expect(changes.count == 5, "\(changes)")
    #expect(try h.vsctl("get", "Port", "vlan120", "tag") == "120")
    #expect(try h.vsctl("get", "Interface", "vlan120", "type") == "internal")
    #expect(try h.vsctl("get", "Port", "ens3f4", "trunks") == "[120, 130]")
    #expect(try h.vsctl("get", "Interface", "vxlan0", "options:remote_ip") == "\"10.43.11.12\"")
    #expect(try h.vsctl("br-to-parent", "brlv140") == "ovsbr0")
    #expect(try h.vsctl("br-to-vlan", "brlv140") == "140")
    #expect(try h.apply(spec)["writes"] == 0)
  }

  /// An emptied database (no Open_vSwitch row at all) is rebuilt from the root.
  @Test func emptyDatabaseIsRebuiltFromTheRoot() async throws {
    let h = try await host()
    defer { h.db.stop() }
    let root = try h.vsctl("get", "Open_vSwitch", ".", "_uuid")
    _ = try h.db.oracle(
      "ovsdb-client", "transact",
      "[\"Open_vSwitch\",{\"op\":\"delete\",\"table\":\"Open_vSwitch\",\"where\":[[\"_uuid\",\"==\",[\"uuid\",\"\(root)\"]]]}]"
    )
    let spec = try h.spec(Self.seedOVS)
    let result = try h.apply(spec)
    #expect(result["ovs"]?["changes"]?.arrayValue?.first?.stringValue?.contains("Open_vSwitch root row") == true)
    #expect(try h.vsctl("list-br").split(separator: "\n") == ["brlv140", "ovsbr0"])
    #expect(try h.apply(spec)["writes"] == 0)
  }

  /// --prune removes what ovsvirt made and the spec dropped; never hand-made ports or VM ports.
  @Test func pruneRemovesOnlyOwnedObjects() async throws {
    let h = try await host()
    defer { h.db.stop() }
    let full = try h.spec(
      """
      bridges:
        - name: br0
          ports: [{name: p1, access: 10}, {name: p2, access: 20}]
        - {name: f30, parent: br0, vlan: 30}
        - name: old0
      """, "full.yaml")
    _ = try h.apply(full)
    _ = try h.vsctl("add-port", "br0", "hand1")
    let vm = try h.ovsvirt(["port", "add", "br0", "vnet7", "--access", "10"])
    try #require(vm.status == 0, "\(vm.stderr)")
    _ = try h.vsctl("set", "Interface", "vnet7", "external_ids:attached-mac=52:54:00:00:00:07")
    let reduced = try h.spec("bridges:\n  - name: br0\n    ports: [{name: p1, access: 10}]\n", "reduced.yaml")

    #expect(try h.apply(reduced)["writes"] == 0, "without --prune nothing is removed")
    let pruned = try h.apply(reduced, ["--prune"])
    let removed = Set(pruned["ovs"]?["changes"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    #expect(
      removed == [
        "- bridge old0: ovsvirt-owned, not in the spec", "- fake bridge f30: ovsvirt-owned, not in the spec",
        "- port p2: ovsvirt-owned, not in the spec",
      ])
    #expect(try h.vsctl("list-ports", "br0").split(separator: "\n") == ["hand1", "p1", "vnet7"])
    #expect(try h.vsctl("list-br").split(separator: "\n") == ["br0"])

    // A bridge that still carries a VM port is not pruned: refused, nothing changed.
    let other = try h.spec("bridges:\n  - name: br1\n", "other.yaml")
    let before = try h.dump()
    let refused = try h.ovsvirt(["apply", other, "--prune"])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("VM ports use it (vnet7)"), "\(refused.stderr)")
    #expect(try h.dump() == before)
  }

  /// Bridges br0 (ports p1, p2; fake bridge f30) and old0 (port q1), all made by apply.
  static let owned = """
    bridges:
      - name: br0
        ports: [{name: p1, access: 10}, {name: p2, access: 20}]
      - {name: f30, parent: br0, vlan: 30}
      - name: old0
        ports: [{name: q1, access: 40}]
    """

  /// A spec that names no bridges never prunes: an empty or comment-only file, a file without
  /// `bridges:`, and `bridges: []` without --prune-all are refused (exit 1, nothing changed), with
  /// plan too, and the message says what to do.
  @Test func specNamingNoBridgesNeverPrunes() async throws {
    let h = try await host()
    defer { h.db.stop() }
    _ = try h.apply(try h.spec(Self.owned, "owned.yaml"))
    let before = try h.dump()
    let refusals: [(yaml: String, flag: String, says: [String])] = [
      ("", "--prune", ["the file is empty", "--prune-all", "bridges: []"]),
      ("# host.yaml\n\n# nothing yet\n", "--prune", ["the file is empty", "--prune-all", "bridges: []"]),
      ("networks: []\n", "--prune", ["names no bridges", "--prune-all", "bridges: []"]),
      ("bridges:\n", "--prune", ["names no bridges", "--prune-all"]),
      ("bridges: []\n", "--prune", ["run again with --prune-all"]),
      ("", "--prune-all", ["the file is empty", "bridges: []"]),
      ("networks: []\n", "--prune-all", ["needs the spec to say `bridges: []`"]),
      (Self.owned, "--prune-all", ["--prune-all is only for a spec that says `bridges: []`", "use --prune"]),
    ]
    for (index, refusal) in refusals.enumerated() {
      let spec = try h.spec(refusal.yaml, "refused\(index).yaml")
      for command in ["plan", "apply"] {
        let run = try h.ovsvirt([command, spec, refusal.flag])
        let what = "\(command) \(refusal.flag) of \(refusal.yaml.debugDescription)"
        #expect(run.status == 1, "\(what): \(run.stdout)\(run.stderr)")
        for text in refusal.says { #expect(run.stderr.contains(text), "\(what): \(run.stderr)") }
        #expect(!run.stdout.contains("- bridge"), "\(what): \(run.stdout)")
      }
    }
    #expect(try h.dump() == before)
    #expect(try h.vsctl("list-br").split(separator: "\n") == ["br0", "f30", "old0"])
    // Without a prune flag an empty file is harmless: nothing to do.
    let quiet = try h.apply(try h.spec("", "empty.yaml"))
    #expect(quiet["writes"] == 0)
  }

  /// `bridges: []` with --prune-all removes every ovsvirt-owned bridge, fake bridge and port; plan
  /// lists exactly those (the ports that go with a bridge too); a bridge made by hand stays.
  @Test func pruneAllWithAnEmptyBridgeListRemovesEveryOwnedBridge() async throws {
    let h = try await host()
    defer { h.db.stop() }
    _ = try h.apply(try h.spec(Self.owned, "owned.yaml"))
    _ = try h.vsctl("add-br", "hand0")
    _ = try h.vsctl("add-port", "hand0", "hp1")
    let none = try h.spec("# this host keeps no bridges of ovsvirt's\nbridges: []\n", "none.yaml")
    let expected: Set<String> = [
      "- bridge br0: ovsvirt-owned, not in the spec", "- port p1: with bridge br0", "- port p2: with bridge br0",
      "- fake bridge f30: with bridge br0", "- bridge old0: ovsvirt-owned, not in the spec",
      "- port q1: with bridge old0",
    ]
    let before = try h.dump()
    let plan = try h.ovsvirt(["plan", none, "--prune-all", "--json"])
    #expect(plan.status == 0, "\(plan.stderr)")
    let planned = try JSONParser.parse(plan.stdout)["ovs"]?["changes"]?.arrayValue?.compactMap(\.stringValue) ?? []
    #expect(Set(planned) == expected, "\(planned)")
    #expect(planned.count == expected.count, "\(planned)")
    #expect(try h.dump() == before, "plan wrote")

    let applied = try h.apply(none, ["--prune-all"])
    let removed = applied["ovs"]?["changes"]?.arrayValue?.compactMap(\.stringValue) ?? []
    #expect(Set(removed) == expected, "\(removed)")
    #expect(try h.vsctl("list-br") == "hand0")
    #expect(try h.vsctl("list-ports", "hand0") == "hp1")
    #expect(!(try h.dump()).contains("ovsvirt-owner"), "an ovsvirt-owned row is left")
    #expect(try h.apply(none, ["--prune-all"])["writes"] == 0)
  }

  /// A bridge or fake bridge holding a port ovsvirt did not create is never pruned: it is reported
  /// by plan and apply (exit 1, nothing changed), whether the spec names other bridges or none.
  @Test func pruneKeepsBridgesHoldingPortsOfOthers() async throws {
    let h = try await host()
    defer { h.db.stop() }
    _ = try h.apply(try h.spec(Self.owned, "owned.yaml"))
    _ = try h.vsctl("add-port", "old0", "hand1")
    _ = try h.vsctl("add-port", "br0", "hand2", "tag=30")  // on fake bridge f30
    let before = try h.dump()
    let onlyBr0 = try h.spec("bridges:\n  - name: br0\n    ports: [{name: p1, access: 10}]\n", "br0.yaml")
    let none = try h.spec("bridges: []\n", "none.yaml")
    for (spec, flag) in [(onlyBr0, "--prune"), (none, "--prune-all")] {
      for command in ["plan", "apply"] {
        let run = try h.ovsvirt([command, spec, flag])
        #expect(run.status == 1, "\(command) \(flag): \(run.stdout)\(run.stderr)")
        #expect(
          run.stderr.contains("bridge 'old0': is not in the spec, but it holds ports ovsvirt did not create (hand1)"),
          "\(command) \(flag): \(run.stderr)")
        #expect(
          run.stderr.contains(
            "fake bridge 'f30': is not in the spec, but it holds ports ovsvirt did not create (hand2)")
            || flag == "--prune-all", "\(command) \(flag): \(run.stderr)")
      }
    }
    #expect(try h.dump() == before)
    // With those ports gone, the same prune goes through.
    _ = try h.vsctl("del-port", "hand1")
    _ = try h.vsctl("del-port", "hand2")
    let pruned = try h.apply(onlyBr0, ["--prune"])
    let removed = Set(pruned["ovs"]?["changes"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    #expect(
      removed == [
        "- bridge old0: ovsvirt-owned, not in the spec", "- port q1: with bridge old0",
        "- fake bridge f30: ovsvirt-owned, not in the spec", "- port p2: ovsvirt-owned, not in the spec",
      ], "\(removed)")
    #expect(try h.vsctl("list-br") == "br0")
  }

  /// The cluster form: this host's tunnels follow the host list, RSTP comes on for three hosts.
  @Test func meshFollowsTheHostList() async throws {
    let h = try await host()
    defer { h.db.stop() }
    func cluster(_ hosts: [String]) throws -> String {
      let entries = hosts.enumerated().map { "    - {name: \($0.element), ip: 10.1.0.\($0.offset + 1)}" }
      return try h.spec(
        "bridges:\n  - name: br0\ncluster:\n  bridge: br0\n  key: 77\n  hosts:\n" + entries.joined(separator: "\n")
          + "\n")
    }
    _ = try h.apply(try cluster(["n1", "n2", "n3"]), ["--host", "n1"])
    #expect(try h.vsctl("list-ports", "br0").split(separator: "\n") == ["vx-n2", "vx-n3"])
    #expect(try h.vsctl("get", "Interface", "vx-n3", "options") == "{key=\"77\", remote_ip=\"10.1.0.3\"}")
    #expect(try h.vsctl("get", "Bridge", "br0", "rstp_enable") == "true")

    let left = try h.apply(try cluster(["n1", "n2", "n4"]), ["--host", "n1"])
    let changes = Set(left["ovs"]?["changes"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    #expect(
      changes.contains("- tunnel vx-n3: no longer a peer of this host (n3 left the cluster, or the topology changed)"),
      "\(changes)")
    #expect(try h.vsctl("list-ports", "br0").split(separator: "\n") == ["vx-n2", "vx-n4"])
    #expect(try h.vsctl("get", "Interface", "vx-n4", "options:remote_ip") == "\"10.1.0.3\"")
    #expect(try h.apply(try cluster(["n1", "n2", "n4"]), ["--host", "n1"])["writes"] == 0)
  }

  /// A cluster moved from ovsvirt's VXLAN mesh to `engine: ovn`: apply removes the mesh tunnels and
  /// RSTP (OVN makes its own Geneve mesh on br-int) and writes the chassis settings; a second apply
  /// writes nothing.
  @Test func switchingTheClusterToOVNRemovesTheMesh() async throws {
    let h = try await host()
    defer { h.db.stop() }
    let northbound = try await PrivateCluster.start(size: 1)
    defer { northbound.stop() }
    let hosts =
      "  hosts:\n    - {name: n1, ip: 10.1.0.1}\n    - {name: n2, ip: 10.1.0.2}\n    - {name: n3, ip: 10.1.0.3}\n"
    _ = try h.apply(try h.spec("bridges:\n  - name: br0\ncluster:\n  bridge: br0\n" + hosts), ["--host", "n1"])
    #expect(try h.vsctl("list-ports", "br0").split(separator: "\n") == ["vx-n2", "vx-n3"])
    #expect(try h.vsctl("get", "Bridge", "br0", "rstp_enable") == "true")
    let ovn = try h.spec(
      "bridges:\n  - name: br0\ncluster:\n  bridge: br0\n  engine: ovn\n"
        + "  ovn: {southbound: \"tcp:10.1.0.9:6642\", northbound: \"\(northbound.remote(0))\"}\n" + hosts, "ovn.yaml")
    let moved = try h.apply(ovn, ["--host", "n1"])
    let changes = moved["ovs"]?["changes"]?.arrayValue?.compactMap(\.stringValue) ?? []
    #expect(changes.contains { $0.hasPrefix("- tunnel vx-n2") } && changes.contains { $0.hasPrefix("- tunnel vx-n3") })
    #expect(try h.vsctl("list-ports", "br0").isEmpty)
    #expect(try h.vsctl("get", "Bridge", "br0", "rstp_enable") == "false")
    #expect(try h.vsctl("get", "Open_vSwitch", ".", "external_ids:ovn-remote") == "\"tcp:10.1.0.9:6642\"")
    #expect(try h.apply(ovn, ["--host", "n1"])["writes"] == 0)
  }
}
