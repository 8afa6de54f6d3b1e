import Foundation
import OVSDB

/// A private Open vSwitch (ovsdb-server with the real vswitch schema, and ovs-vswitchd on the
/// userspace `netdev` datapath) living entirely in one directory, so every ovsvirt command can be
/// tried without touching the host's switch. Tests use the same code for their fresh databases.
public struct Sandbox: Sendable {
  /// What `start` found or did for one daemon.
  public enum DaemonState: Sendable, Equatable {
    case started(pid: pid_t)
    case alreadyRunning(pid: pid_t)
  }

  public struct Status: Sendable, Equatable {
    public var database: DaemonState
    public var vswitchd: DaemonState?
  }

  public let directory: String
  /// Network namespace ovs-vswitchd runs in (created if missing, deleted by `stop` if we created it);
  /// nil means the caller's own. Two ovs-vswitchd using the netdev datapath cannot share a
  /// namespace: each needs the `ovs-netdev` device for itself.
  public let networkNamespace: String?
  public var databaseFile: String { directory + "/conf.db" }
  public var socketPath: String { directory + "/db.sock" }
  /// The `--db` value for ovsvirt (and `ovs-vsctl --db=`).
  public var remote: String { "unix:" + socketPath }
  public var ovsdbServer: ManagedDaemon {
    ManagedDaemon(program: "ovsdb-server", pidFile: directory + "/ovsdb-server.pid")
  }
  public var vswitchd: ManagedDaemon {
    ManagedDaemon(program: "ovs-vswitchd", pidFile: directory + "/ovs-vswitchd.pid")
  }

  /// The default directory, relative to where ovsvirt runs (git-ignored in this repo).
  public static let defaultDirectory = ".ovsvirt-sandbox"

  public init(directory: String, networkNamespace: String? = nil) {
    let absolute = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
    self.directory = URL(fileURLWithPath: absolute).standardizedFileURL.path
    self.networkNamespace = networkNamespace
  }

  /// Records that `start` created the namespace, so `stop` removes it and nothing else.
  var createdNamespaceMarker: String { directory + "/netns-created" }

  /// Environment that makes OVS programs (ours, and libvirt's `ovs-vsctl` calls) use this sandbox.
  public var environment: [String: String] {
    ["OVS_RUNDIR": directory, "OVS_DBDIR": directory, "OVS_LOGDIR": directory]
  }

  /// Starts whatever is not already running; reuses what is. Idempotent.
  public func start(vswitchd startSwitch: Bool = true) async throws -> Status {
    guard socketPath.utf8.count <= 107 else { throw SandboxError.pathTooLong(socketPath) }
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw SandboxError.cannotCreateDirectory(path: directory, reason: error.localizedDescription)
    }
    let database = try await startDatabase()
    try await initializeDatabase()
    let switchState = startSwitch ? try await startVSwitchd() : nil
    return Status(database: database, vswitchd: switchState)
  }

  /// Stops the daemons this sandbox's pidfiles name, switch first. Returns what was stopped.
  @discardableResult
  public func stop() -> [(program: String, pid: pid_t)] {
    var stopped: [(String, pid_t)] = []
    for daemon in [vswitchd, ovsdbServer] {
      if let pid = daemon.stop() { stopped.append((daemon.program, pid)) }
    }
    if let created = try? String(contentsOfFile: createdNamespaceMarker, encoding: .utf8),
      let ip = Executables.find("ip")
    {
      let name = created.trimmingCharacters(in: .whitespacesAndNewlines)
      _ = try? CommandRunner.run(ip, ["netns", "delete", name], outputFile: directory + "/ip.out")
      try? FileManager.default.removeItem(atPath: createdNamespaceMarker)
    }
    return stopped
  }

  private func startDatabase() async throws -> DaemonState {
    if let pid = ovsdbServer.runningPID() { return .alreadyRunning(pid: pid) }
    let server = try Executables.require("ovsdb-server", package: "openvswitch-switch")
    if !FileManager.default.fileExists(atPath: databaseFile) {
      let tool = try Executables.require("ovsdb-tool", package: "openvswitch-common")
      try await CommandRunner.runOffPool(
        tool, ["create", databaseFile, try Executables.vswitchSchema()], outputFile: directory + "/ovsdb-tool.out")
    }
    try? FileManager.default.removeItem(atPath: socketPath)
    // --detach returns only once the socket listens, so no polling is needed afterwards.
    try await CommandRunner.runOffPool(
      server,
      [
        databaseFile, "--remote=punix:" + socketPath, "--pidfile=" + ovsdbServer.pidFile,
        "--unixctl=" + directory + "/ovsdb-server.ctl", "--log-file=" + directory + "/ovsdb-server.log",
        "--detach", "--no-chdir",
      ], environment: environment, outputFile: directory + "/ovsdb-server.out")
    guard let pid = ovsdbServer.runningPID() else {
      throw SandboxError.commandFailed(command: server, status: 0, output: "ovsdb-server exited right after starting")
    }
    return .started(pid: pid)
  }

  /// ovs-vswitchd needs the single Open_vSwitch root row. Inserting it is guarded by a `wait` that
  /// the table is empty, so a second start (or a race with another client) changes nothing.
  private func initializeDatabase() async throws {
    let client = try await OVSDBClient.connect(remote)
    var failure: (any Error)?
    do {
      _ = try await client.transact(
        "Open_vSwitch",
        [
          .wait(table: "Open_vSwitch", where: [], columns: ["_uuid"], until: .equal, rows: [], timeout: 0),
          .insert(table: "Open_vSwitch", row: [:]),
        ])
    } catch let error as TransactionError where error.isConflict {
      // The row is already there: nothing to do.
    } catch let error as TransactionError {
      failure = SandboxError.initializationFailed(error.description)
    } catch {
      failure = error
    }
    await client.close()
    if let failure { throw failure }
  }

  private func startVSwitchd() async throws -> DaemonState {
    if let pid = vswitchd.runningPID() { return .alreadyRunning(pid: pid) }
    let program = try Executables.require("ovs-vswitchd", package: "openvswitch-switch")
    // --disable-system: there is no kernel datapath here; bridges use datapath_type=netdev.
    var command = [
      program, remote, "--pidfile=" + vswitchd.pidFile, "--unixctl=" + directory + "/ovs-vswitchd.ctl",
      "--log-file=" + directory + "/ovs-vswitchd.log", "--detach", "--no-chdir", "--disable-system",
    ]
    if let namespace = networkNamespace {
      let ip = try Executables.require("ip", package: "iproute2")
      if !FileManager.default.fileExists(atPath: "/run/netns/" + namespace) {
        try await CommandRunner.runOffPool(ip, ["netns", "add", namespace], outputFile: directory + "/ip.out")
        try namespace.write(toFile: createdNamespaceMarker, atomically: true, encoding: .utf8)
      }
      command = [ip, "netns", "exec", namespace] + command
    } else if let other = ProcessTable.otherVSwitchdInOurNetworkNamespace() {
      throw SandboxError.switchConflict(pid: other)
    }
    try await CommandRunner.runOffPool(
      command[0], Array(command.dropFirst()), environment: environment, outputFile: directory + "/ovs-vswitchd.out")
    guard let pid = vswitchd.runningPID() else {
      throw SandboxError.commandFailed(command: program, status: 0, output: "ovs-vswitchd exited right after starting")
    }
    return .started(pid: pid)
  }
}
