import Testing

@testable import OVSDB

/// The session with several remotes (the servers of one clustered database) and leader-only: which
/// remote each connection goes to, when `_Server` is asked, when a whole round failing ends `start`
/// or backs off, and how a leadership change moves the session on. Pure: no server, no clock.
@Suite struct SessionRemotesTests {
  typealias Machine = ReplicaSessionStateMachine
  static let zero = Machine.fullDumpTransactionID
  static let closed = OVSDBError.connectionClosed(method: nil)

  func machine(remotes: Int = 3, leaderOnly: Bool = true) -> Machine {
    Machine(
      methods: [.monitorCondSince], probeInterval: nil,
      backoff: Backoff(initial: .milliseconds(100), maximum: .seconds(1)), remoteCount: remotes,
      leaderOnly: leaderOnly, jitter: { 1 })
  }

  /// Through the first sync on remote 0, found to be the leader.
  func synced(remotes: Int = 3) -> Machine {
    var m = machine(remotes: remotes)
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    _ = m.serverStatusReceived(usable: true)
    _ = m.schemaReceived()
    _ = m.monitorReplied(found: false)
    return m
  }

  @Test func leaderOnlyAsksServerFirstThenReadsTheSchema() {
    var m = machine()
    #expect(m.start() == .connect)
    #expect(m.remote == 0)
    #expect(m.connected(lastTransactionID: nil) == .requestServerStatus)
    #expect(m.state == .serverStatusRequested)
    #expect(m.serverStatusReceived(usable: true) == .requestSchema)
    #expect(m.schemaReceived() == .requestMonitor(.monitorCondSince, since: Self.zero))
    #expect(m.monitorReplied(found: false) == .startMonitoring(resync: true, firstSync: true, probeAfter: nil))
    #expect(m.remote == 0)
  }

  @Test func oneRemoteOrNotLeaderOnlyDoesNotAskServer() {
    var single = machine(remotes: 1)
    _ = single.start()
    #expect(single.connected(lastTransactionID: nil) == .requestSchema)
    var any = machine(remotes: 3, leaderOnly: false)
    _ = any.start()
    #expect(any.connected(lastTransactionID: nil) == .requestSchema)
  }

  @Test func aFollowerIsLeftForTheNextRemoteAtOnce() {
    var m = machine()
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    #expect(m.serverStatusReceived(usable: false) == .connectNext(closeConnection: true))
    #expect(m.state == .connecting)
    #expect(m.remote == 1)
    #expect(m.connected(lastTransactionID: nil) == .requestServerStatus)
    #expect(m.serverStatusReceived(usable: true) == .requestSchema)
  }

  @Test func aRefusedConnectionGoesOnToTheNextRemoteWithoutClosingAnything() {
    var m = machine()
    _ = m.start()
    #expect(m.connectFailed() == .connectNext(closeConnection: false))
    #expect(m.remote == 1)
    #expect(m.failedThisRound == 1)
  }

  @Test func aWholeRoundFailingBeforeTheFirstSyncFailsStart() {
    // Only followers answer (or nothing does): after each remote once, `start` fails; a new start
    // begins with the remote after the last one tried.
    var m = machine()
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    #expect(m.serverStatusReceived(usable: false) == .connectNext(closeConnection: true))
    #expect(m.connectFailed() == .connectNext(closeConnection: false))
    _ = m.connected(lastTransactionID: nil)
    #expect(m.serverStatusReceived(usable: false) == .failStart(closeConnection: true))
    #expect(m.state == .idle)
    #expect(m.remote == 0)
    #expect(m.failedThisRound == 0)
    #expect(m.start() == .connect)
  }

  @Test func aServerWithoutServerDatabaseIsUsed() {
    // ovsdb-server before 2.9 has no _Server (and no clusters): the JSON-RPC error is not a refusal.
    var m = machine()
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    #expect(m.requestFailed(OVSDBError.rpcError(method: "monitor", error: "unknown database")) == .requestSchema)
  }

