import Foundation
import OVSVirt
import Testing
import TestSupport

extension DataPlaneTests {
  /// A multi-host sandbox killed while it starts (SIGKILL: no cleanup of its own runs) leaves
  /// daemons and namespaces that `sandbox --stop` then removes, every one: no namespace of the lab,
  /// no process with the lab's folder on its command line, no libvirtd or QEMU of its hosts.
  @Suite(.serialized) struct SandboxKilledTests {
    @Test(arguments: [0.3, 1.5])
    func killedWhileStartingThenStopLeavesNothing(after seconds: Double) async throws {
      guard getuid() == 0 else { try Integration.unavailable("network namespaces need root") }
      _ = try Integration.program("libvirtd")
      let directory = try TemporaryDirectory.make("killed")
      let lab = HostLab(directory: directory)
      let starter = try CLI.start(
        ["sandbox", "--hosts", "h1,h2,h3", "--dir", directory, "--libvirt"], log: directory + "/start.log")
      try await Task.sleep(for: .seconds(seconds))
      _ = CLI.stop(starter, signal: SIGKILL)
      let stopped = try CLI.run(["sandbox", "--dir", directory, "--stop"], in: directory)
      #expect(stopped.status == 0, "\(stopped.stderr)")
      let namespaces = lab.namespaces()
      #expect(namespaces.isEmpty, "namespaces left: \(namespaces)")
      // pgrep -f matches its own command line too: only other processes count.
      let left = ((try? CLI.runProgram("/usr/bin/pgrep", ["-a", "-f", directory + "/"], in: "/tmp")) ?? "")
        .split(separator: "\n").filter { !$0.contains("pgrep") }
      #expect(left.isEmpty, "processes left after \(seconds) s: \(left)\n\(stopped.stderr)")
    }
  }
}
