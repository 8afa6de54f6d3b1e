import Foundation
import OVSDB
import OVSVirt
import Testing
import TestSupport

@Suite(.blockingWork) struct SandboxTests {
  @Test func startReuseAndStopExactlyWhatItStarted() async throws {
    for program in ["ovsdb-server", "ovsdb-tool", "ovs-vswitchd", "ovs-vsctl", "ip"] {
      _ = try Integration.program(program)
    }
    let dir = try TemporaryDirectory.make("sbx")
    let namespace = TemporaryDirectory.namespace(for: dir)
    let sandbox = Sandbox(directory: dir, networkNamespace: namespace)
    defer {
      sandbox.stop()
      try? FileManager.default.removeItem(atPath: dir)
    }
    let first = try await sandbox.start()
    guard case .started(let dbPID) = first.database, case .started(let switchPID)? = first.vswitchd else {
      Issue.record("first start reused something: \(first)")
      sandbox.stop()
      return
    }
    // A second start reuses both daemons: same pids, nothing new.
    let second = try await sandbox.start()
    #expect(second.database == .alreadyRunning(pid: dbPID))
    #expect(second.vswitchd == .alreadyRunning(pid: switchPID))

    // ovs-vsctl answers on the printed remote, and the switch really creates netdev ports.
    let vsctl = try Integration.program("ovs-vsctl")
    let out = dir + "/vsctl.out"
    let env = sandbox.environment
    try CommandRunner.run(
      vsctl,
      [
        "--db=\(sandbox.remote)", "--timeout=20", "add-br", "sbx0", "--", "set", "Bridge", "sbx0",
        "datapath_type=netdev",
        "--", "add-port", "sbx0", "sbxp1", "tag=120", "--", "set", "Interface", "sbxp1", "type=internal",
      ],
      environment: env, outputFile: out)
    let ofport = try CommandRunner.run(
      vsctl,
      [
        "--db=\(sandbox.remote)", "--timeout=20", "wait-until", "Interface", "sbxp1", "ofport>0", "--", "get",
        "Interface", "sbxp1", "ofport",
      ],
      environment: env, outputFile: out)
    #expect((Int(ofport.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1) > 0)
    let ip = try Integration.program("ip")
    let link = try CommandRunner.run(ip, ["-n", namespace, "-br", "link", "show", "sbxp1"], outputFile: out)
    #expect(link.hasPrefix("sbxp1"))

    // The Open_vSwitch root row was created once, not once per start.
    let client = try await OVSDBClient.connect(sandbox.remote)
    let rows = try await client.transact("Open_vSwitch", [.select(table: "Open_vSwitch", where: [])])
    await client.close()
    #expect(rows.first?.rows?.count == 1)

    let stopped = sandbox.stop()
    #expect(stopped.map(\.pid) == [switchPID, dbPID])
    #expect(!ProcessTable.isRunning(dbPID, program: "ovsdb-server"))
    #expect(!ProcessTable.isRunning(switchPID, program: "ovs-vswitchd"))
    #expect(sandbox.stop().isEmpty)
    #expect(!FileManager.default.fileExists(atPath: "/run/netns/" + namespace))
  }

  @Test func stopIgnoresAStalePidfile() throws {
    let dir = try TemporaryDirectory.make("stale")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Our own pid is alive but is not ovsdb-server: stop must not signal it.
    try "\(getpid())\n".write(toFile: dir + "/ovsdb-server.pid", atomically: true, encoding: .utf8)
    let sandbox = Sandbox(directory: dir)
    #expect(sandbox.ovsdbServer.runningPID() == nil)
    #expect(sandbox.stop().isEmpty)
  }
}
