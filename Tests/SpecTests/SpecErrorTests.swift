import Foundation
import OVSDB
import Testing
import TestSupport

/// Bad specs through the CLI: each one exits 1, names file:line and the fix on stderr, and the
/// database is byte-for-byte what it was (ovsdb-client dump before = after).
@Suite(.blockingWork) struct SpecErrorTests {
  struct BadSpec: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var line: Int
    var reason: String
    var host: String? = nil
    var testDescription: String { name }
  }

  static let bridge = "bridges:\n  - name: br0\n"

  static let specs: [BadSpec] = [
    BadSpec(
      name: "YAML syntax", yaml: "bridges:\n  - name: br0\n    ports: [p1\n", line: 4, reason: "YAML syntax error"),
    BadSpec(
      name: "unknown top-level key", yaml: "bridgez:\n  - name: br0\n", line: 1, reason: "did you mean 'bridges'"),
    BadSpec(
      name: "unknown port key", yaml: bridge + "    ports:\n      - name: p1\n        acess: 10\n", line: 5,
      reason: "unknown key 'acess'"),
    BadSpec(name: "list expected", yaml: bridge + "    ports: eth1\n", line: 3, reason: "expected a list"),
    BadSpec(
      name: "number expected", yaml: bridge + "    ports:\n      - {name: p1, access: ten}\n", line: 4,
      reason: "expected a whole number"),
    BadSpec(
      name: "VLAN out of range", yaml: bridge + "    ports:\n      - {name: p1, access: 5000}\n", line: 4,
      reason: "VLAN 5000 is outside 0–4095"),
    BadSpec(
      name: "bad trunk list", yaml: bridge + "    ports:\n      - {name: p1, trunks: \"120,abc\"}\n", line: 4,
      reason: "'abc' is not a VLAN id"),
    BadSpec(
      name: "access and trunks without a mode",
      yaml: bridge + "    ports:\n      - {name: p1, access: 10, trunks: [20]}\n", line: 4,
      reason: "both an access tag and trunks"),
    BadSpec(
      name: "duplicate port", yaml: bridge + "    ports:\n      - name: p1\n      - name: p1\n", line: 5,
      reason: "the name 'p1' is used twice (also at line 4)"),
    BadSpec(
      name: "port named like a bridge", yaml: bridge + "    ports:\n      - name: br0\n", line: 4,
      reason: "the name 'br0' is used twice"),
    BadSpec(
      name: "name too long", yaml: bridge + "    ports:\n      - name: a-very-long-name16\n", line: 4,
      reason: "longer than the kernel's limit of 15"),
    BadSpec(
      name: "unknown parent", yaml: bridge + "  - {name: brlv140, parent: nobr, vlan: 140}\n", line: 3,
      reason: "parent 'nobr' is not a bridge of this spec"),
    BadSpec(
      name: "fake bridge on a fake bridge",
      yaml: bridge + "  - {name: f1, parent: br0, vlan: 10}\n  - {name: f2, parent: f1, vlan: 20}\n", line: 4,
      reason: "is itself a fake bridge"),
    BadSpec(
      name: "two fake bridges for one VLAN",
      yaml: bridge + "  - {name: f1, parent: br0, vlan: 10}\n  - {name: f2, parent: br0, vlan: 10}\n", line: 4,
      reason: "is already fake bridge 'f1'"),
    BadSpec(
      name: "remote_ip not an address",
      yaml: bridge + "    tunnels:\n      - {name: vx1, remote_ip: 10.0.0.300}\n", line: 4,
      reason: "is not an IPv4 or IPv6 address"),
    BadSpec(
      name: "tunnel to self (loopback)", yaml: bridge + "    tunnels:\n      - {name: vx1, remote_ip: 127.0.0.1}\n",
      line: 4, reason: "goes to this host itself"),
    BadSpec(
      name: "tunnel to self (own cluster address)",
      yaml: bridge
        + "    tunnels:\n      - {name: vx1, remote_ip: 10.0.0.1}\ncluster:\n  bridge: br0\n  hosts:\n    - {name: a, ip: 10.0.0.1}\n    - {name: b, ip: 10.0.0.2}\n",
      line: 4, reason: "goes to this host itself", host: "a"),
    BadSpec(
      name: "VNI above 24 bits",
      yaml: bridge + "    tunnels:\n      - {name: vx1, remote_ip: 10.0.0.2, key: 16777216}\n",
      line: 4, reason: "is not a VNI"),
    BadSpec(
      name: "bond of one", yaml: bridge + "    ports:\n      - {name: bond0, bond: [eth1]}\n", line: 4,
      reason: "a bond needs at least two members"),
    BadSpec(
      name: "lacp without a bond", yaml: bridge + "    ports:\n      - {name: p1, lacp: active}\n", line: 4,
      reason: "'lacp' applies to bonds only"),
    BadSpec(
      name: "MTU out of range", yaml: bridge + "    ports:\n      - {name: p1, mtu: 10}\n", line: 4,
      reason: "MTU 10 is out of range"),
    BadSpec(
      name: "key given twice", yaml: bridge + "    datapath_type: netdev\n    datapath_type: system\n", line: 3,
      reason: "gives 'datapath_type' twice"),
    BadSpec(
      name: "network on an unknown bridge", yaml: bridge + "networks:\n  - {name: n1, bridge: nobr}\n", line: 4,
      reason: "bridge 'nobr' is not a bridge of this spec"),
    BadSpec(
      name: "network VLAN against its fake bridge",
      yaml: bridge + "  - {name: f1, parent: br0, vlan: 140}\nnetworks:\n  - {name: n1, bridge: f1, vlan: 150}\n",
      line: 5,
      reason: "asks VLAN 150"),
    BadSpec(
      name: "unknown portgroup",
      yaml: bridge
        + "networks:\n  - {name: n1, bridge: br0, portgroups: [{name: pg1, vlan: 10}]}\ndomains:\n  - name: vm1\n    interfaces:\n      - {mac: '52:54:00:00:00:01', network: n1, portgroup: pg2}\n",
      line: 8, reason: "network 'n1' has no portgroup 'pg2'"),
    BadSpec(
      name: "bad MAC",
      yaml: bridge + "domains:\n  - name: vm1\n    interfaces:\n      - {mac: '52:54:00:zz:00:01', bridge: br0}\n",
      line: 6,
      reason: "is not a unicast MAC address"),
    BadSpec(
      name: "duplicate MAC",
      yaml: bridge
        + "domains:\n  - name: vm1\n    interfaces:\n      - {mac: '52:54:00:00:00:01', bridge: br0}\n  - name: vm2\n    interfaces:\n      - {mac: '52:54:00:00:00:01', bridge: br0}\n",
      line: 9, reason: "MAC 52:54:00:00:00:01 is already used"),
    BadSpec(
      name: "host not in the cluster",
      yaml: bridge
        + "cluster:\n  bridge: br0\n  hosts:\n    - {name: a, ip: 10.0.0.1}\n    - {name: b, ip: 10.0.0.2}\n",
      line: 6, reason: "this host 'zz' is not in cluster.hosts", host: "zz"),
    BadSpec(
      name: "mesh of three without RSTP",
      yaml: bridge
        + "    rstp: false\ncluster:\n  bridge: br0\n  hosts:\n    - {name: a, ip: 10.0.0.1}\n    - {name: b, ip: 10.0.0.2}\n    - {name: c, ip: 10.0.0.3}\n",
      line: 2, reason: "loops broadcasts without RSTP", host: "a"),
    BadSpec(
      name: "star without a hub",
      yaml: bridge
        + "cluster:\n  bridge: br0\n  topology: star\n  hosts:\n    - {name: a, ip: 10.0.0.1}\n    - {name: b, ip: 10.0.0.2}\n",
      line: 4, reason: "a star needs 'hub'", host: "a"),
    BadSpec(
      name: "two hosts with one address",
      yaml: bridge
        + "cluster:\n  bridge: br0\n  hosts:\n    - {name: a, ip: 10.0.0.1}\n    - {name: b, ip: 10.0.0.1}\n",
      line: 7, reason: "has the same ip as 'a'", host: "a"),
    BadSpec(
      name: "ssl northbound without a CA",
      yaml: bridge + ovn(northbound: "ssl:10.0.0.1:6641"), line: 8,
      reason: "an ssl: Northbound remote needs keys and the CA certificate", host: "a"),
    BadSpec(
      name: "ssl files that cannot be read",
      yaml: bridge + ovn(northbound: "ssl:10.0.0.1:6641", ssl: "{ca_cert: /nonexistent/ca.pem}"), line: 9,
      reason: "ssl ca_cert '/nonexistent/ca.pem' cannot be read", host: "a"),
    BadSpec(
      name: "ssl southbound without ovn-controller's key",
      yaml: bridge
        + ovn(northbound: "tcp:10.0.0.1:6641", ssl: "{ca_cert: /etc/hostname}", southbound: "ssl:10.0.0.1:6642"),
      line: 9, reason: "ovn-controller's ssl: Southbound connection needs a private_key and certificate", host: "a"),
  ]

  /// An `engine: ovn` cluster of one host `a`, its ovn: block at line 6.
  static func ovn(northbound: String, ssl: String? = nil, southbound: String = "tcp:10.0.0.1:6642") -> String {
    "cluster:\n  bridge: br0\n  engine: ovn\n  ovn:\n    southbound: \(southbound)\n    northbound: \(northbound)\n"
      + (ssl.map { "    ssl: \($0)\n" } ?? "") + "  hosts:\n    - {name: a, ip: 10.0.0.1}\n"
  }

  @Test(arguments: specs)
  func refusedWithFileLineAndNothingChanged(_ bad: BadSpec) async throws {
    _ = try Integration.program("ovsdb-client")
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let dir = db.sandbox.directory
    // Something already there, which a refused spec must leave alone.
    let good = dir + "/good.yaml"
    try "bridges:\n  - name: keep0\n    ports: [{name: k1, access: 7}]\n".write(
      toFile: good, atomically: true, encoding: .utf8)
    let applied = try CLI.run(["apply", good, "--db", db.remote, "--no-wait"], in: dir)
    try #require(applied.status == 0, "\(applied.stderr)")
    let before = try db.oracle("ovsdb-client", "dump", "Open_vSwitch")

    let file = dir + "/bad.yaml"
    try bad.yaml.write(toFile: file, atomically: true, encoding: .utf8)
    for command in ["plan", "apply"] {
      let result = try CLI.run(
        [command, file, "--db", db.remote, "--no-wait"] + (bad.host.map { ["--host", $0] } ?? []), in: dir)
      #expect(result.status == 1, "\(command) exit \(result.status): \(result.stderr)")
      #expect(result.stderr.contains("\(file):\(bad.line):"), "\(command) stderr: \(result.stderr)")
      #expect(result.stderr.contains(bad.reason), "\(command) stderr: \(result.stderr)")
      #expect(result.stderr.contains("nothing changed"))
    }
    #expect(try db.oracle("ovsdb-client", "dump", "Open_vSwitch") == before)
  }
}
