import NIOConcurrencyHelpers
import NIOSSL

/// Carrying out the session state machine's actions: the I/O (connect, requests, the update pump,
/// the probe's echo) and the timers (backoff, probe) live here; the decisions live in
/// `ReplicaSessionStateMachine`.
extension ReplicaClient {
  typealias Action = ReplicaSessionStateMachine.Action

  /// A monitor reply, decoded and held until the state machine says how to apply it.
  struct MonitorReply {
    var found: Bool?
    var lastTransactionID: String?
    var updates: TableUpdates
  }

  /// Runs the session from `first` until it ends (closed, or the first sync failed). Each action
  /// is one awaited step whose outcome is the next event; nothing here decides what comes next.
  func run(_ first: Action) async {
    var action = first
    // The error behind a failed step, for `start` to throw if the state machine gives up.
    var failure: any Error = OVSDBError.connectionClosed(method: nil)
    // The first sync's replica, published once its monitor is established.
    var building: Replica?
    var reply: MonitorReply?
    // Each remote's failure in this round, for `start` to name them all when several were tried.
    var tried: [String] = []
    func failed(_ error: any Error, at remote: String) {
      failure = error
      tried.append(OVSDBError.reason(error, at: remote))
    }
    while true {
      switch action {
      case .connect, .connectNext:
        if case .connectNext(true) = action { await dropPendingConnection() }
        let endpoint = currentRemote
        do {
          pendingConnection = try await connection(to: endpoint)
          action = session.connected(lastTransactionID: replicaStorage?.lastTransactionID)
        } catch {
          failed(error, at: endpoint)
          action = session.connectFailed()
        }
      case .requestServerStatus:
        let endpoint = currentRemote
        do {
          let status = try await serverStatus(on: try settingUp())
          let refusal = status.map(\.refusal) ?? "has no database \(options.database)"
          if let refusal {
            failure = OVSDBError.noUsableRemote(["\(endpoint): \(refusal)"])
            tried.append("\(endpoint): \(refusal)")
          }
          action = session.serverStatusReceived(usable: refusal == nil)
        } catch {
          failed(error, at: endpoint)
          action = session.requestFailed(error)
        }
      case .requestSchema:
        do {
          let schema = try await settingUp().schema(
            of: options.database, timeout: try bounded(options.callTimeout, for: "get_schema"))
          building = Replica(
            schema: schema, columns: try replicatedColumns(in: schema), indexed: options.indexed)
          action = session.schemaReceived()
        } catch {
          failed(error, at: currentRemote)
          action = session.requestFailed(error)
        }
      case .requestMonitor(let method, let since):
        do {
          guard let replica = replicaStorage ?? building else { throw OVSDBError.connectionClosed(method: nil) }
          let answer = try await requestMonitor(method, since: since, on: try settingUp(), into: replica)
          reply = answer
          action = session.monitorReplied(found: answer.found)
        } catch {
          failed(error, at: currentRemote)
          action = session.requestFailed(error)
        }
      case .startMonitoring(let resync, let firstSync, let probeAfter):
        guard let connection = pendingConnection, let replica = firstSync ? building : replicaStorage,
          let answer = reply
        else {
          // Only `close` clears these while a request is answered; the session has ended.
          await shutdown()
          return
        }
        replica.apply(answer.updates, resync: resync, lastTransactionID: answer.lastTransactionID)
        reply = nil
        building = nil
        tried = []
        publish(connection, replica)
        await follow(connection, replica: replica, probeAfter: probeAfter)
        if client === connection { client = nil }
        action = session.connectionLost()
      case .reconnect(let delay, let closeConnection):
        if closeConnection { await dropPendingConnection() }
        // Cancelled by `close`, which the state machine then answers with `none`.
        try? await Task.sleep(for: delay)
        action = session.reconnectDue()
      case .failStart(let closeConnection):
        if closeConnection { await dropPendingConnection() }
        let several = ((try? endpoints.get())?.count ?? 1) > 1
        resumeStart(with: .failure(several ? OVSDBError.noUsableRemote(tried) : failure))
        return
      case .shutdown:
        await shutdown()
        return
      case .none, .closeConnection, .waitForProbe, .sendProbe:
        // `none`: the session ended (closed while a step was under way). The others come from the
        // monitored connection's probe and updates, which `follow` handles.
        return
      }
    }
  }

