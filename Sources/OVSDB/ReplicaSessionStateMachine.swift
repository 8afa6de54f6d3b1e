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
struct ReplicaSessionStateMachine: Sendable {
  enum State: Sendable, Equatable {
    /// Not started, or the start failed (it may be started again).
    case idle
    /// Opening a connection.
    case connecting
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
    /// Open a connection to the server.
    case connect
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

  private(set) var state = State.idle
  /// The method the server accepted on the latest connection; tried first on the next one.
  private(set) var acceptedMethod: MonitorMethod?
  /// Completed (re)synchronisations: 1 after the first, +1 per reconnect.
  private(set) var syncCount = 0
  /// Whether the latest sync resumed from the last transaction id instead of a full dump.
  private(set) var lastSyncResumed = false
  /// Backoff delays waited since the last sync (the next delay's exponent).
  private(set) var reconnectAttempts = 0

  init(
    methods: [MonitorMethod], probeInterval: Duration?, backoff: Backoff,
    jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
  ) {
    self.methods = methods
    self.probeInterval = probeInterval
    self.backoff = backoff
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
      if syncCount == 0 {
        state = .schemaRequested
        return .requestSchema
      }
      // The replica keeps the schema it was built with: its columns were chosen against it, and
      // whoever holds the replica reads rows of that shape. A converted database shows up as a
      // refused monitor (retried with backoff) or as the server dropping the connection.
      return requestMonitor(preferredMethods, since: lastTransactionID ?? Self.fullDumpTransactionID)
    case .closed:
      return .shutdown
    default:
      return .none
    }
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
    return .startMonitoring(resync: !resumed, firstSync: firstSync, probeAfter: probeInterval)
  }

  /// The monitored connection ended (the server closed it, the network failed, or we closed it).
  mutating func connectionLost() -> Action {
    guard isMonitoring else { return .none }
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

  /// Before the first sync a failure is the caller's to see; afterwards it is retried.
  private mutating func syncFailed(closeConnection: Bool) -> Action {
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
