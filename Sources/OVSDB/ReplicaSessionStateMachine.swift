/// The life of a replica's session with an OVSDB server, as a value: events go in (a connection
/// opened, a reply arrived, a request failed, a timer fired), the next thing to do comes out. It
/// does no I/O and reads no clock, so every transition (monitor fallback, resume, backoff, probe,
/// close) is tested without a server (SessionStateMachineTests); `ReplicaClient` carries out the
/// actions. The same split as OVS's ovsdb-cs (states, then events for the IDL) and postgres-nio's
/// ConnectionStateMachine (state in, action out).
///
/// One session: connect → (first time only) get_schema → monitor, newest method first, falling back
/// on a JSON-RPC error → monitoring, with an echo probe when the connection is idle → on loss, back
/// off and reconnect, resuming from the last transaction id where the method allows. Before the
/// first sync every failure ends `start`; afterwards every failure is retried, forever, until `close`.
///
/// Several remotes (the servers of one clustered database) are tried in turn, as OVS's ovsdb-cs
/// does: a remote that fails (or, leader-only, is not the cluster's leader) makes the session go
/// on to the next one at once; only when a whole round failed does it give up (first sync) or back
/// off. Leader-only, each connection first monitors the server's `_Server` database; a status
/// saying this server is no longer the leader (or is cut off from its cluster) closes the
/// connection, and the session reconnects to the next remote.
struct ReplicaSessionStateMachine: Sendable {
  enum State: Sendable, Equatable {
    /// Not started, or the start failed (it may be started again).
    case idle
    /// Opening a connection (to `remote`).
    case connecting
    /// Leader-only: waiting for the server's `_Server` status of the database.
    case serverStatusRequested
    /// Waiting for the database schema (first sync only: afterwards the replica keeps its schema).
    case schemaRequested
    /// Waiting for the reply to a monitor request; `fallbacks` are the methods still to try if the
    /// server refuses `method`, `since` the transaction id monitor_cond_since resumes from.
    case monitorRequested(MonitorMethod, fallbacks: [MonitorMethod], since: String)
    /// Following updates on an established monitor.
    case monitoring(MonitorMethod, probe: Probe)
    /// Waiting out a backoff delay before reconnecting.
    case backingOff
    /// `close` was called; nothing happens any more.
    case closed
  }

  /// The inactivity probe while monitoring.
  enum Probe: Sendable, Equatable {
    /// No echo outstanding.
    case idle
    /// An echo was sent and is not answered yet.
    case awaitingReply
  }

  enum Action: Sendable, Equatable {
    /// Open a connection to the server, remote number `remote` of the list.
    case connect
    /// Close the half-set-up connection if `closeConnection`, then open one to `remote` (the remote
    /// before it failed and others are left to try in this round).
    case connectNext(closeConnection: Bool)
    /// Monitor the server's `_Server` `Database` row for the database (leader-only).
    case requestServerStatus
    /// Send `get_schema` for the database.
    case requestSchema
    /// Send a monitor request with `method`; `since` is the transaction id monitor_cond_since
    /// resumes from (the all-zero id asks for a full dump), nil for the other methods.
    case requestMonitor(MonitorMethod, since: String?)
    /// The monitor is established: apply its reply (`resync`: replacing every row, else adding to
    /// the rows kept from the last connection), publish the connection, wake whoever waits for it,
    /// follow the updates, and (unless nil) arm the inactivity probe for `probeAfter`.
    case startMonitoring(resync: Bool, firstSync: Bool, probeAfter: Duration?)
    /// Check the probe again after this long (the connection was not idle for a whole interval).
    case waitForProbe(Duration)
    /// Send an `echo`; no reply within `timeout` means the server is gone.
    case sendProbe(timeout: Duration)
    /// Close the monitored connection; its updates end, which reports `connectionLost`.
    case closeConnection
    /// Close the half-set-up connection if `closeConnection`, wait `after`, then report
    /// `reconnectDue`.
    case reconnect(after: Duration, closeConnection: Bool)
    /// The first sync failed: close the half-set-up connection if `closeConnection`, and fail
    /// `start` with the error of the step that failed.
    case failStart(closeConnection: Bool)
    /// Close every connection, fail whoever waits, end the replica's change streams.
    case shutdown
    /// Nothing to do (an event that no longer matters in this state, e.g. a late probe reply).
    case none
  }

  static let fullDumpTransactionID = "00000000-0000-0000-0000-000000000000"

