/// RFC 7047 methods over one connection. Higher layers (schema, replica, transactions) build on it.
public final class OVSDBClient: Sendable {
  public let rpc: RPCConnection

  public init(rpc: RPCConnection) {
    self.rpc = rpc
  }

  /// Connects to a remote given in OVS syntax (`unix:PATH`, `tcp:HOST:PORT`, `ssl:HOST:PORT` with
  /// `tls`), or to the first of several (comma-separated) that answers. With several and
  /// `leaderOnlyFor` a database, a server is used only if `_Server` says it may serve that database
  /// to a leader-only client (not a follower of its cluster, nor cut off from it), as ovn-nbctl does
  /// by default. Each attempt waits at most `timeout`, and none starts after `deadline`; when none
  /// succeeds, the error names each remote and why (`OVSDBError.noUsableRemote`).
  public static func connect(
    _ remote: String, timeout: Duration = .seconds(10), tls: TLSFiles? = nil, leaderOnlyFor database: String? = nil,
    deadline: ContinuousClock.Instant? = nil
  ) async throws -> OVSDBClient {
    let endpoints = try Endpoint.list(remote)
    let context = endpoints.contains(where: \.isTLS) ? try (tls ?? TLSFiles()).context() : nil
    var reasons: [String] = []
    for endpoint in endpoints {
      let allowed = deadline.map { min(timeout, ContinuousClock.now.duration(to: $0)) } ?? timeout
      guard allowed > .zero else {
        guard endpoints.count > 1 else { throw OVSDBError.deadlinePassed(method: "connect to \(endpoint)") }
        reasons.append("\(endpoint): not tried, the time allowed had run out")
        continue
      }
      do {
        let client = OVSDBClient(rpc: try await RPCConnection.connect(to: endpoint, timeout: allowed, tls: context))
        guard let database, endpoints.count > 1 else { return client }
        if let refusal = try await client.refusal(for: database, timeout: allowed) {
          await client.close()
          reasons.append("\(endpoint): \(refusal)")
          continue
        }
        return client
      } catch {
        guard endpoints.count > 1 else { throw error }
        reasons.append(OVSDBError.reason(error, at: endpoint.description))
      }
    }
    throw OVSDBError.noUsableRemote(reasons)
  }

  /// Why a leader-only client must not use this server for `database` (a follower, cut off from its
  /// cluster, no such database); nil when it may. A server without `_Server` (before OVS 2.9) has no
  /// clustered databases, so it may.
  public func refusal(for database: String, timeout: Duration) async throws -> String? {
    let reply: JSON
    do {
      reply = try await rpc.call(
        "transact",
        [
          "_Server",
          [
            "op": "select", "table": "Database", "where": [["name", "==", .string(database)]],
            "columns": .array(ServerDatabaseStatus.columns),
          ],
        ],
        timeout: timeout)
    } catch OVSDBError.rpcError {
      return nil
    }
    guard let row = reply.arrayValue?.first?["rows"]?.arrayValue?.first else { return "has no database \(database)" }
    guard let status = ServerDatabaseStatus(row: row) else {
      throw OVSDBError.protocolViolation("_Server Database row for \(database) is not readable: \(row)")
    }
    return status.refusal
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
  public func schemaJSON(of database: String, timeout: Duration? = .seconds(60)) async throws -> JSON {
    try await rpc.call("get_schema", [.string(database)], timeout: timeout)
  }

  /// `transact` (RFC 7047 §4.1.3) of typed operations as one atomic transaction. Throws
  /// `TransactionError` naming the failed operation (or the commit) when the server refused it.
  public func transact(
    _ database: String, _ operations: [DBOperation], timeout: Duration? = .seconds(60)
  ) async throws -> [OperationResult] {
    let reply = try await rpc.callRaw(
      "transact", encodedParams: Self.transactParams(database, operations), timeout: timeout)
    return try OperationResult.decode(reply, for: operations)
  }

  /// The params array of a `transact` request.
  static func transactParams(_ database: String, _ operations: [DBOperation]) -> [UInt8] {
    var writer = JSONWriter(reservingCapacity: 64 + operations.count * 96)
    writer.writeRaw("[")
    writer.writeString(database)
    for operation in operations {
      writer.writeRaw(",")
      writer.write(operation)
    }
    writer.writeRaw("]")
    return writer.bytes
  }

  /// `echo` (RFC 7047 §4.1.11): proves the server is alive and answering.
  public func echo(_ payload: [JSON] = []) async throws -> [JSON] {
    let result = try await rpc.call("echo", payload)
    return result.arrayValue ?? []
  }

  /// `lock` (RFC 7047 §4.1.8): true when granted now; otherwise the server queues us and later
  /// sends a `locked` notification.
  public func lock(_ id: String) async throws -> Bool {
    try await rpc.call("lock", [.string(id)])["locked"] == .bool(true)
  }

  /// `steal` (RFC 7047 §4.1.9): takes the lock from its owner, who receives `stolen`.
  public func steal(_ id: String) async throws {
    _ = try await rpc.call("steal", [.string(id)])
  }

  /// `unlock` (RFC 7047 §4.1.10).
  public func unlock(_ id: String) async throws {
    _ = try await rpc.call("unlock", [.string(id)])
  }

  /// `cancel` (RFC 7047 §4.1.4): asks the server to give up request `requestID` (a `wait` that
  /// would block), as a notification. Debian's ovsdb-server 3.1 ignores it; the call's own timeout
  /// still ends the wait on our side.
  public func cancel(requestID: Int64) async throws {
    try await rpc.notify("cancel", [.int(requestID)])
  }

  /// `monitor_cancel` (RFC 7047 §4.1.7).
  public func cancelMonitor(_ id: JSON) async throws {
    _ = try await rpc.call("monitor_cancel", [id])
  }

  /// `set_db_change_aware` (ovsdb-server(7)): the server then tells us about schema changes and
  /// database removal with `monitor_canceled` instead of closing the connection.
  public func setDatabaseChangeAware(_ aware: Bool = true) async throws {
    _ = try await rpc.call("set_db_change_aware", [.bool(aware)])
  }

  /// The parsed schema of `database`.
  public func schema(of database: String, timeout: Duration? = .seconds(60)) async throws -> DatabaseSchema {
    try DatabaseSchema(json: try await schemaJSON(of: database, timeout: timeout))
  }

  public func close() async {
    await rpc.close()
  }
}
