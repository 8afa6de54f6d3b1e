import Testing

@testable import OVSDB

/// Every transition of the replica session, without a server or a clock: events in, actions out.
/// Backoff jitter is pinned to the ceiling, so delays are exact.
@Suite struct SessionStateMachineTests {
  typealias Machine = ReplicaSessionStateMachine
  static let zero = Machine.fullDumpTransactionID
  static let unknownMethod = OVSDBError.rpcError(method: "monitor_cond_since", error: "unknown method")

  func machine(
    methods: [MonitorMethod] = MonitorMethod.allCases, probe: Duration? = .seconds(5), jitter: Double = 1
  ) -> Machine {
    Machine(
      methods: methods, probeInterval: probe, backoff: Backoff(initial: .milliseconds(100), maximum: .seconds(1)),
      jitter: { jitter })
  }

  /// A machine through its first sync with monitor_cond_since.
  func synced(probe: Duration? = .seconds(5), jitter: Double = 1) -> Machine {
    var m = machine(probe: probe, jitter: jitter)
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    _ = m.schemaReceived()
    _ = m.monitorReplied(found: false)
    return m
  }

  /// `synced`, then the connection lost and a new one opened, waiting for the monitor reply.
  func reconnecting(lastTransactionID: String? = "t1") -> Machine {
    var m = synced()
    _ = m.connectionLost()
    _ = m.reconnectDue()
    _ = m.connected(lastTransactionID: lastTransactionID)
    return m
  }

  // MARK: - First sync

