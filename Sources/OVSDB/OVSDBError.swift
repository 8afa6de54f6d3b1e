/// Everything that can go wrong talking to an OVSDB server. Messages name what failed and, where
/// there is one, the fix.
public enum OVSDBError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The remote string is not `unix:PATH`, `tcp:HOST:PORT` or `ssl:HOST:PORT` (or a comma-separated list of them).
  case invalidEndpoint(String)
  /// An `ssl:` remote without a CA certificate to verify the server with, or key / certificate files
  /// that cannot be read or are not PEM.
  case tlsSettings(String)
  /// The TLS handshake with `endpoint` failed (certificate not signed by the CA, expired, not for that
  /// host, or the server refused ours).
  case tlsHandshakeFailed(endpoint: String, reason: String)
  /// No remote of a list could be used: each one's reason, in the order tried.
  case noUsableRemote([String])
  /// The socket could not be opened.
  case connectionFailed(endpoint: String, reason: String)
  /// The server sent bytes that are not JSON-RPC as RFC 7047 defines it; the connection is reset.
  case protocolViolation(String)
  /// The server answered a request with a JSON-RPC error.
  case rpcError(method: String, error: JSON)
  /// No answer within the call's timeout.
  case timedOut(method: String, seconds: Double)
  /// The client's deadline (`ReplicaClient.Options.deadline`) passed before this step could start.
  case deadlinePassed(method: String)
  /// The connection closed (by either side) before the answer arrived.
  case connectionClosed(method: String?)
  /// The connection dropped after a non-idempotent transaction was sent and before its reply:
  /// it may or may not have committed, so it was not sent again.
  case outcomeUnknown(String)
  /// A guarded transaction kept finding its data changed by others.
  case tooManyConflicts(Int)

  /// One remote's line in `noUsableRemote`: what went wrong there, without naming it twice.
  static func reason(_ error: any Error, at remote: String) -> String {
    switch error as? OVSDBError {
    case .connectionFailed(_, let reason)?: return "\(remote): cannot connect: \(reason)"
    case .tlsHandshakeFailed(_, let reason)?: return "\(remote): TLS handshake failed: \(reason)"
    default: return "\(remote): \(error)"
    }
  }

  public var description: String {
    switch self {
    case .invalidEndpoint(let s):
      return
        "invalid OVSDB remote '\(s)': use unix:/path/to/db.sock, tcp:HOST:PORT or ssl:HOST:PORT (several: comma-separated)"
    case .tlsSettings(let what):
      return what
    case .tlsHandshakeFailed(let endpoint, let reason):
      return "TLS handshake with OVSDB at \(endpoint) failed: \(reason)"
    case .noUsableRemote(let reasons):
      return "no usable OVSDB remote: " + reasons.joined(separator: "; ")
    case .connectionFailed(let endpoint, let reason):
      return "cannot connect to OVSDB at \(endpoint): \(reason) (is ovsdb-server running? try `ovsvirt sandbox`)"
    case .protocolViolation(let what):
      return "OVSDB protocol violation: \(what)"
    case .rpcError(let method, let error):
      return "OVSDB \(method) failed: \(error)"
    case .timedOut(let method, let seconds):
      return "OVSDB \(method) got no answer within \(seconds)s"
    case .deadlinePassed(let method):
      return "OVSDB \(method) not started: the time allowed had run out"
    case .outcomeUnknown(let method):
      return "OVSDB connection lost before the reply to \(method): it may or may not have been applied; check and retry"
    case .tooManyConflicts(let n):
      return "OVSDB transaction conflicted with concurrent changes \(n) times in a row; try again"
    case .connectionClosed(let method):
      return method.map { "OVSDB connection closed before \($0) was answered" } ?? "OVSDB connection closed"
    }
  }
}
