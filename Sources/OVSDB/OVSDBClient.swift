/// RFC 7047 methods over one connection. Higher layers (schema, replica, transactions) build on it.
public final class OVSDBClient: Sendable {
  public let rpc: RPCConnection

  public init(rpc: RPCConnection) {
    self.rpc = rpc
  }

  /// Connects to a remote given in OVS syntax (`unix:PATH`, `tcp:HOST:PORT`).
  public static func connect(_ remote: String, timeout: Duration = .seconds(10)) async throws -> OVSDBClient {
    OVSDBClient(rpc: try await RPCConnection.connect(to: try Endpoint(remote), timeout: timeout))
  }

  /// `list_dbs` (RFC 7047 §4.1.1).
  public func listDatabases() async throws -> [String] {
    let result = try await rpc.call("list_dbs")
    guard let names = result.arrayValue?.compactMap(\.stringValue), names.count == result.arrayValue?.count else {
      throw OVSDBError.protocolViolation("list_dbs result is not an array of strings: \(result)")
    }
    return names
  }

  /// `get_schema` (RFC 7047 §4.1.2), as the server sent it.
  public func schemaJSON(of database: String) async throws -> JSON {
    try await rpc.call("get_schema", [.string(database)])
  }

  /// `transact` (RFC 7047 §4.1.3) with operations already in wire form; returns one result per
  /// operation (plus the server's extra error entry when the commit itself failed).
  public func transact(_ database: String, _ operations: [JSON]) async throws -> [JSON] {
    let result = try await rpc.call("transact", [.string(database)] + operations)
    guard let results = result.arrayValue else {
      throw OVSDBError.protocolViolation("transact result is not an array: \(result)")
    }
    return results
  }

  /// `echo` (RFC 7047 §4.1.11): proves the server is alive and answering.
  public func echo(_ payload: [JSON] = []) async throws -> [JSON] {
    let result = try await rpc.call("echo", payload)
    return result.arrayValue ?? []
  }

  public func close() async {
    await rpc.close()
  }
}
