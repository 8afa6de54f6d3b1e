import Foundation
import OVSVirt
import Testing
import TestSupport

/// Proves the environment scripts/test builds is the one later issues rely on: libvirtd plugs a real
/// (tiny, TCG) VM's tap into the private OVS that the tests control, with the VLAN it was given.
@Suite(.blockingWork) struct TestEnvironmentTests {
  @Test func libvirtPlugsVMsIntoThePrivateOVS() async throws {
    let env = try await VMEnvironment.require("vm")
    defer { env.cleanUp() }
    let (uri, remote, virsh, vsctl, dir) = (env.uri, env.db, env.virsh, env.vsctl, env.directory)
    @discardableResult
    func run(_ program: String, _ args: [String]) throws -> String {
      try CommandRunner.run(program, args, outputFile: dir + "/out")
    }
    let bridge = "envbr\(getpid() % 10000)"
    let name = "ovsvirt-test-env-\(getpid())"
    try run(
      vsctl,
      [
        "--db=\(remote)", "--timeout=20", "--may-exist", "add-br", bridge, "--", "set", "Bridge", bridge,
        "datapath_type=netdev",
      ])
    defer { _ = try? run(vsctl, ["--db=\(remote)", "--timeout=20", "--if-exists", "del-br", bridge]) }
    try env.virsh(
      "create",
      xml: VMEnvironment.tinyVM(
        name,
        interfaces: [
          "<interface type='bridge'><mac address='52:54:00:0e:00:01'/><source bridge='\(bridge)'/>"
            + "<vlan><tag id='140'/></vlan><virtualport type='openvswitch'/><model type='e1000'/></interface>"
        ]))
    defer { _ = try? run(virsh, ["-c", uri, "destroy", name]) }
    let ports = try run(vsctl, ["--db=\(remote)", "list-ports", bridge]).split(separator: "\n").map(String.init)
    #expect(ports.count == 1)
    let tap = try #require(ports.first)
    #expect(try run(vsctl, ["--db=\(remote)", "get", "Port", tap, "tag"]) == "140\n")
    let mac = try run(vsctl, ["--db=\(remote)", "get", "Interface", tap, "external_ids:attached-mac"])
    #expect(mac.contains("52:54:00:0e:00:01"))
  }
}