  @Test func firstSyncConnectsReadsTheSchemaAndAsksForAFullDump() {
    var m = machine()
    #expect(m.state == .idle)
    #expect(m.start() == .connect)
    #expect(m.state == .connecting)
    #expect(m.connected(lastTransactionID: nil) == .requestSchema)
    #expect(m.state == .schemaRequested)
    #expect(m.schemaReceived() == .requestMonitor(.monitorCondSince, since: Self.zero))
    #expect(m.state == .monitorRequested(.monitorCondSince, fallbacks: [.monitorCond, .monitor], since: Self.zero))
    #expect(
      m.monitorReplied(found: false) == .startMonitoring(resync: true, firstSync: true, probeAfter: .seconds(5)))
    #expect(m.state == .monitoring(.monitorCondSince, probe: .idle))
    #expect(m.syncCount == 1)
    #expect(m.acceptedMethod == .monitorCondSince)
    #expect(m.lastSyncResumed == false)
  }

  @Test func startWhileStartingOrMonitoringDoesNothing() {
    var m = machine()
    _ = m.start()
    #expect(m.start() == .none)
    var s = synced()
    #expect(s.start() == .none)
    #expect(s.isMonitoring)
  }

  @Test func refusedMonitorMethodsFallBackInOrder() {
    var m = machine()
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    _ = m.schemaReceived()
    // An older server: "unknown method" for monitor_cond_since, then for monitor_cond.
    #expect(m.requestFailed(Self.unknownMethod) == .requestMonitor(.monitorCond, since: nil))
    #expect(m.state == .monitorRequested(.monitorCond, fallbacks: [.monitor], since: Self.zero))
    #expect(
      m.requestFailed(OVSDBError.rpcError(method: "monitor_cond", error: "unknown method"))
        == .requestMonitor(.monitor, since: nil))
    #expect(m.monitorReplied(found: nil) == .startMonitoring(resync: true, firstSync: true, probeAfter: .seconds(5)))
    #expect(m.acceptedMethod == .monitor)
    #expect(m.state == .monitoring(.monitor, probe: .idle))
  }

  @Test func onlyTheConfiguredMethodsAreTried() {
    var m = machine(methods: [.monitorCond])
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    #expect(m.schemaReceived() == .requestMonitor(.monitorCond, since: nil))
    #expect(m.requestFailed(Self.unknownMethod) == .failStart(closeConnection: true))
    #expect(m.state == .idle)
  }

  @Test func everyMethodRefusedFailsTheStart() {
    var m = machine()
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    _ = m.schemaReceived()
    _ = m.requestFailed(Self.unknownMethod)
    _ = m.requestFailed(Self.unknownMethod)
    #expect(m.requestFailed(Self.unknownMethod) == .failStart(closeConnection: true))
    #expect(m.state == .idle)
    #expect(m.syncCount == 0)
    // A failed start may be tried again from the top.
    #expect(m.start() == .connect)
  }

  @Test func aTimeoutIsNotAReasonToFallBack() {
    var m = machine()
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    _ = m.schemaReceived()
    let timeout = OVSDBError.timedOut(method: "monitor_cond_since", seconds: 30)
    #expect(m.requestFailed(timeout) == .failStart(closeConnection: true))
    #expect(m.state == .idle)
  }

  @Test func firstSyncFailuresEndTheStart() {
    var refused = machine()
    _ = refused.start()
    #expect(refused.connectFailed() == .failStart(closeConnection: false))
    #expect(refused.state == .idle)

    var noSchema = machine()
    _ = noSchema.start()
    _ = noSchema.connected(lastTransactionID: nil)
    #expect(
      noSchema.requestFailed(OVSDBError.deadlinePassed(method: "get_schema")) == .failStart(closeConnection: true))
    #expect(noSchema.state == .idle)
  }

  // MARK: - Loss, backoff, resume

  @Test func serverClosingTheConnectionBacksOffThenReconnects() {
    var m = synced()
    #expect(m.connectionLost() == .reconnect(after: .milliseconds(100), closeConnection: false))
    #expect(m.state == .backingOff)
    #expect(m.reconnectDue() == .connect)
    #expect(m.state == .connecting)
  }

  @Test func reconnectResumesFromTheLastTransactionWithoutReadingTheSchema() {
    var m = synced()
    _ = m.connectionLost()
    _ = m.reconnectDue()
    #expect(m.connected(lastTransactionID: "t1") == .requestMonitor(.monitorCondSince, since: "t1"))
  }

  @Test func resumedMonitorKeepsTheRows() {
    var m = reconnecting()
    #expect(m.monitorReplied(found: true) == .startMonitoring(resync: false, firstSync: false, probeAfter: .seconds(5)))
    #expect(m.lastSyncResumed)
    #expect(m.syncCount == 2)
  }

  @Test func notFoundReplacesTheRows() {
    var m = reconnecting()
    #expect(m.monitorReplied(found: false) == .startMonitoring(resync: true, firstSync: false, probeAfter: .seconds(5)))
    #expect(m.lastSyncResumed == false)
    #expect(m.syncCount == 2)
  }

  @Test func withoutATransactionIDTheReconnectAsksForAFullDump() {
    var m = synced()
    _ = m.connectionLost()
    _ = m.reconnectDue()
    #expect(m.connected(lastTransactionID: nil) == .requestMonitor(.monitorCondSince, since: Self.zero))
  }

  @Test func reconnectTriesTheAcceptedMethodFirst() {
    var m = machine()
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    _ = m.schemaReceived()
    _ = m.requestFailed(Self.unknownMethod)
    _ = m.monitorReplied(found: nil)
    #expect(m.acceptedMethod == .monitorCond)
    _ = m.connectionLost()
    _ = m.reconnectDue()
    #expect(m.connected(lastTransactionID: "t1") == .requestMonitor(.monitorCond, since: nil))
    // Then the others in their configured order; monitor_cond_since still resumes from t1.
    #expect(m.requestFailed(Self.unknownMethod) == .requestMonitor(.monitorCondSince, since: "t1"))
    #expect(m.requestFailed(Self.unknownMethod) == .requestMonitor(.monitor, since: nil))
  }

  @Test func backoffGrowsToItsCapAndResetsAfterASync() {
    var m = synced()
    #expect(m.connectionLost() == .reconnect(after: .milliseconds(100), closeConnection: false))
    var delays: [Duration] = []
    for _ in 0..<5 {
      _ = m.reconnectDue()
      guard case .reconnect(let delay, closeConnection: false) = m.connectFailed() else {
        Issue.record("a failed reconnect did not back off")
        return
      }
      delays.append(delay)
    }
    #expect(delays == [.milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
    #expect(m.reconnectAttempts == 6)
    _ = m.reconnectDue()
    _ = m.connected(lastTransactionID: "t1")
    _ = m.monitorReplied(found: true)
    #expect(m.reconnectAttempts == 0)
    #expect(m.connectionLost() == .reconnect(after: .milliseconds(100), closeConnection: false))
  }

  @Test func backoffDelaysAreJitteredBelowTheCeiling() {
    var m = synced(jitter: 0.25)
    #expect(m.connectionLost() == .reconnect(after: .milliseconds(25), closeConnection: false))
    _ = m.reconnectDue()
    #expect(m.connectFailed() == .reconnect(after: .milliseconds(50), closeConnection: false))
  }

  @Test func failedResyncClosesTheConnectionAndRetries() {
    // After the first sync nothing ends the session but `close`: a monitor that times out is retried.
    var m = reconnecting()
    #expect(
      m.requestFailed(OVSDBError.timedOut(method: "monitor_cond_since", seconds: 30))
        == .reconnect(after: .milliseconds(200), closeConnection: true))
    #expect(m.state == .backingOff)
  }

  // MARK: - Schema change

  @Test func monitorCanceledDropsTheConnectionAndResyncsOnTheSameSchema() {
    // The server converted the database (monitor_canceled), or sent an update we cannot read.
    var m = synced()
    #expect(m.monitorBroken() == .closeConnection)
    #expect(m.connectionLost() == .reconnect(after: .milliseconds(100), closeConnection: false))
    _ = m.reconnectDue()
    // The replica keeps the schema it was built with: no get_schema, straight to the monitor.
    #expect(m.connected(lastTransactionID: "t1") == .requestMonitor(.monitorCondSince, since: "t1"))
    // A converted database does not know the old transaction: everything is replaced.
    #expect(m.monitorReplied(found: false) == .startMonitoring(resync: true, firstSync: false, probeAfter: .seconds(5)))
  }

  @Test func aSchemaThatNoLongerFitsIsRetriedWithBackoffNotGivenUp() {
    // The new schema lacks a monitored column: every method is refused. The session keeps the old
    // replica and keeps trying (an operator may convert the database back), backing off further.
    var m = reconnecting()
    _ = m.requestFailed(Self.unknownMethod)
    _ = m.requestFailed(Self.unknownMethod)
    #expect(m.requestFailed(Self.unknownMethod) == .reconnect(after: .milliseconds(200), closeConnection: true))
    _ = m.reconnectDue()
    _ = m.connected(lastTransactionID: "t1")
    _ = m.requestFailed(Self.unknownMethod)
    _ = m.requestFailed(Self.unknownMethod)
    #expect(m.requestFailed(Self.unknownMethod) == .reconnect(after: .milliseconds(400), closeConnection: true))
    #expect(m.syncCount == 1)
  }

  @Test func monitorBrokenOutsideMonitoringIsIgnored() {
    var m = machine()
    _ = m.start()
    #expect(m.monitorBroken() == .none)
    #expect(m.state == .connecting)
  }

  // MARK: - Probe

  @Test func idleConnectionIsProbedAndAnswerRearmsTheProbe() {
    var m = synced()
    #expect(m.probeDue(idleFor: .seconds(5)) == .sendProbe(timeout: .seconds(5)))
    #expect(m.state == .monitoring(.monitorCondSince, probe: .awaitingReply))
    #expect(m.probeReplied() == .waitForProbe(.seconds(5)))
    #expect(m.state == .monitoring(.monitorCondSince, probe: .idle))
  }

  @Test func recentTrafficPostponesTheProbe() {
    var m = synced()
    #expect(m.probeDue(idleFor: .seconds(2)) == .waitForProbe(.seconds(3)))
    #expect(m.state == .monitoring(.monitorCondSince, probe: .idle))
  }

  @Test func unansweredProbeClosesAndReconnects() {
    var m = synced()
    _ = m.probeDue(idleFor: .seconds(7))
    #expect(m.probeFailed() == .closeConnection)
    #expect(m.connectionLost() == .reconnect(after: .milliseconds(100), closeConnection: false))
  }

  @Test func noProbeWhenDisabled() {
    var m = synced(probe: nil)
    #expect(m.state == .monitoring(.monitorCondSince, probe: .idle))
    #expect(m.probeDue(idleFor: .seconds(3600)) == .none)
    var fresh = machine(probe: nil)
    _ = fresh.start()
    _ = fresh.connected(lastTransactionID: nil)
    _ = fresh.schemaReceived()
    #expect(fresh.monitorReplied(found: false) == .startMonitoring(resync: true, firstSync: true, probeAfter: nil))
  }

  @Test func lateProbeResultsAreIgnored() {
    var m = synced()
    // No echo outstanding: a stray reply or failure changes nothing.
    #expect(m.probeReplied() == .none)
    #expect(m.probeFailed() == .none)
    // A probe result after the connection was lost must not touch the next one.
    _ = m.probeDue(idleFor: .seconds(5))
    _ = m.connectionLost()
    #expect(m.probeFailed() == .none)
    #expect(m.probeReplied() == .none)
    #expect(m.probeDue(idleFor: .seconds(5)) == .none)
    #expect(m.state == .backingOff)
  }

  // MARK: - Events out of place

  @Test func eventsThatDoNotBelongToTheStateAreIgnored() {
    var m = machine()
    #expect(m.connected(lastTransactionID: nil) == .none)
    #expect(m.connectFailed() == .none)
    #expect(m.schemaReceived() == .none)
    #expect(m.requestFailed(Self.unknownMethod) == .none)
    #expect(m.monitorReplied(found: true) == .none)
    #expect(m.connectionLost() == .none)
    #expect(m.reconnectDue() == .none)
    #expect(m.state == .idle)
  }

  // MARK: - Close

  /// A machine in each state the session can be closed in.
  func everyState() -> [Machine] {
    var connecting = machine()
    _ = connecting.start()
    var schema = connecting
    _ = schema.connected(lastTransactionID: nil)
    var monitor = schema
    _ = monitor.schemaReceived()
    var probing = synced()
    _ = probing.probeDue(idleFor: .seconds(5))
    var backingOff = synced()
    _ = backingOff.connectionLost()
    var closed = synced()
    _ = closed.close()
    return [machine(), connecting, schema, monitor, synced(), probing, backingOff, reconnecting(), closed]
  }

  @Test func closeFromAnyStateShutsDownForGood() {
    let states = everyState()
    #expect(Set(states.map { "\($0.state)" }).count == states.count, "each state once")
    for var m in states {
      let before = m.state
      #expect(m.close() == .shutdown, "from \(before)")
      #expect(m.state == .closed)
      #expect(m.start() == .none)
      // Steps still under way when close was called finish into nothing…
      #expect(m.connectFailed() == .none)
      #expect(m.schemaReceived() == .none)
      #expect(m.requestFailed(Self.unknownMethod) == .none)
      #expect(m.monitorReplied(found: false) == .none)
      #expect(m.connectionLost() == .none)
      #expect(m.reconnectDue() == .none)
      #expect(m.probeDue(idleFor: .seconds(60)) == .none)
      #expect(m.probeFailed() == .none)
      #expect(m.monitorBroken() == .none)
      // …except a connection that opened meanwhile, which must be closed too.
      #expect(m.connected(lastTransactionID: nil) == .shutdown)
      #expect(m.state == .closed)
    }
  }

  // MARK: - Backoff

  @Test func backoffCeilingDoublesUpToTheMaximum() {
    let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
    #expect(
      (0..<7).map(backoff.ceiling(attempt:)) == [100, 200, 400, 800, 1600, 2000, 2000].map(Duration.milliseconds))
    #expect(backoff.ceiling(attempt: 10_000) == .seconds(2))
    #expect(backoff.delay(attempt: 3, jitter: 0.5) == .milliseconds(400))
    #expect(backoff.delay(attempt: 3, jitter: 0) == .zero)
    for attempt in 0..<10 { #expect(backoff.delay(attempt: attempt) <= backoff.ceiling(attempt: attempt)) }
  }
}