  @Test func aServerRequestThatTimesOutTriesTheNextRemote() {
    var m = machine()
    _ = m.start()
    _ = m.connected(lastTransactionID: nil)
    #expect(
      m.requestFailed(OVSDBError.timedOut(method: "monitor _Server", seconds: 1)) == .connectNext(closeConnection: true)
    )
    #expect(m.remote == 1)
  }

  @Test func losingTheLeadershipClosesTheConnectionAndReconnectsToTheNextRemote() {
    var m = synced()
    #expect(m.serverStatusChanged(usable: true) == .none)
    #expect(m.serverStatusChanged(usable: false) == .closeConnection)
    #expect(m.connectionLost() == .reconnect(after: .milliseconds(100), closeConnection: false))
    #expect(m.remote == 1)
    #expect(m.reconnectDue() == .connect)
    // Resumes from the last transaction id on the new leader: no schema again.
    #expect(m.connected(lastTransactionID: "t9") == .requestServerStatus)
    #expect(m.serverStatusReceived(usable: true) == .requestMonitor(.monitorCondSince, since: "t9"))
    #expect(m.monitorReplied(found: true) == .startMonitoring(resync: false, firstSync: false, probeAfter: nil))
    #expect(m.syncCount == 2)
  }

  @Test func afterTheFirstSyncAFailedRoundBacksOffAndStartsAnother() {
    var m = synced()
    _ = m.connectionLost()
    _ = m.reconnectDue()
    // Remotes 1, 2, 0: all followers while the cluster elects a leader.
    #expect(m.connectFailed() == .connectNext(closeConnection: false))
    #expect(m.connectFailed() == .connectNext(closeConnection: false))
    _ = m.connected(lastTransactionID: "t1")
    #expect(m.serverStatusReceived(usable: false) == .reconnect(after: .milliseconds(200), closeConnection: true))
    #expect(m.state == .backingOff)
    #expect(m.remote == 1)
    #expect(m.reconnectDue() == .connect)
    #expect(m.failedThisRound == 0)
  }

  @Test func statusNewsOutsideMonitoringOrWithoutLeaderOnlyIsIgnored() {
    var m = machine()
    _ = m.start()
    #expect(m.serverStatusChanged(usable: false) == .none)
    #expect(m.serverStatusReceived(usable: true) == .none)
    var single = machine(remotes: 1)
    _ = single.start()
    _ = single.connected(lastTransactionID: nil)
    _ = single.schemaReceived()
    _ = single.monitorReplied(found: false)
    #expect(single.serverStatusChanged(usable: false) == .none)
  }

  @Test func singleRemoteBehavesAsBefore() {
    var m = machine(remotes: 1)
    _ = m.start()
    #expect(m.connectFailed() == .failStart(closeConnection: false))
    #expect(m.remote == 0)
  }

  @Test func remoteListsParse() throws {
    #expect(
      try Endpoint.list("tcp:10.0.0.1:6641, tcp:[::1]:6641,ssl:c.example:6641") == [
        .tcp(host: "10.0.0.1", port: 6641), .tcp(host: "::1", port: 6641), .ssl(host: "c.example", port: 6641),
      ])
    #expect(try Endpoint("ssl:127.0.0.1:6641").description == "ssl:127.0.0.1:6641")
    #expect(try Endpoint("ssl:[::1]:6641").description == "ssl:[::1]:6641")
    for bad in ["tcp:a:1,", ",tcp:a:1", "tcp:a:1,,tcp:b:2", "ssl:a", "ssl::1", "tls:a:1", ""] {
      #expect(throws: OVSDBError.self, "\(bad)") { try Endpoint.list(bad) }
    }
  }

  @Test func serverStatusRefusesOnlyAClusteredFollowerOrCutOffServer() {
    #expect(ServerDatabaseStatus(model: "standalone", connected: true, leader: true).refusal == nil)
    #expect(ServerDatabaseStatus(model: "relay", connected: true, leader: false).refusal == nil)
    #expect(ServerDatabaseStatus(model: "clustered", connected: true, leader: true).refusal == nil)
    #expect(ServerDatabaseStatus(model: "clustered", connected: true, leader: false).refusal != nil)
    #expect(ServerDatabaseStatus(model: "clustered", connected: false, leader: true).refusal != nil)
  }

  @Test func serverUpdatesAreFoundByTheirMonitorID() throws {
    #expect(ServerDatabaseStatus.isServerUpdate(RawJSON(["ovsvirt-server", [:]])))
    #expect(!ServerDatabaseStatus.isServerUpdate(RawJSON(["ovsvirt", [:]])))
    let modify: JSON = [
      "Database": [
        "u1": [
          "old": ["leader": true],
          "new": ["name": "OVN_Northbound", "model": "clustered", "connected": true, "leader": false],
        ],
        "u2": ["new": ["name": "_Server", "model": "standalone", "connected": true, "leader": true]],
      ]
    ]
    #expect(
      ServerDatabaseStatus.find("OVN_Northbound", in: modify)
        == .some(ServerDatabaseStatus(model: "clustered", connected: true, leader: false)))
    let removed: JSON = ["Database": ["u1": ["old": ["name": "OVN_Northbound", "model": "clustered"]]]]
    #expect(ServerDatabaseStatus.find("OVN_Northbound", in: removed) == .some(nil))
    #expect(ServerDatabaseStatus.find("Open_vSwitch", in: modify) == nil)
  }
}
