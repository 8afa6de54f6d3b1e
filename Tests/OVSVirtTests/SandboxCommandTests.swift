import Foundation
import OVSVirt
import Testing
import TestSupport

/// `ovsvirt sandbox` as a user runs it: start, start again (reuse), ovs-vsctl answers, stop.
@Suite(.blockingWork) struct SandboxCommandTests {
  @Test func startTwiceReusesAndStopEndsExactlyWhatStarted() throws {
    for program in ["ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ip"] { _ = try Integration.program(program) }
    let dir = try TemporaryDirectory.make("cli")
    let namespace = TemporaryDirectory.namespace(for: dir)
    let sandboxDir = dir + "/sb"
    defer {
      _ = try? CLI.run(["sandbox", "--dir", sandboxDir, "--stop"], in: dir)
      try? FileManager.default.removeItem(atPath: dir)
    }
    let first = try CLI.run(["sandbox", "--dir", sandboxDir, "--netns", namespace], in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout == "unix:\(sandboxDir)/db.sock\n")
    #expect(first.stderr.contains("ovsdb-server: started"))
    #expect(first.stderr.contains("ovs-vswitchd: started"))

    let second = try CLI.run(["sandbox", "--dir", sandboxDir, "--netns", namespace], in: dir)
    #expect(second.status == 0)
    #expect(second.stdout == first.stdout)
    #expect(second.stderr.contains("ovsdb-server: already running"))
    #expect(second.stderr.contains("ovs-vswitchd: already running"))
    let servers = try daemons(using: sandboxDir)
    #expect(servers.filter { $0.comm == "ovsdb-server" }.count == 1)
    #expect(servers.filter { $0.comm == "ovs-vswitchd" }.count == 1)

    let show = try CommandRunner.run(
      try Integration.program("ovs-vsctl"), ["--db=unix:\(sandboxDir)/db.sock", "--timeout=10", "show"],
      outputFile: dir + "/show.out")
    #expect(!show.isEmpty)

    let stop = try CLI.run(["sandbox", "--dir", sandboxDir, "--stop"], in: dir)
    #expect(stop.status == 0)
    for daemon in servers { #expect(stop.stderr.contains("stopped \(daemon.comm) (pid \(daemon.pid))")) }
    #expect(try daemons(using: sandboxDir).isEmpty)
    let again = try CLI.run(["sandbox", "--dir", sandboxDir, "--stop"], in: dir)
    #expect(again.status == 0)
    #expect(again.stderr.contains("nothing of this sandbox is running"))
  }

  @Test func usageErrorsExitOne() throws {
    let dir = try TemporaryDirectory.make("cliu")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let result = try CLI.run(["sandbox", "--no-such-flag"], in: dir)
    #expect(result.status == 1)
    #expect(result.stderr.contains("--no-such-flag"))
  }

  /// Live OVS daemons whose command line names `directory`, found through /proc, not through ovsvirt.
  func daemons(using directory: String) throws -> [(pid: pid_t, comm: String)] {
    var found: [(pid_t, String)] = []
    for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
      guard let pid = pid_t(entry),
        let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
        String(decoding: cmdline, as: UTF8.self).contains(directory + "/")
      else { continue }
      for comm in ["ovsdb-server", "ovs-vswitchd"] where ProcessTable.isRunning(pid, program: comm) {
        found.append((pid, comm))
      }
    }
    return found
  }
}
