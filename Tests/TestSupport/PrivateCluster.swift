import Foundation
import OVSDB
import OVSVirt
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A three-server clustered OVN_Northbound database (RAFT over loopback TCP, clients on private unix
/// sockets), each server its own ovsdb-server process in a directory of the test's own. For tests
/// of leader-only clients: find the leader, kill it, see the cluster elect another.
public final class PrivateCluster: Sendable {
  public let directory: String
  public let size: Int
  /// With TLS: each server also listens on `ssl:127.0.0.1:PORT` with these certificates.
  public let certificates: TestCertificates?
  private let sslPorts: [Int]

  private init(directory: String, size: Int, certificates: TestCertificates?, sslPorts: [Int]) {
    self.directory = directory
    self.size = size
    self.certificates = certificates
    self.sslPorts = sslPorts
  }

  public static let schema = "/usr/share/ovn/ovn-nb.ovsschema"
  public static let database = "OVN_Northbound"

  /// The client socket of server `n` (0-based), as a remote.
  public func remote(_ n: Int) -> String { "unix:\(directory)/s\(n).sock" }
  /// Every server's remote, comma-separated, in order.
  public var remotes: String { (0..<size).map(remote).joined(separator: ",") }
  /// Server `n`'s TLS remote (a cluster started `tls: true`).
  public func sslRemote(_ n: Int) -> String { "ssl:127.0.0.1:\(sslPorts[n])" }

  public static func start(size: Int = 3, tls: Bool = false) async throws -> PrivateCluster {
    for program in ["ovsdb-server", "ovsdb-tool", "ovsdb-client", "ovs-appctl"] { _ = try Integration.program(program) }
    guard FileManager.default.fileExists(atPath: schema) else {
      try Integration.unavailable("\(schema) missing (Debian package ovn-common)")
    }
    let directory = try TemporaryDirectory.make("nbc")
    let certificates = tls ? try await TestCertificates.make(in: directory) : nil
    let cluster = PrivateCluster(
      directory: directory, size: size, certificates: certificates,
      sslPorts: tls ? try (0..<size).map { _ in try FreePort.loopback() } : [])
    do {
      try await cluster.create()
    } catch {
      cluster.stop()
      throw error
    }
    return cluster
  }

  private func create() async throws {
    let tool = try Integration.program("ovsdb-tool")
    let raft = try (0..<size).map { _ in "tcp:127.0.0.1:\(try FreePort.loopback())" }
    try await CommandRunner.runOffPool(
      tool, ["create-cluster", file(0), Self.schema, raft[0]], outputFile: directory + "/create.out")
    for n in 1..<size {
      try await CommandRunner.runOffPool(
        tool, ["join-cluster", file(n), Self.database, raft[n], raft[0]], outputFile: directory + "/join\(n).out")
    }
    for n in 0..<size { try await startServer(n) }
    // Every server has joined and knows the leader.
    let client = try Integration.program("ovsdb-client")
    for n in 0..<size {
      try await CommandRunner.runOffPool(
        client, ["--timeout=60", "wait", remote(n), Self.database, "connected"], outputFile: directory + "/wait\(n).out"
      )
    }
  }

  private func file(_ n: Int) -> String { "\(directory)/s\(n).db" }
  private func daemon(_ n: Int) -> ManagedDaemon {
    ManagedDaemon(program: "ovsdb-server", pidFile: "\(directory)/s\(n).pid")
  }
  public func control(_ n: Int) -> String { "\(directory)/s\(n).ctl" }

  private func startServer(_ n: Int) async throws {
    try await CommandRunner.runOffPool(
      try Integration.program("ovsdb-server"),
      [
        file(n), "--remote=punix:\(directory)/s\(n).sock", "--pidfile=\(directory)/s\(n).pid",
        "--unixctl=\(control(n))", "--log-file=\(directory)/s\(n).log", "--detach", "--no-chdir",
      ] + tlsArguments(n), outputFile: directory + "/server\(n).out")
  }

  private func tlsArguments(_ n: Int) -> [String] {
    guard let certificates else { return [] }
    return [
      "--remote=pssl:\(sslPorts[n]):127.0.0.1", "--private-key=\(certificates.serverKey)",
      "--certificate=\(certificates.serverCert)", "--ca-cert=\(certificates.caCert)",
    ]
  }

  /// The server that is leader now, per its own `cluster/status`; nil while none is.
  public func leader() -> Int? {
    (0..<size).first { n in
      guard daemon(n).runningPID() != nil,
        let status = try? CommandRunner.run(
          try Integration.program("ovs-appctl"), ["-t", control(n), "cluster/status", Self.database],
          outputFile: directory + "/status-\(UUID().uuidString).out")
      else { return false }
      return status.contains("Role: leader")
    }
  }

  /// `ovs-appctl cluster/leave` on server `n`: a leader first hands the leadership over; the process
  /// keeps running.
  public func leave(_ n: Int) throws {
    _ = try CommandRunner.run(
      try Integration.program("ovs-appctl"), ["-t", control(n), "cluster/leave", Self.database],
      outputFile: directory + "/leave-\(UUID().uuidString).out")
  }

  /// Whether server `n`'s process is alive.
  public func isRunning(_ n: Int) -> Bool { daemon(n).runningPID() != nil }

  /// Kills server `n` outright (SIGKILL, as a crash).
  public func kill(_ n: Int) {
    guard let pid = daemon(n).runningPID() else { return }
    _ = Glibc.kill(pid, SIGKILL)
    while ProcessTable.isRunning(pid, program: "ovsdb-server") { usleep(10_000) }
  }

  /// Runs ovn-nbctl against the cluster (any server: it finds the leader itself) as an oracle.
  public func nbctl(_ arguments: String...) throws -> String {
    try CommandRunner.run(
      try Integration.program("ovn-nbctl"), ["--db=\(remotes)", "--timeout=20"] + arguments,
      outputFile: directory + "/nbctl-\(UUID().uuidString).out")
  }

  public func stop() {
    for n in 0..<size { daemon(n).stop() }
    try? FileManager.default.removeItem(atPath: directory)
  }

  deinit {
    stop()
  }
}
