import OVSDB
import OVSVirt
import VSwitch

/// How a one-shot command may skip reading the switch: a guarded change sent as it is, or one
/// that first reads the few rows it names (see `DirectChange`, `DirectLookup`).
enum DirectRoute {
  case change(DirectChange)
  case lookup(DirectLookup)
}

extension SwitchSession {
  /// Sends `route`'s change over a bare connection (no schema, no monitor): one transaction, or a
  /// read of the named rows and then one. When that cannot decide (a presumption failed, or the
  /// rows read need the planner's judgement), plans with `body` from a full read exactly as
  /// `change(_:)` does, so every rule and message stays the planner's. --dry-run prints the full
  /// path's plan. Returns the number of write operations sent.
  ///
  /// The connection is a `BlockingConnection` (no event loop threads, each wait a poll bounded by
  /// --timeout); when it cannot connect, `OVSDBClient` tries, and its failure is the one reported.
  /// Runs on the caller's executor (`nonisolated(nonsending)`, as `send` and its `transact`): on
  /// the direct path, no job goes to Swift's global executor, so no worker thread starts.
  @discardableResult
  nonisolated(nonsending) func change(
    _ route: DirectRoute?, planned body: @escaping @Sendable (inout TransactionBuilder) throws -> Void
  ) async throws -> Int {
    guard let route, !options.dryRun else { return try await change(body) }
    let sent: Int?
    if let connection = blockingConnection() {
      defer { connection.close() }
      do {
        sent = try await send(route) { operations in
          try connection.transact(
            SwitchSession.database, operations, timeout: remaining, deadline: options.deadline)
        }
      } catch {
        throw translate(error)
      }
    } else {
      let client: OVSDBClient
      do {
        client = try await OVSDBClient.connect(
          options.db, timeout: remaining, tls: options.tls, leaderOnlyFor: SwitchSession.database,
          deadline: options.deadline)
      } catch {
        throw fail(describe(error), code: 2)
      }
      do {
        sent = try await send(route) { operations in
          try await client.transact(SwitchSession.database, operations, timeout: remaining)
        }
        await client.close()
      } catch {
        await client.close()
        throw translate(error)
      }
    }
    guard let sent else { return try await change(body) }
    return sent
  }

  /// The direct transaction and its acknowledgement, each transaction by `transact`; nil when the
  /// full path must decide.
  private nonisolated(nonsending) func send(
    _ route: DirectRoute, transact: nonisolated(nonsending) ([DBOperation]) async throws -> [OperationResult]
  ) async throws -> Int? {
    let change: DirectChange
    switch route {
    case .change(let planned):
      change = planned
    case .lookup(let lookup):
      let found = try await transact(lookup.reads)
      guard let planned = lookup.plan(found) else { return nil }
      change = planned
    }
    let wait = !options.noWait
    let results: [OperationResult]
    do {
      results = try await transact(change.operations + (wait ? ConfigSequence.directRequest : []))
    } catch let refused as TransactionError where change.presumptionFailed(refused) {
      return nil
    }
    if wait, let sequence = ConfigSequence.requested(in: results) {
      let watcher = try await startClient(tables: ["Open_vSwitch": ["cur_cfg"]])
      do {
        try await waitApplied(sequence, client: watcher)
      } catch {
        await watcher.close()
        throw error
      }
      await watcher.close()
    }
    if options.json { print("{\"operations\":\(change.writes.count)}") }
    return change.writes.count
  }
}
