import Foundation
import OVSDB
import OVSVirt
import Testing

/// A fresh ovsdb-server (real vswitch schema, own DB file and socket) for one test, optionally with
/// ovs-vswitchd on the netdev datapath. Starting takes tens of milliseconds, so every test gets its
/// own and tests run in parallel without sharing state. Call `stop()` when done.
public final class PrivateOVSDB: Sendable {
  public let sandbox: Sandbox
  public var remote: String { sandbox.remote }

  private init(sandbox: Sandbox) {
    self.sandbox = sandbox
  }

  /// With `vswitchd`, ovs-vswitchd runs in a network namespace of its own (see `namespace`), so it
  /// never competes with the shared switch scripts/test runs for libvirt.
  /// With `clustered`, the database is a one-server RAFT cluster, which (unlike a standalone one)
  /// keeps transaction history, so monitor_cond_since can resume.
  public static func start(vswitchd: Bool = false, clustered: Bool = false) async throws -> PrivateOVSDB {
    for program in ["ovsdb-server", "ovsdb-tool"] + (vswitchd ? ["ovs-vswitchd"] : []) {
      _ = try Integration.program(program)
    }
    let directory = try TemporaryDirectory.make("db")
    let sandbox = Sandbox(
      directory: directory, networkNamespace: vswitchd ? TemporaryDirectory.namespace(for: directory) : nil)
    if clustered {
      let tool = try Integration.program("ovsdb-tool")
      try await CommandRunner.runOffPool(
        tool, ["create-cluster", sandbox.databaseFile, try Executables.vswitchSchema(), "unix:\(directory)/raft.sock"],
        outputFile: directory + "/create-cluster.out")
    }
    _ = try await sandbox.start(vswitchd: vswitchd)
    return PrivateOVSDB(sandbox: sandbox)
  }

  /// The network namespace of this test's ovs-vswitchd, if it has one (`ip -n NAME link`).
  public var namespace: String? { sandbox.networkNamespace }

  /// Stops the daemons and removes the directory.
  public func stop() {
    sandbox.stop()
    try? FileManager.default.removeItem(atPath: sandbox.directory)
  }

  deinit {
    stop()
  }

  /// Runs an OVS command-line tool against this database as an independent oracle, e.g.
  /// `oracle("ovs-vsctl", "list-br")`. The `--db` argument is added for ovs-vsctl; for
  /// ovsdb-client the remote is inserted after the command name.
  public func oracle(_ tool: String, _ arguments: String...) throws -> String {
    try oracle(tool, arguments: arguments)
  }

  public func oracle(_ tool: String, arguments: [String]) throws -> String {
    let path = try Integration.program(tool)
    var args = arguments
    switch tool {
    case "ovs-vsctl": args.insert("--db=\(remote)", at: 0)
    case "ovsdb-client" where !args.isEmpty: args.insert(remote, at: 1)
    default: break
    }
    return try CommandRunner.run(
      path, args, environment: sandbox.environment, outputFile: sandbox.directory + "/oracle-\(UUID().uuidString).out")
  }
}