  /// Closes every connection, fails whoever waits, and ends the replica's change streams.
  func shutdown() async {
    driver?.cancel()
    let open = [client, pendingConnection].compactMap { $0 }
    client = nil
    pendingConnection = nil
    resumeStart(with: .failure(OVSDBError.connectionClosed(method: nil)))
    syncs.finish()
    replicaStorage?.finish()
    for connection in open { await connection.close() }
  }

  // MARK: - Monitoring

  /// Applies the connection's notifications until it ends, probing it when idle.
  private func follow(_ connection: OVSDBClient, replica: Replica, probeAfter: Duration?) async {
    let lastReceived = NIOLockedValueBox(ContinuousClock.now)
    await withTaskGroup(of: Bool.self) { group in
      group.addTask {
        for await event in connection.rpc.events {
          lastReceived.withLockedValue { $0 = .now }
          guard case .notification(let method, let params) = event else { continue }
          if method == "update", ServerDatabaseStatus.isServerUpdate(params) {
            await self.serverUpdate(params, on: connection)
            continue
          }
          do {
            try Self.handle(method, params, replica: replica)
          } catch {
            // Nothing after this update can be applied on top of it: stop here and resync.
            await self.monitorBroken(on: connection)
            return true
          }
        }
        return true
      }
      if let probeAfter {
        group.addTask {
          await self.probe(connection, after: probeAfter, lastReceived: lastReceived)
          return false
        }
      }
      // The connection is over when its notifications end, not when the probe stops.
      while let pumpEnded = await group.next(), !pumpEnded {}
      group.cancelAll()
    }
  }

  /// The inactivity probe: a timer the state machine rearms, an echo when it says so.
  private func probe(
    _ connection: OVSDBClient, after first: Duration, lastReceived: NIOLockedValueBox<ContinuousClock.Instant>
  ) async {
    var wait = first
    while true {
      try? await Task.sleep(for: wait)
      if Task.isCancelled { return }
      let idle = lastReceived.withLockedValue { $0 }.duration(to: .now)
      switch event(on: connection, { $0.probeDue(idleFor: idle) }) {
      case .waitForProbe(let next):
        wait = next
      case .sendProbe(let timeout):
        do {
          _ = try await connection.rpc.call("echo", ["probe"], timeout: timeout)
          lastReceived.withLockedValue { $0 = .now }
          guard case .waitForProbe(let next) = event(on: connection, { $0.probeReplied() }) else { return }
          wait = next
        } catch {
          if case .closeConnection = event(on: connection, { $0.probeFailed() }) { await connection.close() }
          return
        }
      default:
        return
      }
    }
  }

  /// The `_Server` monitor's news: a change that makes this server unusable closes the connection.
  private func serverUpdate(_ params: RawJSON, on connection: OVSDBClient) async {
    guard let updates = try? params.parse().arrayValue?.last,
      let found = ServerDatabaseStatus.find(options.database, in: updates)
    else { return }
    let usable = found?.refusal == nil && found != nil
    if case .closeConnection = event(on: connection, { $0.serverStatusChanged(usable: usable) }) {
      leadershipLosses += 1
      await connection.close()
    }
  }

  private func monitorBroken(on connection: OVSDBClient) async {
    if case .closeConnection = event(on: connection, { $0.monitorBroken() }) { await connection.close() }
  }