  /// Monitor methods to try, in order, until one is accepted.
  let methods: [MonitorMethod]
  let probeInterval: Duration?
  let backoff: Backoff
  /// The random part of each backoff delay (0…1 of its ceiling); tests pin it.
  let jitter: @Sendable () -> Double
  /// How many remotes the list has (at least 1).
  let remoteCount: Int
  /// Whether each connection first checks, in `_Server`, that this server may be used (leader-only
  /// and several remotes: with one remote there is no other server to prefer, and a follower
  /// forwards writes to the leader).
  let checksServer: Bool

  private(set) var state = State.idle
  /// The method the server accepted on the latest connection; tried first on the next one.
  private(set) var acceptedMethod: MonitorMethod?
  /// Completed (re)synchronisations: 1 after the first, +1 per reconnect.
  private(set) var syncCount = 0
  /// Whether the latest sync resumed from the last transaction id instead of a full dump.
  private(set) var lastSyncResumed = false
  /// Backoff delays waited since the last sync (the next delay's exponent).
  private(set) var reconnectAttempts = 0
  /// The remote to connect to next (or connected to), an index into the list.
  private(set) var remote = 0
  /// Remotes that failed since this round of the list began.
  private(set) var failedThisRound = 0
  /// The replica's last transaction id when the connection opened, kept while `_Server` is asked.
  private var resumeFrom: String?

  init(
    methods: [MonitorMethod], probeInterval: Duration?, backoff: Backoff, remoteCount: Int = 1,
    leaderOnly: Bool = true, jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
  ) {
    self.methods = methods
    self.probeInterval = probeInterval
    self.backoff = backoff
    self.remoteCount = max(remoteCount, 1)
    self.checksServer = leaderOnly && remoteCount > 1
    self.jitter = jitter
  }

  var isClosed: Bool { state == .closed }
  var isMonitoring: Bool {
    if case .monitoring = state { return true }
    return false
  }

  // MARK: - Events

  /// `start` was called.
  mutating func start() -> Action {
    guard state == .idle else { return .none }
    state = .connecting
    return .connect
  }

  /// A connection opened. `lastTransactionID`: the replica's, for resuming (nil before the first sync).
  mutating func connected(lastTransactionID: String?) -> Action {
    switch state {
    case .connecting:
      if checksServer {
        resumeFrom = lastTransactionID
        state = .serverStatusRequested
        return .requestServerStatus
      }
      return setUp(lastTransactionID: lastTransactionID)
    case .closed:
      return .shutdown
    default:
      return .none
    }
  }

  /// The server's `_Server` status of the database arrived: `usable` unless it is clustered and this
  /// server is not its leader or not connected to it (or the database is not there).
  mutating func serverStatusReceived(usable: Bool) -> Action {
    guard state == .serverStatusRequested else { return .none }
    guard usable else { return syncFailed(closeConnection: true) }
    return setUp(lastTransactionID: resumeFrom)
  }

  /// While monitoring, the `_Server` monitor reported the database's status again (a leadership
  /// change, a lost cluster connection): a server no longer usable is left for the next remote.
  mutating func serverStatusChanged(usable: Bool) -> Action {
    guard isMonitoring, checksServer, !usable else { return .none }
    return .closeConnection
  }

  /// Opening a connection failed (refused, timed out, or the deadline had passed).
  mutating func connectFailed() -> Action {
    guard state == .connecting else { return .none }
    return syncFailed(closeConnection: false)
  }

  /// The schema arrived and names every table to replicate (the replica was built from it).
  mutating func schemaReceived() -> Action {
    guard state == .schemaRequested else { return .none }
    return requestMonitor(methods, since: Self.fullDumpTransactionID)
  }

  /// The pending request (schema or monitor) failed, or its reply could not be read.
  mutating func requestFailed(_ error: any Error) -> Action {
    switch state {
    case .serverStatusRequested:
      // A JSON-RPC error: a server without `_Server` (before OVS 2.9), which had no clusters either.
      if case .rpcError = error as? OVSDBError { return setUp(lastTransactionID: resumeFrom) }
      return syncFailed(closeConnection: true)
    case .schemaRequested:
      return syncFailed(closeConnection: true)
    case .monitorRequested(_, let fallbacks, let since):
      // A JSON-RPC error means this server does not offer the method (older ovsdb-server: "unknown
      // method"); anything else (timeout, closed, unreadable reply) is the connection's fault.
      if case .rpcError = error as? OVSDBError, !fallbacks.isEmpty {
        return requestMonitor(fallbacks, since: since)
      }
      return syncFailed(closeConnection: true)
    default:
      return .none
    }
  }

