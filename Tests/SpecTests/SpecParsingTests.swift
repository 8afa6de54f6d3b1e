import Foundation
import OVSDB
import OVSVirt
import Testing
import TestSupport
import VSwitch
import VirtXML

/// The spec format read into a HostSpec: the seed 004 example, cluster derivation per host, names.
@Suite struct SpecParsingTests {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  @Test func seedExampleReadsAsWritten() throws {
    let spec = try SpecLoader.load(path: Self.repository + "/examples/seed004.yaml")
    #expect(spec.bridges.map(\.name.rawValue) == ["ovsbr0"])
    #expect(spec.fakeBridges.map { "\($0.name)@\($0.parent):\($0.vlan)" } == ["brlv140@ovsbr0:140"])
    let ports = Dictionary(uniqueKeysWithValues: spec.ports.map { ($0.name.rawValue, $0) })
    #expect(ports["ens3f4"]?.vlan.trunks.map(\.value) == [120, 130])
    #expect(ports["vlan120"]?.vlan.tag?.value == 120)
    #expect(ports["vlan120"]?.interfaces.first?.kind == .internal)
    #expect(ports["vxlan0"]?.interfaces.first?.options == ["remote_ip": "10.43.11.12"])
    #expect(spec.networks.map(\.definition.name) == ["ovsvl", "ovsvl2"])
    #expect(spec.networks[1].definition.portgroups.first?.isDefault == true)
    #expect(
      spec.attachments.map(\.target) == [.network("ovsvl", portgroup: nil), .network("ovsvl2", portgroup: "vlan-120")])
    // Every object knows its line, for messages about it later.
    #expect(spec.fakeBridges[0].location.line == 18)
  }

  @Test func meshGivesEachHostItsPeersWithStableNamesAndRSTP() throws {
    let path = Self.repository + "/examples/cluster.yaml"
    for (host, peers) in [
      ("node1", ["node2", "node3"]), ("node2", ["node1", "node3"]), ("node3", ["node1", "node2"]),
    ] {
      let spec = try SpecLoader.load(path: path, host: host)
      let tunnels = spec.ports.filter { $0.meshPeer != nil }
      #expect(tunnels.map(\.name.rawValue) == peers.map { "vx-\($0)" })
      #expect(tunnels.map { $0.interfaces[0].options["key"] } == [String?](repeating: "5000", count: 2))
      #expect(spec.bridges[0].rstp == true)
      #expect(spec.notes.contains { $0.contains("RSTP") })
    }
  }

  /// `engine: ovn`: chassis settings instead of tunnels, networks as logical switches, and the
  /// overlay's MTU budget (Geneve with OVN's options: 58 bytes over IPv4; 1442 crosses a 1500 underlay).
  @Test func ovnClusterGivesChassisSettingsLogicalSwitchesAndTheOverlayBudget() throws {
    func spec(_ networkMTU: String = "", encap: String = "geneve") throws(SpecError) -> HostSpec {
      try SpecLoader.parse(
        """
        bridges:
          - name: ovsbr0
            datapath_type: netdev
        networks:
          - name: ovsvl2
            bridge: ovsbr0
            portgroups: [{name: vlan-120, vlan: 120, default: true}]
          - name: tenant
            bridge: ovsbr0\(networkMTU)
        cluster:
          bridge: ovsbr0
          engine: ovn
          ovn: {southbound: "tcp:10.0.0.1:6642,tcp:10.0.0.2:6642", northbound: tcp:10.0.0.1:6641, encap: \(encap)}
          hosts:
            - {name: h1, ip: 172.31.0.1}
            - {name: h2, ip: 172.31.0.2}
        """, file: "cluster-ovn.yaml", host: "h2")
    }
    let loaded = try spec()
    let chassis = try #require(loaded.ovn)
    #expect(chassis.southbound == ["tcp:10.0.0.1:6642", "tcp:10.0.0.2:6642"])
    #expect(chassis.encapIP == "172.31.0.2" && chassis.physicalNetwork == "physnet-ovsbr0")
    #expect(loaded.ports.allSatisfy { $0.meshPeer == nil }, "no tunnels of ovsvirt's own with OVN")
    let marks = Dictionary(uniqueKeysWithValues: chassis.marks(current: [:]).map { ($0.key, $0.value) })
    #expect(marks["system-id"] == "h2" && marks["ovn-bridge-mappings"] == "physnet-ovsbr0:ovsbr0")
    #expect(chassis.marks(current: ["system-id": "kept"]).allSatisfy { $0.key != "system-id" })
    // ovn-ofctrl-wait-before-clear only when the spec says (it delays a wiped switch's first flows).
    #expect(marks["ovn-ofctrl-wait-before-clear"] == nil)
    func waiting(_ milliseconds: String) throws(SpecError) -> HostSpec {
      try SpecLoader.parse(
        """
        bridges: [{name: ovsbr0}]
        cluster:
          bridge: ovsbr0
          engine: ovn
          ovn: {southbound: "tcp:10.0.0.1:6642", ofctrl_wait_before_clear: \(milliseconds)}
          hosts: [{name: h1, ip: 172.31.0.1}]
        """, file: "wait.yaml", host: "h1")
    }
    #expect(try waiting("20000").ovn?.marks(current: [:]).contains { $0.value == "20000" } == true)
    #expect(throws: SpecError.self) { try waiting("-1") }
    #expect(
      loaded.logicalNetworks.map(\.switchName) == ["ovsvirt-ovsvl2-vlan-120", "ovsvirt-tenant"]
        && loaded.logicalNetworks[0].localnet?.vlan == 120 && loaded.logicalNetworks[1].localnet == nil)
    #expect(
      loaded.networks.allSatisfy {
        $0.definition.bridge == "br-int" && $0.definition.portgroups.allSatisfy { $0.vlan == nil }
      })
    #expect(
      loaded.notes.contains { $0.contains("overlay network tenant: guests fit at MTU ≤ 1442") }, "\(loaded.notes)")
    #expect(try spec(encap: "vxlan").notes.contains { $0.contains("MTU ≤ 1450") })
    #expect(throws: SpecError.self) { try spec("\n    mtu: 1500") }
    let fitting = try spec("\n    mtu: 1442")
    #expect(fitting.networks.first { $0.definition.name == "tenant" }?.guestMTU == 1442)
  }

  /// `ovn: {ssl: …}`: the files ovsvirt's Northbound connections use; a clustered database's remotes
  /// kept in order; with an ssl: southbound, the same files as the switch's SSL settings for ovn-controller.
  @Test func ovnSSLFilesAndClusteredRemotes() throws {
    let dir = try TemporaryDirectory.make("spec-ssl")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for name in ["key.pem", "cert.pem", "ca.pem"] {
      try "pem".write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8)
    }
    let loaded = try SpecLoader.parse(
      """
      bridges:
        - name: ovsbr0
      cluster:
        bridge: ovsbr0
        engine: ovn
        ovn:
          southbound: ssl:10.0.0.1:6642
          northbound: [ssl:10.0.0.1:6641, ssl:10.0.0.2:6641, ssl:10.0.0.3:6641]
          ssl: {private_key: \(dir)/key.pem, certificate: \(dir)/cert.pem, ca_cert: \(dir)/ca.pem}
        hosts:
          - {name: h1, ip: 172.31.0.1}
      """, file: "cluster-ovn.yaml", host: "h1")
    let chassis = try #require(loaded.ovn)
    #expect(chassis.northbound == ["ssl:10.0.0.1:6641", "ssl:10.0.0.2:6641", "ssl:10.0.0.3:6641"])
    #expect(
      chassis.tls
        == TLSFiles(privateKey: "\(dir)/key.pem", certificate: "\(dir)/cert.pem", caCertificate: "\(dir)/ca.pem"))
    #expect(
      chassis.controllerSSL
        == SwitchSSL(privateKey: "\(dir)/key.pem", certificate: "\(dir)/cert.pem", caCertificate: "\(dir)/ca.pem"))
  }

  @Test func starConnectsSpokesToTheHubOnly() throws {
    let text = """
      bridges:
        - name: br0
      cluster:
        bridge: br0
        topology: star
        hub: a
        hosts:
          - {name: a, ip: 10.0.0.1}
          - {name: b, ip: 10.0.0.2}
          - {name: c, ip: 10.0.0.3}
      """
    let hub = try SpecLoader.parse(text, file: "star.yaml", host: "a")
    #expect(hub.ports.map(\.name.rawValue) == ["vx-b", "vx-c"])
    let spoke = try SpecLoader.parse(text, file: "star.yaml", host: "c")
    #expect(spoke.ports.map(\.name.rawValue) == ["vx-a"])
    #expect(spoke.bridges[0].rstp == nil)
  }

  @Test func longHostNamesGetHashedNamesThatFitTheKernel() throws {
    let text = """
      bridges: [{name: br0}]
      cluster:
        bridge: br0
        type: geneve
        hosts:
          - {name: hypervisor-rack12-slot07.example.net, ip: 192.0.2.1}
          - {name: hypervisor-rack12-slot08.example.net, ip: 192.0.2.2}
      """
    let one = try SpecLoader.parse(text, file: "long.yaml", host: "hypervisor-rack12-slot07.example.net")
    let two = try SpecLoader.parse(text, file: "long.yaml", host: "hypervisor-rack12-slot07.example.net")
    let name = try #require(one.ports.first?.name.rawValue)
    #expect(name.hasPrefix("gnv-") && name.utf8.count <= 15)
    #expect(two.ports.first?.name.rawValue == name)
    #expect(one.ports.first?.interfaces.first?.kind == .geneve)
  }

  @Test func everyProblemIsReportedNotJustTheFirst() {
    let text = """
      bridges:
        - name: br0
          ports:
            - {name: p1, access: 5000}
            - {name: p2, trunks: "1,x"}
      """
    #expect {
      try SpecLoader.parse(text, file: "two.yaml")
    } throws: { error in
      guard let error = error as? SpecError else { return false }
      return error.problems.map(\.location.line) == [4, 5]
    }
  }

  /// What the file says about bridges decides how far --prune may reach: an empty file, or one that
  /// lists none, never prunes; `bridges: []` prunes everything only with --prune-all.
  @Test func pruneScopeFollowsWhatTheFileSaysAboutBridges() throws {
    let cases: [(text: String, statement: HostSpec.BridgeStatement, prune: Bool, pruneAll: Bool)] = [
      ("", .blankFile, false, false), ("# a comment\n\n", .blankFile, false, false),
      ("networks: []\n", .absent, false, false), ("bridges:\n", .absent, false, false),
      ("bridges: []\n", .emptyList, false, true), ("bridges:\n  - name: br0\n", .listed, true, false),
    ]
    for (text, statement, prune, pruneAll) in cases {
      let spec = try SpecLoader.parse(text, file: "s.yaml")
      #expect(spec.bridgeStatement == statement, "\(text.debugDescription)")
      #expect(try PruneScope(prune: false, pruneAll: false, spec: spec) == .off)
      #expect((try? PruneScope(prune: true, pruneAll: false, spec: spec)) == (prune ? .unnamed : nil), "\(text)")
      #expect((try? PruneScope(prune: false, pruneAll: true, spec: spec)) == (pruneAll ? .everything : nil), "\(text)")
    }
    // No caller gets past the check by building the scope itself.
    let schema = try DatabaseSchema(json: ["name": "Open_vSwitch", "tables": [:]])
    var txn = TransactionBuilder(snapshot: Replica(schema: schema, columns: [:]).snapshot)
    #expect(throws: SpecError.self) {
      try SwitchConverger(prune: .unnamed).plan(try SpecLoader.parse("", file: "s.yaml"), in: &txn)
    }
  }
}