  /// Feeds an event about `connection` to the state machine, unless a newer connection replaced it
  /// (a late probe result must not close the next connection).
  private func event(
    on connection: OVSDBClient, _ happened: (inout ReplicaSessionStateMachine) -> Action
  ) -> Action {
    guard client === connection else { return .none }
    return happened(&session)
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

  // MARK: - Setting up

  /// Opens a connection to `endpoint` (one of the list), with TLS for an `ssl:` one.
  private func connection(to endpoint: String) async throws -> OVSDBClient {
    let parsed = try endpoints.get()[session.remote]
    let timeout = try bounded(options.connectTimeout, for: "connect to \(endpoint)")
    return OVSDBClient(
      rpc: try await RPCConnection.connect(to: parsed, timeout: timeout, tls: parsed.isTLS ? try tlsContext() : nil))
  }

  /// The TLS context, made from `options.tls` on first use.
  private func tlsContext() throws -> NIOSSLContext {
    if let tlsStorage { return tlsStorage }
    let made = try (options.tls ?? TLSFiles()).context()
    tlsStorage = made
    return made
  }

  /// Starts the `_Server` monitor and returns the database's status in it (nil: the server does not
  /// have the database). A JSON-RPC error (no `_Server`) is thrown for the state machine to judge.
  private func serverStatus(on connection: OVSDBClient) async throws -> ServerDatabaseStatus? {
    let reply = try await connection.rpc.call(
      "monitor", ServerDatabaseStatus.monitorParams, timeout: try bounded(options.callTimeout, for: "monitor _Server"))
    return ServerDatabaseStatus.find(options.database, in: reply) ?? nil
  }

  /// Sends the monitor request and decodes its reply (without applying it).
  private func requestMonitor(
    _ method: MonitorMethod, since: String?, on connection: OVSDBClient, into replica: Replica
  ) async throws -> MonitorReply {
    let raw = try await connection.rpc.callRaw(
      method.rawValue,
      encodedParams: Self.monitorParams(
        method, database: options.database, columns: replica.columns, schema: replica.schema, since: since),
      timeout: try bounded(options.callTimeout, for: method.rawValue))
    return try Self.monitorReply(raw, method: method, schema: replica.schema)
  }

  /// The params of `method`'s request for `columns` (monitor_cond_since: from transaction `since`,
  /// nil for a full dump), encoded.
  static func monitorParams(
    _ method: MonitorMethod, database: String, columns: [String: [String]?], schema: DatabaseSchema, since: String?
  ) -> [UInt8] {
    var params: [JSON] = [.string(database), monitorID, method.requests(columns, schema: schema)]
    if method == .monitorCondSince {
      // The all-zero id asks for a full dump (the server rejects null).
      params.append(.string(since ?? ReplicaSessionStateMachine.fullDumpTransactionID))
    }
    var writer = JSONWriter()
    writer.write(.array(params))
    return writer.bytes
  }

  /// `method`'s reply, decoded against `schema` (not applied).
  static func monitorReply(_ raw: RawJSON, method: MonitorMethod, schema: DatabaseSchema) throws -> MonitorReply {
    switch method {
    case .monitorCondSince:
      let (head, updates) = try TableUpdates.decodeTrailing(raw, leading: 2, version2: true, schema: schema)
      guard case .bool(let found) = head[0] else {
        throw OVSDBError.protocolViolation("monitor_cond_since reply is not [found, last-txn-id, updates]")
      }
      return MonitorReply(found: found, lastTransactionID: head[1].stringValue, updates: updates)
    case .monitorCond, .monitor:
      let updates = try TableUpdates(raw: raw, version2: method == .monitorCond, schema: schema)
      return MonitorReply(found: nil, lastTransactionID: nil, updates: updates)
    }
  }

  /// The columns to replicate that `schema` has: every table must exist; columns an older server
  /// lacks are left out rather than refused.
  private func replicatedColumns(in schema: DatabaseSchema) throws -> [String: [String]?] {
    try Self.replicatedColumns(tables, of: options.database, in: schema)
  }

  /// `tables`' columns that `schema` (of `database`) has: every table must exist; columns an older
  /// server lacks are left out rather than refused.
  static func replicatedColumns(
    _ tables: [String: [String]?], of database: String, in schema: DatabaseSchema
  ) throws(OVSDBError) -> [String: [String]?] {
    for table in tables.keys.sorted() where schema[table] == nil {
      throw OVSDBError.protocolViolation("table \(table) is not in the \(database) schema")
    }
    var known: [String: [String]?] = [:]
    for (table, columns) in tables {
      known[table] = columns.map { $0.filter { schema[table]?[$0] != nil } }
    }
    return known
  }

  /// The connection being set up; gone once `close` took it.
  private func settingUp() throws -> OVSDBClient {
    guard let pendingConnection else { throw OVSDBError.connectionClosed(method: nil) }
    return pendingConnection
  }

  private func dropPendingConnection() async {
    let connection = pendingConnection
    pendingConnection = nil
    await connection?.close()
  }

  /// The monitor is established on `connection`: make it the one transactions use and wake waiters.
  private func publish(_ connection: OVSDBClient, _ replica: Replica) {
    replicaStorage = replica
    client = connection
    pendingConnection = nil
    resumeStart(with: .success(replica))
    syncs.advance(to: session.syncCount)
  }

  private func resumeStart(with result: Result<Replica, any Error>) {
    let waiting = startWaiters
    startWaiters = []
    for waiter in waiting { waiter.resume(with: result) }
  }
}
