import Foundation
import OVSDB
import Testing
import TestSupport

/// `ovsvirt reconcile` on a real VM: ports deleted, retagged or stripped by hand come back as libvirt
/// says; a second run does nothing; a NIC whose VLAN cannot be resolved is parked on 4095.
@Suite(.blockingWork) struct ReconcileTests {
  @Test func restoresPortsAndParksTheUnresolvable() async throws {
    let env = try await VMEnvironment.require("rec")
    defer { env.cleanUp() }
    let (uri, db, virsh, vsctl, dir) = (env.uri, env.db, env.virsh, env.vsctl, env.directory)
    let id = getpid() % 100000
    let (vm, net1, net2, net3) = (
      "ovsvirt-test-rc-\(id)", "ovsvirt-test-rcvl-\(id)", "ovsvirt-test-rcvl2-\(id)", "ovsvirt-test-rcvl3-\(id)"
    )
    let common = ["--db", db]
    let libvirt = ["--connect", uri]
    func ovsvirt(_ args: [String]) throws -> CLI.Result { try CLI.run(args, in: dir) }
    let oracle = env.oracle
    defer {
      _ = try? oracle(virsh, ["-c", uri, "destroy", vm])
      _ = try? oracle(virsh, ["-c", uri, "undefine", vm])
      _ = try? ovsvirt(["net", "del", net1, "--if-exists"] + libvirt)
      _ = try? ovsvirt(["net", "del", net2, "--if-exists"] + libvirt)
      _ = try? ovsvirt(["net", "del", net3, "--if-exists"] + libvirt)
      _ = try? ovsvirt(["bridge", "del", "rcbr0", "--if-exists"] + common)
    }
    for step in [
      ["bridge", "add", "rcbr0", "--datapath-type", "netdev"] + common,
      ["bridge", "add", "rclv140", "--parent", "rcbr0", "--vlan", "140"] + common,
      ["net", "define", net1, "--bridge", "rclv140", "--vlan", "140", "--start"] + common + libvirt,
      ["net", "define", net2, "--bridge", "rcbr0", "--portgroup", "vlan-120=120", "--start"] + common + libvirt,
      ["net", "define", net3, "--bridge", "rcbr0", "--start"] + common + libvirt,
    ] {
      let result = try ovsvirt(step)
      try #require(result.status == 0, "\(step): \(result.stderr)")
    }
    try env.virsh(
      "create",
      xml: VMEnvironment.tinyVM(
        vm,
        interfaces: [net1, net2, net3].enumerated().map { index, network in
          let portgroup = network == net2 ? " portgroup='vlan-120'" : ""
          return
            "<interface type='network'><mac address='52:54:00:ec:00:0\(index + 1)'/><source network='\(network)'\(portgroup)/>"
            + "<virtualport type='openvswitch'/><model type='e1000'/></interface>"
        }))
    let nics = try VirtXMLFacade.interfaces(try oracle(virsh, ["-c", uri, "dumpxml", vm]))
    let (tap1, tap2) = (try #require(nics[0].target), try #require(nics[1].target))
    let (id1, id2) = (try #require(nics[0].interfaceID), try #require(nics[1].interfaceID))

    // What an OVS restart or a careless admin leaves behind.
    _ = try oracle(vsctl, ["--db=\(db)", "del-port", tap1])
    _ = try oracle(vsctl, ["--db=\(db)", "set", "Port", tap2, "tag=999"])
    _ = try oracle(vsctl, ["--db=\(db)", "remove", "Interface", tap2, "external_ids", "iface-id"])

    let fixed = try ovsvirt(["reconcile", "--domain", vm, "--json"] + common + libvirt)
    #expect(fixed.status == 0, "\(fixed.stderr)")
    let report = try JSONParser.parse(fixed.stdout)
    #expect((report["operations"]?.intValue ?? 0) > 0)
    #expect(try oracle(vsctl, ["--db=\(db)", "port-to-br", tap1]) == "rclv140")
    #expect(try oracle(vsctl, ["--db=\(db)", "get", "Port", tap1, "tag"]) == "140")
    #expect(try oracle(vsctl, ["--db=\(db)", "get", "Interface", tap1, "external_ids:iface-id"]) == "\"\(id1)\"")
    #expect(
      try oracle(vsctl, ["--db=\(db)", "get", "Interface", tap1, "external_ids:attached-mac"])
        == "\"52:54:00:ec:00:01\"")
    #expect(try oracle(vsctl, ["--db=\(db)", "get", "Port", tap2, "tag"]) == "120")
    #expect(try oracle(vsctl, ["--db=\(db)", "get", "Interface", tap2, "external_ids:iface-id"]) == "\"\(id2)\"")

    let again = try ovsvirt(["reconcile", "--domain", vm, "--json"] + common + libvirt)
    #expect(again.status == 0)
    #expect(try JSONParser.parse(again.stdout)["operations"] == 0)

    // The third NIC's (untagged) network vanishes while the VM runs: its VLAN can no longer be
    // known, so the port is parked on 4095 rather than left untagged (= every VLAN).
    let tap3 = try #require(nics[2].target)
    #expect(try oracle(vsctl, ["--db=\(db)", "get", "Port", tap3, "tag"]) == "[]")
    _ = try ovsvirt(["net", "del", net3] + libvirt)
    let parked = try ovsvirt(["reconcile", "--domain", vm] + common + libvirt)
    #expect(parked.status == 3)
    #expect(parked.stderr.contains("parked on VLAN 4095"))
    #expect(try oracle(vsctl, ["--db=\(db)", "get", "Port", tap3, "tag"]) == "4095")
    #expect(try oracle(vsctl, ["--db=\(db)", "get", "Port", tap2, "tag"]) == "120")

    // The second NIC's portgroup is removed from its (tagged) network: fail closed on 4095 too,
    // reported, never untagged.
    _ = try oracle(
      virsh,
      ["-c", uri, "net-update", net2, "delete", "portgroup", "<portgroup name='vlan-120'/>", "--live", "--config"])
    let gone = try ovsvirt(["reconcile", "--domain", vm] + common + libvirt)
    #expect(gone.status == 3)
    #expect(gone.stderr.contains("\(tap2): VLAN unknown"), "\(gone.stderr)")
    #expect(gone.stderr.contains("no portgroup 'vlan-120'"), "\(gone.stderr)")
    #expect(try oracle(vsctl, ["--db=\(db)", "get", "Port", tap2, "tag"]) == "4095")
    #expect(try oracle(vsctl, ["--db=\(db)", "get", "Port", tap2, "trunks"]) == "[]")
  }
}
