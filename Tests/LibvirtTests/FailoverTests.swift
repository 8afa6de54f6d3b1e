import Foundation
import OVSDB
import Testing
import TestSupport

/// The HA path end to end: a host set up from its spec with a running VM loses its OVS database
/// (daemons stopped, an empty database put in, daemons started: the state a failover partner or a
/// reinstalled OVS has); `apply SPEC && reconcile` brings back every bridge, fake bridge, tunnel
/// and VM port, the VM ports in one transaction; a second run writes nothing.
@Suite(.blockingWork) struct FailoverTests {
  @Test func applyAndReconcileRestoreTheHost() async throws {
    let env = try await VMEnvironment.require("fo", exclusive: true)
    defer { env.cleanUp() }
    let daemons = try Integration.environment("OVSVIRT_TEST_DAEMONS")
    let ovsDir = try Integration.environment("OVSVIRT_TEST_OVS_DIR")
    let (uri, db, dir) = (env.uri, env.db, env.directory)
    let id = getpid() % 100000
    let (bridge, fake, tunnel) = ("fobr\(id)", "folv\(id)", "fovx\(id)")
    let (vm, net1, net2) = ("ovsvirt-test-fo-\(id)", "ovsvirt-test-fovl-\(id)", "ovsvirt-test-fovl2-\(id)")
    let (mac1, mac2) = ("52:54:00:fa:00:01", "52:54:00:fa:00:02")
    let common = ["--db", db, "--connect", uri]
    func ovsvirt(_ args: [String]) throws -> CLI.Result { try CLI.run(args + common, in: dir) }
    defer { env.remove(domains: [vm], networks: [net1, net2], bridges: [bridge]) }
    let spec = try env.spec(
      """
      bridges:
        - name: \(bridge)
          datapath_type: netdev
          tunnels:
            - {name: \(tunnel), type: vxlan, remote_ip: 10.43.11.12, key: 140}
        - {name: \(fake), parent: \(bridge), vlan: 140}
      networks:
        - {name: \(net1), bridge: \(fake), vlan: 140}
        - name: \(net2)
          bridge: \(bridge)
          portgroups:
            - {name: vlan-120, vlan: 120, default: true}
            - {name: vlan-130, vlan: 130}
      domains:
        - name: \(vm)
          interfaces:
            - {mac: '\(mac1)', network: \(net1)}
            - {mac: '\(mac2)', network: \(net2), portgroup: vlan-120}
      """)

    // A defined VM whose NICs are not on OVS yet; apply moves them onto the spec's networks.
    try env.virsh(
      "define",
      xml: VMEnvironment.tinyVM(
        vm,
        interfaces: [mac1, mac2].map {
          "<interface type='bridge'><mac address='\($0)'/><source bridge='\(bridge)'/><model type='e1000'/></interface>"
        }))
    let setup = try ovsvirt(["apply", spec])
    try #require(setup.status == 0, "apply: \(setup.stdout) \(setup.stderr)")
    _ = try env.virsh("start", vm)
    let nics = try VirtXMLFacade.interfaces(try env.virsh("dumpxml", vm))
    let (tap1, tap2) = (try #require(nics[0].target), try #require(nics[1].target))
    let (id1, id2) = (try #require(nics[0].interfaceID), try #require(nics[1].interfaceID))
    #expect(try env.vsctl("get", "Port", tap1, "tag") == "140")
    #expect(try env.vsctl("get", "Port", tap2, "tag") == "120")

    // The failover: OVS comes back with nothing in it.
    _ = try env.oracle(daemons, ["ovs-restart-empty", ovsDir])
    #expect(try env.vsctl("list-br") == "")

    let applied = try ovsvirt(["apply", spec, "--json"])
    #expect(applied.status == 0, "\(applied.stderr)")
    let reconciled = try ovsvirt(["reconcile", "--json"])
    #expect(reconciled.status == 0, "\(reconciled.stderr)")
    #expect(try JSONParser.parse(reconciled.stdout)["ports"] == 2)

    #expect(try env.vsctl("br-exists", bridge) == "")
    #expect(try env.vsctl("get", "Bridge", bridge, "datapath_type") == "netdev")
    #expect(try env.vsctl("br-to-parent", fake) == bridge)
    #expect(try env.vsctl("br-to-vlan", fake) == "140")
    #expect(try env.vsctl("get", "Interface", tunnel, "type") == "vxlan")
    #expect(try env.vsctl("get", "Interface", tunnel, "options") == "{key=\"140\", remote_ip=\"10.43.11.12\"}")
    #expect(try env.vsctl("port-to-br", tap1) == fake)
    #expect(try env.vsctl("get", "Port", tap1, "tag") == "140")
    #expect(try env.vsctl("get", "Port", tap2, "tag") == "120")
    #expect(try env.vsctl("get", "Interface", tap1, "external_ids:iface-id") == "\"\(id1)\"")
    #expect(try env.vsctl("get", "Interface", tap2, "external_ids:iface-id") == "\"\(id2)\"")
    #expect(try env.vsctl("get", "Interface", tap2, "external_ids:attached-mac") == "\"\(mac2)\"")
    // Both VM ports came back in one transaction: the database log has one reconcile record.
    let log = try env.oracle("/usr/bin/ovsdb-tool", ["show-log", ovsDir + "/conf.db"])
    #expect(log.components(separatedBy: "ovsvirt reconcile").count - 1 == 1, "\(log)")

    // Nothing left to do, and nothing written.
    let again = try ovsvirt(["apply", spec, "--json"])
    #expect(try JSONParser.parse(again.stdout)["writes"] == 0, "\(again.stdout)")
    let reconciledAgain = try ovsvirt(["reconcile", "--json"])
    #expect(try JSONParser.parse(reconciledAgain.stdout)["operations"] == 0)
    let logAfter = try env.oracle("/usr/bin/ovsdb-tool", ["show-log", ovsDir + "/conf.db"])
    #expect(logAfter.components(separatedBy: "ovsvirt").count == log.components(separatedBy: "ovsvirt").count)
  }
}
