/// Keeps a `Replica` of chosen tables in step with an OVSDB server and runs guarded transactions
/// against it. Reconnects by itself (capped exponential backoff with jitter), resumes the monitor
/// from the last transaction id where the server supports it, probes an idle connection with
/// `echo`, and purges the replica on a full resync so no stale row survives.
public actor ReplicaClient {
  public struct Options: Sendable {
    public var database = "Open_vSwitch"
    public var connectTimeout: Duration = .seconds(5)
    /// Per-call timeout, and how long a transaction waits for a reconnect.
    public var callTimeout: Duration = .seconds(30)
    /// An `echo` is sent this often; no answer within the same time closes and reconnects.
    public var probeInterval: Duration? = .seconds(5)
    public var backoff = Backoff()
    /// Monitor methods to try, in order.
    public var methods: [MonitorMethod] = MonitorMethod.allCases
    /// How many times a transaction is rerun after its guards found the data changed.
    public var maxConflictRetries = 50
    /// An instant nothing this client waits past: connecting, each request (the schema and the
    /// monitor included), a transaction waiting for a reconnect. For a one-shot command that
    /// promises to end by then (ovsvirt's --timeout); nil bounds each step by its own timeout only.
    public var deadline: ContinuousClock.Instant?

    public init() {}
  }

  public nonisolated let remote: String
  public nonisolated let options: Options
  private let tables: [String: [String]?]
  private var client: OVSDBClient?
  private var replicaStorage: Replica?
  private var maintainTask: Task<Void, Never>?
  private var closed = false
  private let monitorID: JSON = "ovsvirt"

  /// The monitor method the server accepted on the latest connection.
  public private(set) var monitorMethod: MonitorMethod?
  /// Completed (re)synchronisations: 1 after `start`, +1 per reconnect.
  public private(set) var syncCount = 0
  /// Whether the latest (re)synchronisation resumed from the last transaction id instead of a full dump.
  public private(set) var lastSyncResumed = false
  /// How many transactions were rerun because a guard found the data changed (for tests and metrics).
  public private(set) var conflictReruns = 0

  /// `tables`: table name → columns to replicate (nil: all columns).
  public init(remote: String, tables: [String: [String]?], options: Options = Options()) {
    self.remote = remote
    self.tables = tables
    self.options = options
  }

  /// Connects and returns once the first full copy is in the replica.
  @discardableResult
  public func start() async throws -> Replica {
    if let replicaStorage { return replicaStorage }
    let connected = try await connectAndSync()
    maintainTask = Task { await self.maintain(connected) }
    guard let replicaStorage else { throw OVSDBError.connectionClosed(method: nil) }
    return replicaStorage
  }

  public var replica: Replica? { replicaStorage }
  public var isConnected: Bool { client?.rpc.isActive ?? false }

  /// Stops reconnecting and closes the connection.
  public func close() async {
    closed = true
    maintainTask?.cancel()
    await client?.close()
    client = nil
    replicaStorage?.finish()
  }

  /// Drops the current connection as if the network failed (tests use it to exercise resume).
  public func disconnect() async {
    await client?.close()
  }

  // MARK: - Transactions

  /// Sends `operations` as one transaction, after checking them against the schema (throwing
  /// `SchemaViolation` naming table.column). If the connection drops before the reply, the
  /// transaction is sent again after reconnecting only when every operation is idempotent;
  /// otherwise the outcome is unknown and that is what is thrown.
  public func transact(_ operations: [DBOperation]) async throws -> [OperationResult] {
    // Validated against the server's schema first: a bad value never reaches the server.
    try replicaStorage?.schema.check(operations)
    let current = try await connectedClient()
    do {
      return try await current.transact(
        options.database, operations, timeout: try bounded(options.callTimeout, for: "transact"))
    } catch OVSDBError.connectionClosed(let method) {
      guard operations.allSatisfy(\.isIdempotent) else {
        throw OVSDBError.outcomeUnknown(method ?? "transact")
      }
      let again = try await connectedClient()
      return try await again.transact(
        options.database, operations, timeout: try bounded(options.callTimeout, for: "transact"))
    }
  }

  /// Runs `body` on the current replica, commits what it added guarded by what it read, and reruns
  /// it on a fresher replica when a guard fails. A body that adds nothing commits nothing.
  /// Returns the body's value and the results of its own operations (guards excluded).
  public func transaction<T: Sendable>(
    _ body: @Sendable (inout TransactionBuilder) throws -> T
  ) async throws -> (value: T, results: [OperationResult]) {
    for _ in 0...options.maxConflictRetries {
      guard let replica = replicaStorage else { throw OVSDBError.connectionClosed(method: nil) }
      let snapshot = replica.snapshot
      var builder = TransactionBuilder(snapshot: snapshot)
      let value = try body(&builder)
      if builder.operations.isEmpty { return (value, []) }
      do {
        let results = try await transact(builder.guards + builder.operations)
        return (value, Array(results.dropFirst(builder.guards.count)))
      } catch let error as TransactionError
        where error.isConflict && (error.operationIndex ?? .max) < builder.guards.count
      {
        conflictReruns += 1
        await waitForReplica(newerThan: snapshot.generation)
      }
    }
    throw OVSDBError.tooManyConflicts(options.maxConflictRetries)
  }

  /// Waits (bounded) until the replica has applied an update after `generation`.
  public func waitForReplica(newerThan generation: Int, timeout: Duration = .seconds(2)) async {
    let deadline = min(ContinuousClock.now + timeout, options.deadline ?? .now + timeout)
    while (replicaStorage?.snapshot.generation ?? 0) <= generation, ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(5))
    }
  }

  private func connectedClient() async throws -> OVSDBClient {
    let deadline = min(ContinuousClock.now + options.callTimeout, options.deadline ?? .now + options.callTimeout)
    while true {
      if let client, client.rpc.isActive { return client }
      if closed { throw OVSDBError.connectionClosed(method: nil) }
      guard ContinuousClock.now < deadline else {
        throw OVSDBError.timedOut(method: "reconnect to \(remote)", seconds: Self.seconds(options.callTimeout))
      }
      try await Task.sleep(for: .milliseconds(10))
    }
  }

  // MARK: - Connection lifecycle

  private func connectAndSync() async throws -> OVSDBClient {
    let fresh = try await OVSDBClient.connect(
      remote, timeout: try bounded(options.connectTimeout, for: "connect to \(remote)"))
    do {
      let replica: Replica
      if let existing = replicaStorage {
        replica = existing
      } else {
        let schema = try await fresh.schema(
          of: options.database, timeout: try bounded(options.callTimeout, for: "get_schema"))
        for table in tables.keys where schema[table] == nil {
          throw OVSDBError.protocolViolation("table \(table) is not in the \(options.database) schema")
        }
        // Columns an older server lacks are left out rather than refused.
        var known: [String: [String]?] = [:]
        for (table, columns) in tables {
          known[table] = columns.map { $0.filter { schema[table]?[$0] != nil } }
        }
        replica = Replica(schema: schema, columns: known)
      }
      try await monitor(fresh, into: replica)
      replicaStorage = replica
      client = fresh
      syncCount += 1
      return fresh
    } catch {
      await fresh.close()
      throw error
    }
  }

  private func monitor(_ connection: OVSDBClient, into replica: Replica) async throws {
    let preferred = monitorMethod.map { m in [m] + options.methods.filter { $0 != m } } ?? options.methods
    var lastError: (any Error)?
    for method in preferred {
      let requests = method.requests(replica.columns, schema: replica.schema)
      let db = JSON.string(options.database)
      do {
        var writer = JSONWriter()
        switch method {
        case .monitorCondSince:
          // The all-zero id asks for a full dump (the server rejects null).
          let last = JSON.string(replica.lastTransactionID ?? "00000000-0000-0000-0000-000000000000")
          writer.write(.array([db, monitorID, requests, last]))
          let reply = try await connection.rpc.callRaw(
            method.rawValue, encodedParams: writer.bytes,
            timeout: try bounded(options.callTimeout, for: method.rawValue))
          let (head, updates) = try TableUpdates.decodeTrailing(
            reply, leading: 2, version2: true, schema: replica.schema)
          guard case .bool(let found) = head[0] else {
            throw OVSDBError.protocolViolation("monitor_cond_since reply is not [found, last-txn-id, updates]")
          }
          replica.apply(updates, resync: !found, lastTransactionID: head[1].stringValue)
          lastSyncResumed = found
        case .monitorCond, .monitor:
          writer.write(.array([db, monitorID, requests]))
          let reply = try await connection.rpc.callRaw(
            method.rawValue, encodedParams: writer.bytes,
            timeout: try bounded(options.callTimeout, for: method.rawValue))
          replica.apply(
            try TableUpdates(raw: reply, version2: method == .monitorCond, schema: replica.schema), resync: true)
          lastSyncResumed = false
        }
        monitorMethod = method
        return
      } catch let error as OVSDBError {
        guard case .rpcError = error else { throw error }
        lastError = error
      }
    }
    throw lastError ?? OVSDBError.protocolViolation("no monitor method configured")
  }

  /// Applies notifications until the connection ends, then reconnects with backoff, forever (until `close`).
  private func maintain(_ first: OVSDBClient) async {
    var current = first
    while !closed {
      await pump(current)
      if client === current { client = nil }
      var attempt = 0
      while !closed {
        try? await Task.sleep(for: options.backoff.delay(attempt: attempt))
        attempt += 1
        if closed { return }
        if let next = try? await connectAndSync() {
          current = next
          break
        }
      }
    }
  }

  private func pump(_ connection: OVSDBClient) async {
    guard let replica = replicaStorage else { return }
    let probe = options.probeInterval
    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        for await event in connection.rpc.events {
          guard case .notification(let method, let params) = event else { continue }
          do {
            try Self.handle(method, params, replica: replica)
          } catch {
            // A notification we cannot read leaves the replica unknown: resync from scratch.
            await connection.close()
          }
        }
      }
      if let probe {
        group.addTask {
          while !Task.isCancelled && connection.rpc.isActive {
            try? await Task.sleep(for: probe)
            if Task.isCancelled { return }
            do {
              _ = try await connection.rpc.call("echo", ["probe"], timeout: probe)
            } catch {
              await connection.close()
              return
            }
          }
        }
      }
      await group.next()
      group.cancelAll()
    }
  }

  static func handle(_ method: String, _ params: RawJSON, replica: Replica) throws {
    switch method {
    case "update", "update2":
      let (_, updates) = try TableUpdates.decodeTrailing(
        params, leading: 1, version2: method == "update2", schema: replica.schema)
      replica.apply(updates)
    case "update3":
      let (head, updates) = try TableUpdates.decodeTrailing(params, leading: 2, version2: true, schema: replica.schema)
      replica.apply(updates, lastTransactionID: head[1].stringValue)
    case "monitor_canceled":
      // The database was removed or its schema converted: our monitor is gone.
      throw OVSDBError.protocolViolation("server canceled the monitor")
    default:
      break
    }
  }

  /// `timeout`, cut to what is left before `options.deadline`; once it has passed, `method` is not
  /// even started.
  nonisolated func bounded(_ timeout: Duration, for method: String) throws(OVSDBError) -> Duration {
    guard let deadline = options.deadline else { return timeout }
    let left = ContinuousClock.now.duration(to: deadline)
    guard left > .zero else { throw .deadlinePassed(method: method) }
    return min(timeout, left)
  }

  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }
}
