import Foundation
import OVSDB
import Testing
import TestSupport

/// Every seed 004 OVS step and more, each done twice on two fresh databases: once with ovs-vsctl,
/// once with ovsvirt. The two `ovsdb-client dump`s must describe the same switch.
@Suite(.blockingWork) struct ParityTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var vsctl: [[String]]
    var ovsvirt: [[String]]
    var testDescription: String { name }
  }

  static let base = (vsctl: [["add-br", "ovsbr0"]], ovsvirt: [["bridge", "add", "ovsbr0"]])

  /// Steps on top of a bridge ovsbr0 (both tools create it their own way first).
  static func onBridge(_ name: String, _ vsctl: [[String]], _ ovsvirt: [[String]]) -> Case {
    Case(name: name, vsctl: base.vsctl + vsctl, ovsvirt: base.ovsvirt + ovsvirt)
  }

  static let cases: [Case] = [
    // Seed 004, step by step.
    Case(name: "seed: add-br ovsbr0", vsctl: [["add-br", "ovsbr0"]], ovsvirt: [["bridge", "add", "ovsbr0"]]),
    Case(
      name: "seed: netdev bridge",
      vsctl: [["add-br", "ovsbr0", "--", "set", "Bridge", "ovsbr0", "datapath_type=netdev"]],
      ovsvirt: [["bridge", "add", "ovsbr0", "--datapath-type", "netdev"]]),
    onBridge(
      "seed: fake VLAN bridge brlv140", [["add-br", "brlv140", "ovsbr0", "140"]],
      [["bridge", "add", "brlv140", "--parent", "ovsbr0", "--vlan", "140"]]),
    onBridge(
      "seed: internal access port vlan120",
      [["add-port", "ovsbr0", "vlan120", "tag=120", "--", "set", "interface", "vlan120", "type=internal"]],
      [["port", "add", "ovsbr0", "vlan120", "--access", "120", "--internal"]]),
    onBridge(
      "seed: trunk uplink ens3f4", [["add-port", "ovsbr0", "ens3f4"], ["set", "port", "ens3f4", "trunks=120,130"]],
      [["port", "add", "ovsbr0", "ens3f4", "--trunk", "120,130"]]),
    onBridge(
      "seed: vxlan0 to 10.43.11.12",
      [
        [
          "add-port", "ovsbr0", "vxlan0", "--", "set", "Interface", "vxlan0", "type=vxlan",
          "options:remote_ip=10.43.11.12",
        ]
      ],
      [["tunnel", "add", "ovsbr0", "vxlan0", "--type", "vxlan", "--remote-ip", "10.43.11.12"]]),
    Case(
      name: "seed: the whole host",
      vsctl: [
        ["add-br", "ovsbr0"], ["add-br", "brlv140", "ovsbr0", "140"],
        ["add-port", "ovsbr0", "vlan120", "tag=120", "--", "set", "interface", "vlan120", "type=internal"],
        ["add-port", "ovsbr0", "ens3f4"], ["set", "port", "ens3f4", "trunks=120,130"],
        [
          "add-port", "ovsbr0", "vxlan0", "--", "set", "Interface", "vxlan0", "type=vxlan",
          "options:remote_ip=10.43.11.12",
        ],
        ["add-port", "brlv140", "vnet0"],
      ],
      ovsvirt: [
        ["bridge", "add", "ovsbr0"], ["bridge", "add", "brlv140", "--parent", "ovsbr0", "--vlan", "140"],
        ["port", "add", "ovsbr0", "vlan120", "--access", "120", "--internal"],
        ["port", "add", "ovsbr0", "ens3f4", "--trunk", "120,130"],
        ["tunnel", "add", "ovsbr0", "vxlan0", "--remote-ip", "10.43.11.12"], ["port", "add", "brlv140", "vnet0"],
      ]),
    // VLAN modes.
    onBridge(
      "access port", [["add-port", "ovsbr0", "p1", "tag=10"]], [["port", "add", "ovsbr0", "p1", "--access", "10"]]),
    onBridge("untagged port", [["add-port", "ovsbr0", "p1"]], [["port", "add", "ovsbr0", "p1"]]),
    onBridge(
      "vlan_mode access", [["add-port", "ovsbr0", "p1", "tag=10", "vlan_mode=access"]],
      [["port", "add", "ovsbr0", "p1", "--access", "10", "--vlan-mode", "access"]]),
    onBridge(
      "vlan_mode trunk", [["add-port", "ovsbr0", "p1", "trunks=10,20", "vlan_mode=trunk"]],
      [["port", "add", "ovsbr0", "p1", "--trunk", "10,20", "--vlan-mode", "trunk"]]),
    onBridge(
      "native-tagged", [["add-port", "ovsbr0", "p1", "tag=10", "trunks=10,20,30", "vlan_mode=native-tagged"]],
      [["port", "add", "ovsbr0", "p1", "--native", "10", "--trunk", "10,20,30", "--vlan-mode", "native-tagged"]]),
    onBridge(
      "native-untagged (the default for --native)",
      [["add-port", "ovsbr0", "p1", "tag=10", "trunks=20,30", "vlan_mode=native-untagged"]],
      [["port", "add", "ovsbr0", "p1", "--native", "10", "--trunk", "20,30"]]),
    onBridge(
      "dot1q-tunnel", [["add-port", "ovsbr0", "p1", "tag=100", "vlan_mode=dot1q-tunnel"]],
      [["port", "add", "ovsbr0", "p1", "--access", "100", "--vlan-mode", "dot1q-tunnel"]]),
    onBridge(
      "trunk range", [["add-port", "ovsbr0", "p1", "trunks=200,201,202,203,300"]],
      [["port", "add", "ovsbr0", "p1", "--trunk", "200-203,300"]]),
    // Tunnels.
    onBridge(
      "vxlan with key, local_ip, dst_port",
      [
        [
          "add-port", "ovsbr0", "vx1", "--", "set", "Interface", "vx1", "type=vxlan", "options:remote_ip=10.0.0.2",
          "options:local_ip=10.0.0.1", "options:key=5001", "options:dst_port=8472",
        ]
      ],
      [
        [
          "tunnel", "add", "ovsbr0", "vx1", "--type", "vxlan", "--remote-ip", "10.0.0.2", "--local-ip", "10.0.0.1",
          "--key", "5001", "--dst-port", "8472",
        ]
      ]),
    onBridge(
      "vxlan flow-based",
      [
        [
          "add-port", "ovsbr0", "vx1", "--", "set", "Interface", "vx1", "type=vxlan", "options:remote_ip=flow",
          "options:key=flow",
        ]
      ],
      [["tunnel", "add", "ovsbr0", "vx1", "--remote-ip", "flow", "--key", "flow"]]),
    onBridge(
      "vxlan over IPv6",
      [["add-port", "ovsbr0", "vx6", "--", "set", "Interface", "vx6", "type=vxlan", "options:remote_ip=fd00::12"]],
      [["tunnel", "add", "ovsbr0", "vx6", "--remote-ip", "fd00::12"]]),
    onBridge(
      "geneve with key",
      [
        [
          "add-port", "ovsbr0", "gnv0", "--", "set", "Interface", "gnv0", "type=geneve", "options:remote_ip=10.0.0.3",
          "options:key=77",
        ]
      ],
      [["tunnel", "add", "ovsbr0", "gnv0", "--type", "geneve", "--remote-ip", "10.0.0.3", "--key", "77"]]),
    onBridge(
      "gre with key and local_ip",
      [
        [
          "add-port", "ovsbr0", "gre0", "--", "set", "Interface", "gre0", "type=gre", "options:remote_ip=10.0.0.4",
          "options:local_ip=10.0.0.1", "options:key=4000000000",
        ]
      ],
      [
        [
          "tunnel", "add", "ovsbr0", "gre0", "--type", "gre", "--remote-ip", "10.0.0.4", "--local-ip", "10.0.0.1",
          "--key", "4000000000",
        ]
      ]),
    // Bonds.
    onBridge(
      "LACP bond", [["add-bond", "ovsbr0", "bond0", "eth1", "eth2", "lacp=active"]],
      [["port", "add", "ovsbr0", "bond0", "--bond", "eth1,eth2", "--lacp", "active"]]),
    onBridge(
      "balance-slb bond with a trunk",
      [["add-bond", "ovsbr0", "bond1", "eth3", "eth4", "bond_mode=balance-slb", "trunks=120,130"]],
      [["port", "add", "ovsbr0", "bond1", "--bond", "eth3,eth4", "--bond-mode", "balance-slb", "--trunk", "120,130"]]),
    // Fake bridges.
    onBridge(
      "port on a fake bridge takes its VLAN",
      [["add-br", "brlv140", "ovsbr0", "140"], ["add-port", "brlv140", "vm1"]],
      [["bridge", "add", "brlv140", "--parent", "ovsbr0", "--vlan", "140"], ["port", "add", "brlv140", "vm1"]]),
    onBridge(
      "delete a fake bridge with ports on it",
      [
        ["add-br", "brlv140", "ovsbr0", "140"], ["add-port", "brlv140", "vm1"],
        ["add-port", "ovsbr0", "keep", "tag=120"], ["del-br", "brlv140"],
      ],
      [
        ["bridge", "add", "brlv140", "--parent", "ovsbr0", "--vlan", "140"], ["port", "add", "brlv140", "vm1"],
        ["port", "add", "ovsbr0", "keep", "--access", "120"], ["bridge", "del", "brlv140"],
      ]),
    onBridge(
      "delete a parent with a fake bridge",
      [["add-br", "brlv140", "ovsbr0", "140"], ["add-port", "brlv140", "vm1"], ["del-br", "ovsbr0"]],
      [
        ["bridge", "add", "brlv140", "--parent", "ovsbr0", "--vlan", "140"], ["port", "add", "brlv140", "vm1"],
        ["bridge", "del", "ovsbr0"],
      ]),
    // Deletes and changes.
    onBridge(
      "delete a port", [["add-port", "ovsbr0", "p1", "tag=5"], ["add-port", "ovsbr0", "p2"], ["del-port", "p1"]],
      [["port", "add", "ovsbr0", "p1", "--access", "5"], ["port", "add", "ovsbr0", "p2"], ["port", "del", "p1"]]),
    onBridge(
      "delete a bridge with ports", [["add-port", "ovsbr0", "p1"], ["add-br", "other"], ["del-br", "ovsbr0"]],
      [["port", "add", "ovsbr0", "p1"], ["bridge", "add", "other"], ["bridge", "del", "ovsbr0"]]),
    onBridge(
      "delete a tunnel",
      [
        ["add-port", "ovsbr0", "vx1", "--", "set", "Interface", "vx1", "type=vxlan", "options:remote_ip=10.0.0.2"],
        ["del-port", "vx1"],
      ],
      [["tunnel", "add", "ovsbr0", "vx1", "--remote-ip", "10.0.0.2"], ["tunnel", "del", "vx1"]]),
    onBridge(
      "retag an access port", [["add-port", "ovsbr0", "p1", "tag=120"], ["set", "port", "p1", "tag=130"]],
      [["port", "add", "ovsbr0", "p1", "--access", "120"], ["port", "set", "p1", "--access", "130"]]),
    onBridge(
      "access port becomes a trunk",
      [
        ["add-port", "ovsbr0", "p1", "tag=120"], ["clear", "port", "p1", "tag"],
        ["set", "port", "p1", "trunks=120,130"],
      ],
      [["port", "add", "ovsbr0", "p1", "--access", "120"], ["port", "set", "p1", "--trunk", "120,130"]]),
    onBridge(
      "mtu_request on an internal port",
      [["add-port", "ovsbr0", "p1", "--", "set", "Interface", "p1", "type=internal", "mtu_request=2000"]],
      [["port", "add", "ovsbr0", "p1", "--internal", "--mtu", "2000"]]),
    onBridge(
      "port external_ids", [["add-port", "ovsbr0", "p1", "external_ids:vm-id=web1", "external_ids:role=uplink"]],
      [["port", "add", "ovsbr0", "p1", "--external-id", "vm-id=web1", "--external-id", "role=uplink"]]),
    onBridge(
      "may-exist with the same settings changes nothing",
      [["add-port", "ovsbr0", "p1", "tag=7"], ["--may-exist", "add-port", "ovsbr0", "p1", "tag=7"]],
      [
        ["port", "add", "ovsbr0", "p1", "--access", "7"],
        ["port", "add", "ovsbr0", "p1", "--access", "7", "--may-exist"],
      ]),
    Case(
      name: "bridge external_ids and other_config",
      vsctl: [
        [
          "add-br", "br9", "--", "set", "Bridge", "br9", "external_ids:site=dc1",
          "other_config:hwaddr=02:00:00:00:00:09",
        ]
      ],
      ovsvirt: [["bridge", "add", "br9", "--external-id", "site=dc1", "--other-config", "hwaddr=02:00:00:00:00:09"]]),
    Case(
      name: "patch ports between two bridges",
      vsctl: [
        ["add-br", "br-a"], ["add-br", "br-b"],
        ["add-port", "br-a", "pa", "--", "set", "Interface", "pa", "type=patch", "options:peer=pb"],
        ["add-port", "br-b", "pb", "--", "set", "Interface", "pb", "type=patch", "options:peer=pa"],
      ],
      ovsvirt: [
        ["bridge", "add", "br-a"], ["bridge", "add", "br-b"], ["port", "add", "br-a", "pa", "--patch-peer", "pb"],
        ["port", "add", "br-b", "pb", "--patch-peer", "pa"],
      ]),
    onBridge(
      "port other_config", [["add-port", "ovsbr0", "p1", "other_config:priority-tags=true"]],
      [["port", "add", "ovsbr0", "p1", "--other-config", "priority-tags=true"]]),
    onBridge(
      "if-exists on a missing port", [["--if-exists", "del-port", "ghost"]], [["port", "del", "ghost", "--if-exists"]]),
  ]

  @Test(arguments: cases)
  func sameDatabaseAsOVSVsctl(_ parity: Case) async throws {
    _ = try Integration.program("ovs-vsctl")
    _ = try Integration.program("ovsdb-client")
    let reference = try await PrivateOVSDB.start()
    defer { reference.stop() }
    let ours = try await PrivateOVSDB.start()
    defer { ours.stop() }
    for step in parity.vsctl {
      _ = try reference.oracle("ovs-vsctl", arguments: ["--no-wait"] + step)
    }
    for step in parity.ovsvirt {
      let result = try CLI.run(step + ["--db", ours.remote], in: ours.sandbox.directory)
      try #require(result.status == 0, "ovsvirt \(step.joined(separator: " ")): \(result.stderr)")
    }
    let expected = try DatabaseDump(json: try reference.oracle("ovsdb-client", "dump", "-f", "json", "Open_vSwitch"))
    let actual = try DatabaseDump(json: try ours.oracle("ovsdb-client", "dump", "-f", "json", "Open_vSwitch"))
    #expect(
      actual == expected,
      "differences (ovsvirt vs ovs-vsctl):\n\(actual.difference(from: expected).joined(separator: "\n"))")
  }

  @Test func everyOwnedRowIsMarked() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    for step in [["bridge", "add", "ovsbr0"], ["port", "add", "ovsbr0", "p1", "--access", "5"]] {
      _ = try CLI.run(step + ["--db", db.remote], in: db.sandbox.directory)
    }
    for (table, name) in [
      ("Bridge", "ovsbr0"), ("Port", "ovsbr0"), ("Interface", "ovsbr0"), ("Port", "p1"), ("Interface", "p1"),
    ] {
      #expect(
        try db.oracle("ovs-vsctl", "get", table, name, "external_ids:ovsvirt-owner") == "ovsvirt\n", "\(table) \(name)")
    }
  }
}
