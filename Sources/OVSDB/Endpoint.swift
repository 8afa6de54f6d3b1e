/// Where an OVSDB server listens, in OVS's own remote syntax.
public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
  case unix(path: String)
  case tcp(host: String, port: Int)

  /// The default of every OVS tool on Debian.
  public static let systemDefault = Endpoint.unix(path: "/var/run/openvswitch/db.sock")

  /// Parses `unix:PATH` or `tcp:HOST:PORT` (IPv6 hosts in brackets: `tcp:[::1]:6640`).
  public init(_ remote: String) throws(OVSDBError) {
    if remote.hasPrefix("unix:") {
      let path = String(remote.dropFirst(5))
      guard !path.isEmpty else { throw .invalidEndpoint(remote) }
      self = .unix(path: path)
      return
    }
    guard remote.hasPrefix("tcp:") else { throw .invalidEndpoint(remote) }
    let rest = remote.dropFirst(4)
    guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
      (1...65535).contains(port)
    else { throw .invalidEndpoint(remote) }
    var host = String(rest[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { throw .invalidEndpoint(remote) }
    self = .tcp(host: host, port: port)
  }

  public var description: String {
    switch self {
    case .unix(let path): return "unix:\(path)"
    case .tcp(let host, let port): return host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
    }
  }
}
