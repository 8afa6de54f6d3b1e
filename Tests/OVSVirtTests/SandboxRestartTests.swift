import Foundation
import OVSVirt
import Testing
import TestSupport

extension DataPlaneTests {
  /// `ovsvirt sandbox restart`: each daemon of a lab host stopped and started again as the sandbox
  /// started it, the database emptied on request, the lab's underlay put back; bad requests refused.
  @Suite(.serialized) struct SandboxRestartTests {
    @Test func eachDaemonComesBackAndAnEmptyDatabaseIsEmpty() async throws {
      guard getuid() == 0 else { try Integration.unavailable("network namespaces need root") }
      for program in ["libvirtd", "virsh", "ovs-vsctl", "ip"] { _ = try Integration.program(program) }
      let vsctl = try Integration.program("ovs-vsctl")
      let ip = try Integration.program("ip")
      let lab = try SandboxLab.start(["h1"], purpose: "restart", libvirt: true)
      defer { lab.stop() }
      let h1 = try lab.host("h1")
      let out = lab.directory + "/oracle.out"
      func ovs(_ arguments: [String]) -> String? {
        try? CommandRunner.run(vsctl, ["--db=\(h1.db)", "--timeout=10"] + arguments, outputFile: out)
          .trimmingCharacters(in: .whitespacesAndNewlines)
      }
      func pid(_ file: String) -> String {
        ((try? String(contentsOfFile: lab.directory + "/h1/" + file, encoding: .utf8)) ?? "")
          .trimmingCharacters(in: .whitespacesAndNewlines)
      }
      func restart(_ arguments: [String]) throws -> CLI.Result {
        try lab.ovsvirt(["sandbox", "restart"] + arguments + ["--dir", lab.directory, "--host", "h1", "--json"])
      }
      func underlayAddressed() -> Bool {
        ((try? CommandRunner.run(ip, ["-n", h1.netns, "-o", "addr", "show", "br-phy"], outputFile: out)) ?? "")
          .contains(h1.underlay + "/24")
      }
      #expect(ovs(["--no-wait", "add-br", "b0", "--", "set", "Bridge", "b0", "datapath_type=netdev"]) != nil)
      let switchPID = pid("ovs-vswitchd.pid")

      // ovsdb-server: a new process serving the same database; ovs-vswitchd untouched.
      let databasePID = pid("ovsdb-server.pid")
      let kept = try restart(["ovsdb"])
      try #require(kept.status == 0, "\(kept.stderr)")
      #expect(kept.stdout.contains("\"stopped\":\(databasePID)"))
      #expect(pid("ovsdb-server.pid") != databasePID)
      #expect(pid("ovs-vswitchd.pid") == switchPID)
      #expect(ovs(["br-exists", "b0"]) != nil)

      // Killed, and back empty: b0 is gone, the root row and the lab's own br-phy (with ul0 and the
      // tunnel address) are back.
      let emptied = try restart(["ovsdb", "--empty-db", "--crash"])
      try #require(emptied.status == 0, "\(emptied.stderr)")
      #expect(emptied.stdout.contains("\"empty_db\":true"))
      #expect(ovs(["br-exists", "b0"]) == nil)
      #expect(ovs(["list-ports", "br-phy"]) == "ul0")
      #expect(await eventually(timeout: .seconds(10)) { underlayAddressed() })

      // ovs-vswitchd: a new process; br-phy's device is made anew and gets its address again.
      let switched = try restart(["vswitchd"])
      try #require(switched.status == 0, "\(switched.stderr)")
      #expect(pid("ovs-vswitchd.pid") != switchPID)
      #expect(underlayAddressed())

      // libvirtd, kept down half a second: a new process that answers.
      let libvirtPID = pid("libvirt/libvirtd.pid")
      let libvirt = try restart(["libvirtd", "--down", "0.5"])
      try #require(libvirt.status == 0, "\(libvirt.stderr)")
      #expect(pid("libvirt/libvirtd.pid") != libvirtPID)
      let version = try CLI.run(["net", "list", "--connect", h1.connect ?? ""], in: lab.directory)
      #expect(version.status == 0, "\(version.stderr)")

      // Refused: exit 1, nothing restarted.
      let now = pid("ovs-vswitchd.pid")
      for arguments in [["vswitchd", "--empty-db"], ["ovsdb", "--down", "-1"], ["ovsdb", "--down", "inf"]] {
        let refused = try restart(arguments)
        #expect(refused.status == 1, "\(arguments): \(refused.stderr)")
      }
      let unknown = try lab.ovsvirt(["sandbox", "restart", "ovsdb", "--dir", lab.directory, "--host", "h9"])
      #expect(unknown.status == 1 && unknown.stderr.contains("no host 'h9'"), "\(unknown.stderr)")
      #expect(pid("ovs-vswitchd.pid") == now)
    }
  }
}
