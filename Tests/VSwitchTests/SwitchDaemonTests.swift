import Foundation
import OVSVirt
import Testing
import TestSupport

/// With a real ovs-vswitchd (netdev datapath, in its own network namespace), what ovsvirt writes
/// becomes real ports: an OpenFlow port number, and a kernel link for internal ports.
@Suite(.blockingWork) struct SwitchDaemonTests {
  @Test func portsCreatedByOVSVirtReallyAppear() async throws {
    let ip = try Integration.program("ip")
    let db = try await PrivateOVSDB.start(vswitchd: true)
    defer { db.stop() }
    let namespace = try #require(db.namespace)
    for step in [
      ["bridge", "add", "ovsbr0", "--datapath-type", "netdev"],
      ["bridge", "add", "brlv140", "--parent", "ovsbr0", "--vlan", "140"],
      ["port", "add", "ovsbr0", "vlan120", "--access", "120", "--internal"],
      ["port", "add", "brlv140", "vm140", "--internal"],
      ["tunnel", "add", "ovsbr0", "vxlan0", "--remote-ip", "10.43.11.12"],
    ] {
      let result = try CLI.run(step + ["--db", db.remote], in: db.sandbox.directory)
      try #require(result.status == 0, "\(step): \(result.stderr)")
    }
    for name in ["ovsbr0", "brlv140", "vlan120", "vm140", "vxlan0"] {
      let ofport = try db.oracle(
        "ovs-vsctl", "--timeout=20", "wait-until", "Interface", name, "ofport>0", "--", "get", "Interface", name,
        "ofport")
      #expect((Int(ofport.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1) > 0, "\(name): ofport \(ofport)")
    }
    for link in ["ovsbr0", "brlv140", "vlan120", "vm140"] {
      let shown = try CommandRunner.run(
        ip, ["-n", namespace, "-br", "link", "show", link], outputFile: db.sandbox.directory + "/ip.out")
      #expect(shown.hasPrefix(link), "\(link) is not a link in \(namespace)")
    }
    // The port on the fake bridge carries its VLAN, as ovs-vsctl would have set it.
    #expect(try db.oracle("ovs-vsctl", "get", "Port", "vm140", "tag") == "140\n")
    #expect(try db.oracle("ovs-vsctl", "port-to-br", "vm140") == "brlv140\n")
  }
}
