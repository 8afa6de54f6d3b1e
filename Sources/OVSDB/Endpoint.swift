/// Where an OVSDB server listens, in OVS's own remote syntax.
public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
  case unix(path: String)
  case tcp(host: String, port: Int)
  /// TLS over TCP; the keys and certificates come from `TLSFiles`.
  case ssl(host: String, port: Int)

  /// The default of every OVS tool on Debian.
  public static let systemDefault = Endpoint.unix(path: "/var/run/openvswitch/db.sock")

  /// Parses `unix:PATH`, `tcp:HOST:PORT` or `ssl:HOST:PORT` (IPv6 hosts in brackets: `tcp:[::1]:6640`).
  public init(_ remote: String) throws(OVSDBError) {
    if remote.hasPrefix("unix:") {
      let path = String(remote.dropFirst(5))
      guard !path.isEmpty else { throw .invalidEndpoint(remote) }
      self = .unix(path: path)
      return
    }
    let secure = remote.hasPrefix("ssl:")
    guard secure || remote.hasPrefix("tcp:") else { throw .invalidEndpoint(remote) }
    let rest = remote.dropFirst(4)
    guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
      (1...65535).contains(port)
    else { throw .invalidEndpoint(remote) }
    var host = String(rest[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { throw .invalidEndpoint(remote) }
    self = secure ? .ssl(host: host, port: port) : .tcp(host: host, port: port)
  }

  /// Parses a remote list as OVS tools take it for one database (`tcp:A:6641,tcp:B:6641,ssl:C:6641`):
  /// the servers of one cluster, in the order to try them. Spaces around the commas are allowed.
  public static func list(_ remotes: String) throws(OVSDBError) -> [Endpoint] {
    let parts = remotes.split(separator: ",", omittingEmptySubsequences: false).map(trimmed)
    guard !parts.contains(where: \.isEmpty) else { throw .invalidEndpoint(remotes) }
    var endpoints: [Endpoint] = []
    for part in parts { endpoints.append(try Endpoint(part)) }
    return endpoints
  }

  /// `part` without the whitespace around it. By index, not by `reversed()` and `drop(while:)`:
  /// their nested generic types were instantiated from mangled names at every start, each first
  /// conformance check scanning the binary's conformance records (2.0 M instructions of a
  /// `port set`'s 7.6 M, callgrind).
  static func trimmed(_ part: Substring) -> String {
    var start = part.startIndex
    var end = part.endIndex
    while start < end, part[start].isWhitespace { start = part.index(after: start) }
    while end > start, part[part.index(before: end)].isWhitespace { end = part.index(before: end) }
    return String(part[start..<end])
  }

  public var isTLS: Bool {
    if case .ssl = self { return true }
    return false
  }

  public var description: String {
    switch self {
    case .unix(let path): return "unix:\(path)"
    case .tcp(let host, let port): return Self.hostPort("tcp", host, port)
    case .ssl(let host, let port): return Self.hostPort("ssl", host, port)
    }
  }

  private static func hostPort(_ scheme: String, _ host: String, _ port: Int) -> String {
    host.contains(":") ? "\(scheme):[\(host)]:\(port)" : "\(scheme):\(host):\(port)"
  }
}
