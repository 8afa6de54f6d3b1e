import Foundation
import OVSDB
import Testing
import TestSupport

/// `ssl:` remotes end to end: certificates made by the test (openssl), a real ovsdb-server with a
/// pssl: remote, and the `ovsvirt` binary with -p / -c / -C as ovs-vsctl takes them.
@Suite struct TLSTests {
  func tlsArguments(_ server: PrivateTLSOVSDB, key: String? = nil, cert: String? = nil, ca: String? = nil)
    -> [String]
  {
    let c = server.certificates
    return [
      "--db", server.sslRemote, "-p", key ?? c.clientKey, "-c", cert ?? c.clientCert, "-C", ca ?? c.caCert,
      "--timeout", "5",
    ]
  }

  @Test func commandsWorkOverTLSWithTheClientCertificate() async throws {
    let server = try await PrivateTLSOVSDB.start()
    defer { server.stop() }
    _ = try server.vsctl("--no-wait", "add-br", "br-tls")
    let shown = try await TimedRun.start(["show"] + tlsArguments(server), in: server.directory, killAfter: .seconds(30))
    #expect(shown.status == 0, "\(shown.output)")
    #expect(shown.output.contains("br-tls"), "\(shown.output)")
    // A write on the direct path (a bare connection, no replica) over TLS too.
    let added = try await TimedRun.start(
      ["bridge", "add", "br-new", "--no-wait"] + tlsArguments(server), in: server.directory, killAfter: .seconds(30))
    #expect(added.status == 0, "\(added.output)")
    #expect(try server.vsctl("list-br").split(separator: "\n") == ["br-new", "br-tls"])
    // The replica client of the library, long-form options' equivalent.
    var options = ReplicaClient.Options()
    options.tls = TLSFiles(
      privateKey: server.certificates.clientKey, certificate: server.certificates.clientCert,
      caCertificate: server.certificates.caCert)
    options.probeInterval = nil
    let client = ReplicaClient(remote: server.sslRemote, tables: ["Bridge": ["name"]], options: options)
    let replica = try await client.start()
    #expect(replica.snapshot.rows("Bridge").count == 2)
    await client.close()
  }

  @Test func aServerCertificateFromAnotherCAIsRefusedNamingTheRemote() async throws {
    let server = try await PrivateTLSOVSDB.start()
    defer { server.stop() }
    let run = try await TimedRun.start(
      ["show"] + tlsArguments(server, ca: server.certificates.otherCACert), in: server.directory,
      killAfter: .seconds(30))
    #expect(run.status == 2, "\(run.output)")
    #expect(run.output.contains("TLS handshake with OVSDB at \(server.sslRemote) failed"), "\(run.output)")
    #expect(run.output.contains("not trusted"), "\(run.output)")
    #expect(run.elapsed < 6, "took \(run.elapsed)s")
  }

  @Test func aCertificateOfTheCAIsTrustedAtAnyAddressAsOpenVSwitchDoes() async throws {
    // The server's certificate names 127.0.0.1 only; reached at 127.0.0.2 it is still the CA's
    // (ovs-vsctl and ovn-nbctl check the chain, not the name: ovs-pki's certificates name no host).
    let server = try await PrivateTLSOVSDB.start()
    defer { server.stop() }
    var arguments = tlsArguments(server)
    arguments[1] = server.wrongHostRemote
    let run = try await TimedRun.start(["show"] + arguments, in: server.directory, killAfter: .seconds(30))
    #expect(run.status == 0, "\(run.output)")
  }

  @Test func aClientCertificateTheServerDoesNotTrustIsRefused() async throws {
    let server = try await PrivateTLSOVSDB.start()
    defer { server.stop() }
    let c = server.certificates
    let run = try await TimedRun.start(
      ["show"] + tlsArguments(server, key: c.otherClientKey, cert: c.otherClientCert), in: server.directory,
      killAfter: .seconds(30))
    #expect(run.status == 2, "\(run.output)")
    #expect(run.output.contains("TLS handshake with OVSDB at \(server.sslRemote) failed"), "\(run.output)")
    // The server's alert says so; when the reset of its close loses the alert, the hang-up does.
    #expect(
      run.output.contains("refused our certificate") || run.output.contains("does it accept our certificate"),
      "\(run.output)")
    #expect(run.elapsed < 6, "took \(run.elapsed)s")
  }

  @Test func missingFilesAreAnInputErrorBeforeConnecting() async throws {
    let dir = try TemporaryDirectory.make("tlsin")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Nothing listens on this port: an exit 1 proves nothing was tried.
    let remote = "ssl:127.0.0.1:\(try FreePort.loopback())"
    let cases: [([String], String)] = [
      (["-p", "\(dir)/none.key", "-c", "\(dir)/none.crt", "-C", "\(dir)/none-ca.crt"], "none-ca.crt"),
      ([], "CA certificate"),
    ]
    for (files, named) in cases {
      let run = try await TimedRun.start(
        ["show", "--db", remote, "--timeout", "5"] + files, in: dir, killAfter: .seconds(30))
      #expect(run.status == 1, "\(run.output)")
      #expect(run.output.contains(named), "\(run.output)")
    }
  }
}
