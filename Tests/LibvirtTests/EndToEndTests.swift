import Foundation
import Testing
import OVSDB
import TestSupport

/// Seed 004 end to end, on the private libvirtd and OVS of scripts/test: ovsvirt makes the bridges
/// and networks and wires a real (TCG, 64 MiB, diskless) VM's two NICs; OVS is then asked, not
/// ovsvirt, whether the taps carry the right tags and iface-ids; a live VLAN change follows.
@Suite(.blockingWork) struct EndToEndTests {
  @Test func seedHostWithARealVM() async throws {
    let env = try await VMEnvironment.require("e2e")
    defer { env.cleanUp() }
    let (uri, db, virsh, vsctl, dir) = (env.uri, env.db, env.virsh, env.vsctl, env.directory)
    let id = getpid() % 100000
    let (vm, ovsvl, ovsvl2) = ("ovsvirt-test-vm-\(id)", "ovsvirt-test-ovsvl-\(id)", "ovsvirt-test-ovsvl2-\(id)")
    let common = ["--db", db]
    let libvirt = ["--connect", uri]
    func ovsvirt(_ args: [String]) throws {
      let result = try CLI.run(args, in: dir)
      try #require(result.status == 0, "ovsvirt \(args.joined(separator: " ")): \(result.stderr)")
    }
    let oracle = env.oracle
    defer {
      _ = try? oracle(virsh, ["-c", uri, "destroy", vm])
      _ = try? oracle(virsh, ["-c", uri, "undefine", vm])
      _ = try? CLI.run(["net", "del", ovsvl, "--if-exists"] + libvirt, in: dir)
      _ = try? CLI.run(["net", "del", ovsvl2, "--if-exists"] + libvirt, in: dir)
      _ = try? CLI.run(["bridge", "del", "ovsbr0", "--if-exists"] + common, in: dir)
    }

    // OVS: the bridge and the fake VLAN bridge.
    try ovsvirt(["bridge", "add", "ovsbr0", "--datapath-type", "netdev"] + common)
    try ovsvirt(["bridge", "add", "brlv140", "--parent", "ovsbr0", "--vlan", "140"] + common)
    // libvirt: ovsvl on brlv140 with VLAN 140, ovsvl2 on ovsbr0 with portgroups.
    try ovsvirt(["net", "define", ovsvl, "--bridge", "brlv140", "--vlan", "140", "--start"] + common + libvirt)
    try ovsvirt(
      [
        "net", "define", ovsvl2, "--bridge", "ovsbr0", "--portgroup", "vlan-120=120", "--portgroup", "vlan-130=130",
        "--start",
      ]
        + common + libvirt)
    // A tiny VM with two NICs, wired by ovsvirt while it is stopped, then started.
    try env.virsh(
      "define",
      xml: VMEnvironment.tinyVM(
        vm,
        interfaces: [
          "<interface type='user'><mac address='52:54:00:e2:e0:01'/><model type='e1000'/></interface>",
          "<interface type='user'><mac address='52:54:00:e2:e0:02'/><model type='e1000'/></interface>",
        ]))
    try ovsvirt(["attach", vm, "--mac", "52:54:00:e2:e0:01", "--network", ovsvl] + libvirt)
    try ovsvirt(["attach", vm, "--mac", "52:54:00:e2:e0:02", "--network", ovsvl2, "--portgroup", "vlan-120"] + libvirt)
    _ = try oracle(virsh, ["-c", uri, "start", vm])

    // Ask OVS: each tap is a port with the NIC's VLAN and the interfaceid of the domain XML.
    let live = try oracle(virsh, ["-c", uri, "dumpxml", vm])
    let tree = try VirtXMLFacade.interfaces(live)
    #expect(tree.count == 2)
    for (nic, tag) in zip(tree, ["140", "120"]) {
      let tap = try #require(nic.target, "no tap for \(nic.mac)")
      let interfaceID = try #require(nic.interfaceID)
      #expect(try oracle(vsctl, ["--db=\(db)", "get", "Port", tap, "tag"]) == tag, "\(tap)")
      #expect(
        try oracle(vsctl, ["--db=\(db)", "get", "Interface", tap, "external_ids:iface-id"]) == "\"\(interfaceID)\"")
    }

    // ovsvirt's own view agrees: both NICs as they should be.
    let ports = try CLI.run(["domain", "ports", vm, "--json"] + common + libvirt, in: dir)
    #expect(ports.status == 0, "\(ports.stderr)")
    let report = try #require(try JSONParser.parse(ports.stdout).arrayValue)
    #expect(report.count == 2)
    #expect(report.allSatisfy { $0["ok"] == true }, "\(ports.stdout)")
    #expect(report.compactMap { $0["expected_tag"]?.intValue } == [140, 120])

    // Live: move the second NIC to portgroup vlan-130 without restarting the VM.
    let moved = try CLI.run(
      ["attach", vm, "--mac", "52:54:00:e2:e0:02", "--network", ovsvl2, "--portgroup", "vlan-130"] + libvirt, in: dir)
    #expect(moved.status == 0, "\(moved.stderr)")
    // libvirt 9 moves it; one that refuses gets a config change plus a live retag. Either way OVS says 130.
    #expect(moved.stderr.contains("running NIC"))
    let tap2 = try #require(tree[1].target)
    let retag = try oracle(vsctl, ["--db=\(db)", "get", "Port", tap2, "tag"])
    let liveAfter = try oracle(virsh, ["-c", uri, "dumpxml", vm])
    #expect(retag == "130", "tag \(retag) on \(tap2); stderr: \(moved.stderr); live XML: \(liveAfter)")
    #expect(try oracle(virsh, ["-c", uri, "domstate", vm]) == "running")
    #expect(try oracle(virsh, ["-c", uri, "dumpxml", "--inactive", vm]).contains("portgroup='vlan-130'"))

    // Detach the first NIC from the definition (a live unplug needs a guest OS to acknowledge it,
    // which this diskless VM has not): the running VM keeps it until it stops.
    let detached = try CLI.run(["detach", vm, "--mac", "52:54:00:e2:e0:01", "--config"] + libvirt, in: dir)
    #expect(detached.status == 0, "\(detached.stderr)")
    #expect(try oracle(virsh, ["-c", uri, "dumpxml", vm]).contains("52:54:00:e2:e0:01"))
    #expect(!(try oracle(virsh, ["-c", uri, "dumpxml", "--inactive", vm])).contains("52:54:00:e2:e0:01"))
  }
}
