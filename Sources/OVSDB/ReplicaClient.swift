import NIOSSL

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
    /// An `echo` is sent once nothing was received for this long; no answer within the same time
    /// closes and reconnects.
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
    /// Keys and certificates for `ssl:` remotes.
    public var tls: TLSFiles?
    /// With several remotes, use a clustered database only through its leader (as OVS's IDL does by
    /// default): a follower, or a server cut off from its cluster, is left for the next remote, and
    /// a leadership change moves the session to the new leader.
    public var leaderOnly = true
    /// Whether the replica keeps the schema's unique indexes, for finding rows by name (planning
    /// does). A client that only lists what it read can go without.
    public var indexed = true

    public init() {}
  }

  /// The remote, or the comma-separated remotes of one clustered database, as given.
  public nonisolated let remote: String
  /// `remote` parsed (or why it could not be: reported by `start`).
  let endpoints: Result<[Endpoint], OVSDBError>
  /// Made from `options.tls` when an `ssl:` remote is first connected.
  var tlsStorage: NIOSSLContext?
  public nonisolated let options: Options
  let tables: [String: [String]?]
  static let monitorID: JSON = "ovsvirt"
  /// Where the session is (connecting, monitoring, backing off, …); this actor carries out its actions.
  var session: ReplicaSessionStateMachine
  /// The monitored connection; nil until the first sync and while reconnecting.
  var client: OVSDBClient?
  /// A connection being set up (schema, monitor request), not monitored yet.
  var pendingConnection: OVSDBClient?
  var replicaStorage: Replica?
  /// Carries out the session's actions from `start` until `close` (or a failed first sync).
  var driver: Task<Void, Never>?
  /// Callers of `start` waiting for the first sync.
  var startWaiters: [CheckedContinuation<Replica, any Error>] = []
  /// Advanced to `syncCount` at every sync, finished by `close`: a transaction waiting for a
  /// reconnect waits on it.
  let syncs = GenerationWaiters()

  /// The monitor method the server accepted on the latest connection.
  public var monitorMethod: MonitorMethod? { session.acceptedMethod }
  /// Completed (re)synchronisations: 1 after `start`, +1 per reconnect.
  public var syncCount: Int { session.syncCount }
  /// Whether the latest (re)synchronisation resumed from the last transaction id instead of a full dump.
  public var lastSyncResumed: Bool { session.lastSyncResumed }
  /// How many transactions were rerun because a guard found the data changed (for tests and metrics).
  public private(set) var conflictReruns = 0
  /// How many times `_Server` said the server in use was no longer usable (it lost the leadership or
  /// its cluster) and the session moved on to the next remote (for tests and metrics).
  public internal(set) var leadershipLosses = 0

  /// `tables`: table name → columns to replicate (nil: all columns). `remote`: one remote or several,
  /// comma-separated (`tcp:A:6641,tcp:B:6641`), tried in turn.
  public init(remote: String, tables: [String: [String]?], options: Options = Options()) {
    self.remote = remote
    self.tables = tables
    self.options = options
    endpoints = Result { () throws(OVSDBError) in try Endpoint.list(remote) }
    let count = (try? endpoints.get())?.count ?? 1
    session = ReplicaSessionStateMachine(
      methods: options.methods, probeInterval: options.probeInterval, backoff: options.backoff,
      remoteCount: count, leaderOnly: options.leaderOnly)
  }

  /// The remote the session is on (or about to try).
  public var currentRemote: String {
    guard let list = try? endpoints.get(), list.indices.contains(session.remote) else { return remote }
    return list[session.remote].description
  }

  /// Connects and returns once the first full copy is in the replica.
  @discardableResult
  public func start() async throws -> Replica {
    if let replicaStorage { return replicaStorage }
    switch session.start() {
    case .connect:
      driver = Task { await self.run(.connect) }
    default:
      // Closed: there is nothing to start. Otherwise a start is under way; this call joins it.
      if session.isClosed { throw OVSDBError.connectionClosed(method: nil) }
    }
    // Not a deadline of its own: every step of the first sync is bounded (connect and call
    // timeouts, `options.deadline`), and `close` ends it too.
    return try await withCheckedThrowingContinuation { startWaiters.append($0) }
  }

  public var replica: Replica? { replicaStorage }
  public var isConnected: Bool { client?.rpc.isActive ?? false }

  /// Stops reconnecting and closes the connection.
  public func close() async {
    if case .shutdown = session.close() { await shutdown() }
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
    guard let replica = replicaStorage else { return }
    _ = await replica.waitForUpdate(after: generation, until: deadline(after: timeout))
  }

  /// The monitored connection, waiting (at most the call timeout) for a reconnect to finish.
  private func connectedClient() async throws -> OVSDBClient {
    let deadline = deadline(after: options.callTimeout)
    while true {
      let seen = session.syncCount
      if let client, client.rpc.isActive { return client }
      if session.isClosed { throw OVSDBError.connectionClosed(method: nil) }
      // Woken by the next sync (which may again be lost before we look: then wait for another).
      guard await syncs.wait(after: seen, until: deadline) else {
        if session.isClosed { throw OVSDBError.connectionClosed(method: nil) }
        throw OVSDBError.timedOut(method: "reconnect to \(remote)", seconds: Self.seconds(options.callTimeout))
      }
    }
  }

  /// `timeout` from now, but no later than `options.deadline`.
  private func deadline(after timeout: Duration) -> ContinuousClock.Instant {
    let own = ContinuousClock.now + timeout
    return options.deadline.map { min(own, $0) } ?? own
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