  /// The monitor request was answered. `found`: monitor_cond_since's flag (the server still had
  /// our last transaction and sent only what followed it); nil for methods without one.
  mutating func monitorReplied(found: Bool?) -> Action {
    guard case .monitorRequested(let method, _, _) = state else { return .none }
    let resumed = found == true
    let firstSync = syncCount == 0
    state = .monitoring(method, probe: .idle)
    acceptedMethod = method
    syncCount += 1
    lastSyncResumed = resumed
    reconnectAttempts = 0
    failedThisRound = 0
    return .startMonitoring(resync: !resumed, firstSync: firstSync, probeAfter: probeInterval)
  }

  /// The monitored connection ended (the server closed it, the network failed, or we closed it).
  mutating func connectionLost() -> Action {
    guard isMonitoring else { return .none }
    // The next remote first: the server that dropped us (or lost the leadership) is the least
    // likely to serve us now; after a whole round, this one again.
    remote = (remote + 1) % remoteCount
    return scheduleReconnect(closeConnection: false)
  }

  /// The backoff delay has passed.
  mutating func reconnectDue() -> Action {
    guard state == .backingOff else { return .none }
    state = .connecting
    return .connect
  }

  /// The probe timer fired; nothing was received for `idleFor`.
  mutating func probeDue(idleFor: Duration) -> Action {
    guard case .monitoring(let method, .idle) = state, let interval = probeInterval else { return .none }
    // Like OVS's reconnect FSM: traffic proves the server alive, so only an idle connection is probed.
    guard idleFor >= interval else { return .waitForProbe(interval - idleFor) }
    state = .monitoring(method, probe: .awaitingReply)
    return .sendProbe(timeout: interval)
  }

  /// The echo was answered.
  mutating func probeReplied() -> Action {
    guard case .monitoring(let method, .awaitingReply) = state, let interval = probeInterval else { return .none }
    state = .monitoring(method, probe: .idle)
    return .waitForProbe(interval)
  }

  /// The echo went unanswered (or failed): the server is wedged or unreachable.
  mutating func probeFailed() -> Action {
    guard case .monitoring(_, .awaitingReply) = state else { return .none }
    return .closeConnection
  }

  /// A notification could not be applied (unreadable) or the server sent `monitor_canceled` (the
  /// database was removed or its schema converted): the replica no longer follows the server, so
  /// the connection is dropped and the next one resynchronises.
  mutating func monitorBroken() -> Action {
    guard isMonitoring else { return .none }
    return .closeConnection
  }

  /// `close` was called: from any state, the session ends for good.
  mutating func close() -> Action {
    state = .closed
    return .shutdown
  }

  // MARK: - Helpers

  /// The schema (first sync) or the monitor (afterwards), on a connection found usable.
  private mutating func setUp(lastTransactionID: String?) -> Action {
    if syncCount == 0 {
      state = .schemaRequested
      return .requestSchema
    }
    // The replica keeps the schema it was built with: its columns were chosen against it, and
    // whoever holds the replica reads rows of that shape. A converted database shows up as a
    // refused monitor (retried with backoff) or as the server dropping the connection.
    return requestMonitor(preferredMethods, since: lastTransactionID ?? Self.fullDumpTransactionID)
  }

  /// The accepted method first, then the rest in their configured order.
  private var preferredMethods: [MonitorMethod] {
    guard let acceptedMethod else { return methods }
    return [acceptedMethod] + methods.filter { $0 != acceptedMethod }
  }

  private mutating func requestMonitor(_ candidates: [MonitorMethod], since: String) -> Action {
    guard let method = candidates.first else { return syncFailed(closeConnection: true) }
    state = .monitorRequested(method, fallbacks: Array(candidates.dropFirst()), since: since)
    return .requestMonitor(method, since: method == .monitorCondSince ? since : nil)
  }

  /// The current remote failed. Another remote not yet tried in this round is tried at once; once
  /// all failed, before the first sync the failure is the caller's to see, afterwards it is retried.
  private mutating func syncFailed(closeConnection: Bool) -> Action {
    failedThisRound += 1
    remote = (remote + 1) % remoteCount
    if failedThisRound < remoteCount {
      state = .connecting
      return .connectNext(closeConnection: closeConnection)
    }
    failedThisRound = 0
    guard syncCount > 0 else {
      state = .idle
      return .failStart(closeConnection: closeConnection)
    }
    return scheduleReconnect(closeConnection: closeConnection)
  }

  private mutating func scheduleReconnect(closeConnection: Bool) -> Action {
    state = .backingOff
    let delay = backoff.delay(attempt: reconnectAttempts, jitter: jitter())
    reconnectAttempts += 1
    return .reconnect(after: delay, closeConnection: closeConnection)
  }
}
