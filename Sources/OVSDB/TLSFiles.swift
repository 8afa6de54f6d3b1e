import NIOSSL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The PEM files an `ssl:` remote needs, as OVS tools take them (`--private-key`, `--certificate`,
/// `--ca-cert`): our key and certificate (ovsdb-server asks every client for one) and the CA that
/// must have signed the server's certificate. Read once, by `context()`, before any connection.
public struct TLSFiles: Sendable, Hashable {
  public var privateKey: String?
  public var certificate: String?
  public var caCertificate: String?

  public init(privateKey: String? = nil, certificate: String? = nil, caCertificate: String? = nil) {
    self.privateKey = privateKey
    self.certificate = certificate
    self.caCertificate = caCertificate
  }

  public var isEmpty: Bool { privateKey == nil && certificate == nil && caCertificate == nil }

  /// The client side of TLS: the server's certificate must chain to the CA; ours is presented when
  /// given. As in Open vSwitch's own tools, the certificate need not name the remote's host: the CA
  /// is the trust (certificates made by `ovs-pki`, what OVN deployments use, name no host at all). Throws `OVSDBError.tlsSettings` naming the
  /// file that is missing or unreadable.
  public func context() throws(OVSDBError) -> NIOSSLContext {
    guard let caCertificate else {
      throw .tlsSettings("an ssl: remote needs the CA certificate that signed the server's (--ca-cert / ca_cert)")
    }
    guard (privateKey == nil) == (certificate == nil) else {
      throw .tlsSettings("give both the private key and the certificate (--private-key and --certificate), or neither")
    }
    var configuration = TLSConfiguration.makeClientConfiguration()
    configuration.certificateVerification = .noHostnameVerification
    configuration.trustRoots = .certificates(try Self.certificates(caCertificate, role: "CA certificate"))
    if let privateKey, let certificate {
      configuration.certificateChain = try Self.certificates(certificate, role: "certificate").map { .certificate($0) }
      do {
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: privateKey, format: .pem))
      } catch {
        throw .tlsSettings("cannot read the private key \(privateKey): \(Self.reason(error, path: privateKey))")
      }
    }
    do {
      return try NIOSSLContext(configuration: configuration)
    } catch {
      throw .tlsSettings("the TLS settings do not fit together: \(error)")
    }
  }

  private static func certificates(_ path: String, role: String) throws(OVSDBError) -> [NIOSSLCertificate] {
    let loaded: [NIOSSLCertificate]
    do {
      loaded = try NIOSSLCertificate.fromPEMFile(path)
    } catch {
      throw .tlsSettings("cannot read the \(role) \(path): \(reason(error, path: path))")
    }
    guard !loaded.isEmpty else { throw .tlsSettings("the \(role) \(path) holds no PEM certificate") }
    return loaded
  }

  /// BoringSSL says little about a file that is not there; the file system says it plainly.
  private static func reason(_ error: any Error, path: String) -> String {
    if access(path, R_OK) != 0 { return String(cString: strerror(errno)) }
    return "not PEM (\(error))"
  }
}
