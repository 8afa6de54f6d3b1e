import Foundation
import OVSVirt
import Testing

/// Certificates made for one test with the openssl CLI: a CA with a server certificate (for
/// 127.0.0.1 only) and a client certificate, and a second, unrelated CA with a client certificate
/// of its own. PEM files in `directory`.
public struct TestCertificates: Sendable {
  public let directory: String

  public var caCert: String { directory + "/ca.crt" }
  public var serverKey: String { directory + "/server.key" }
  public var serverCert: String { directory + "/server.crt" }
  public var clientKey: String { directory + "/client.key" }
  public var clientCert: String { directory + "/client.crt" }
  public var otherCACert: String { directory + "/other-ca.crt" }
  public var otherClientKey: String { directory + "/other-client.key" }
  public var otherClientCert: String { directory + "/other-client.crt" }

  public static func make(in directory: String) async throws -> TestCertificates {
    let certificates = TestCertificates(directory: directory)
    try await certificates.authority("ca")
    try await certificates.authority("other-ca")
    try await certificates.leaf("server", by: "ca", extensions: "subjectAltName=IP:127.0.0.1")
    try await certificates.leaf("client", by: "ca", extensions: "extendedKeyUsage=clientAuth")
    try await certificates.leaf("other-client", by: "other-ca", extensions: "extendedKeyUsage=clientAuth")
    return certificates
  }

  private func openssl(_ arguments: [String]) async throws {
    try await CommandRunner.runOffPool(
      try Integration.program("openssl"), arguments, outputFile: directory + "/openssl-\(UUID().uuidString).out")
  }

  private func authority(_ name: String) async throws {
    try await openssl([
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
      "-subj", "/CN=ovsvirt test \(name)", "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).crt",
    ])
  }

  private func leaf(_ name: String, by authority: String, extensions: String) async throws {
    let file = "\(directory)/\(name)"
    try await openssl([
      "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=ovsvirt test \(name)",
      "-keyout", file + ".key", "-out", file + ".csr",
    ])
    try "\(extensions)\n".write(toFile: file + ".ext", atomically: true, encoding: .utf8)
    try await openssl([
      "x509", "-req", "-in", file + ".csr", "-CA", "\(directory)/\(authority).crt", "-CAkey",
      "\(directory)/\(authority).key", "-CAcreateserial", "-days", "2", "-extfile", file + ".ext", "-out",
      file + ".crt",
    ])
  }
}

/// A private ovsdb-server with the Open_vSwitch schema listening for TLS on 127.0.0.1 (and on a unix
/// socket, for the oracle), with the given certificates.
public final class PrivateTLSOVSDB: Sendable {
  public let directory: String
  public let port: Int
  /// A second TLS listener, on 127.0.0.2, which the server's certificate (for 127.0.0.1) does not name.
  public let otherAddressPort: Int
  public let certificates: TestCertificates

  public var unixRemote: String { "unix:\(directory)/db.sock" }
  public var sslRemote: String { "ssl:127.0.0.1:\(port)" }
  public var wrongHostRemote: String { "ssl:127.0.0.2:\(otherAddressPort)" }
  private var daemon: ManagedDaemon { ManagedDaemon(program: "ovsdb-server", pidFile: directory + "/db.pid") }

  private init(directory: String, port: Int, otherAddressPort: Int, certificates: TestCertificates) {
    self.directory = directory
    self.port = port
    self.otherAddressPort = otherAddressPort
    self.certificates = certificates
  }

  public static func start() async throws -> PrivateTLSOVSDB {
    for program in ["ovsdb-server", "ovsdb-tool", "openssl", "ovs-vsctl"] { _ = try Integration.program(program) }
    let directory = try TemporaryDirectory.make("tls")
    let certificates = try await TestCertificates.make(in: directory)
    try await CommandRunner.runOffPool(
      try Integration.program("ovsdb-tool"), ["create", directory + "/conf.db", try Executables.vswitchSchema()],
      outputFile: directory + "/create.out")
    let port = try FreePort.loopback()
    let otherAddressPort = try FreePort.loopback()
    try await CommandRunner.runOffPool(
      try Integration.program("ovsdb-server"),
      [
        directory + "/conf.db", "--remote=punix:\(directory)/db.sock", "--remote=pssl:\(port):127.0.0.1",
        "--remote=pssl:\(otherAddressPort):127.0.0.2",
        "--private-key=\(certificates.serverKey)", "--certificate=\(certificates.serverCert)",
        "--ca-cert=\(certificates.caCert)", "--pidfile=\(directory)/db.pid", "--unixctl=\(directory)/db.ctl",
        "--log-file=\(directory)/db.log", "--detach", "--no-chdir",
      ], outputFile: directory + "/server.out")
    let server = PrivateTLSOVSDB(
      directory: directory, port: port, otherAddressPort: otherAddressPort, certificates: certificates)
    _ = try server.vsctl("--no-wait", "init")
    return server
  }

  /// ovs-vsctl over the unix socket: the oracle.
  public func vsctl(_ arguments: String...) throws -> String {
    try CommandRunner.run(
      try Integration.program("ovs-vsctl"), ["--db=\(unixRemote)", "--timeout=10"] + arguments,
      outputFile: directory + "/vsctl-\(UUID().uuidString).out")
  }

  public func stop() {
    daemon.stop()
    try? FileManager.default.removeItem(atPath: directory)
  }

  deinit {
    stop()
  }
}
