import ArgumentParser
import Foundation
import OVSDB
import OVSVirt
import VSwitch

/// Connects, runs one planned change as one guarded transaction (or prints it with --dry-run),
/// and turns failures into `CommandFailure`s: refused before writing (exit 1), unreachable or
/// conflict (exit 2). `Main` prints them, once (see `ExitStatus`).
struct SwitchSession {
  let options: SwitchOptions
  /// The database every OVS command works on.
  static let database = "Open_vSwitch"

  func connect() async throws -> ReplicaClient {
    do {
      return try await startClient()
    } catch {
      throw fail(describe(error), code: 2)
    }
  }

  /// A one-shot command's client settings: every wait bounded by --timeout, no idle probe.
  var clientOptions: ReplicaClient.Options {
    SwitchOptions.clientOptions(timeout: options.timeout, tls: options.tls.isEmpty ? nil : options.tls)
  }

  /// `connect` without reporting a failure: for a caller that connects while doing something else
  /// whose own failure must be the one reported. `tables` are the columns to replicate (all that
  /// planning reads, unless a caller needs less); `indexed` keeps the replica's name indexes, which
  /// planning looks rows up by.
  func startClient(tables: [String: [String]?] = SwitchTables.monitored, indexed: Bool = true) async throws
    -> ReplicaClient
  {
    var clientOptions = clientOptions
    clientOptions.indexed = indexed
    let client = ReplicaClient(remote: options.db, tables: tables, options: clientOptions)
    do {
      try await client.start()
    } catch {
      await client.close()
      throw error
    }
    return client
  }

  /// Reads the switch state once (for list / show): `tables`' columns, by default all that
  /// planning reads. A read command only prints the `SwitchState` or looks rows up in its own
  /// dictionaries: the replica keeps no index, and the state is kept to the end of the process
  /// (`ProcessLifetime`) rather than freed row by row.
  func read(_ tables: [String: [String]?] = SwitchTables.monitored) async throws -> SwitchState {
    Self.kept(try await readByClient(tables))
  }

  /// `read` for a quick command (show, the lists), on the caller's executor (`Main`'s thread): over
  /// a `BlockingConnection` when the remote is one unix or tcp socket (no event loop, see
  /// `BlockingConnection.readReplica`); else, or when that server does not answer as expected (an
  /// error reply, e.g. no `monitor_cond_since`, or a closed connection), as `read` does, whose messages
  /// and method fallbacks then decide.
  nonisolated(nonsending) func readDirect(_ tables: [String: [String]?]) async throws -> SwitchState {
    ProcessLifetime.keepFreedMemory()
    if let replica = try readBlocking(tables) { return Self.kept(replica) }
    return Self.kept(try await readByClient(tables))
  }

  /// The state of `replica`, kept to the end of the process.
  private static func kept(_ replica: Replica) -> SwitchState {
    let state = SwitchState(replica.snapshot)
    ProcessLifetime.keep(state)
    return state
  }

  /// `readDirect`'s blocking read; nil when the client must read instead.
  private func readBlocking(_ tables: [String: [String]?]) throws -> Replica? {
    guard let connection = blockingConnection() else { return nil }
    defer { connection.close() }
    do {
      return try connection.readReplica(
        of: Self.database, tables: tables, indexed: false, timeout: remaining, deadline: options.deadline)
    } catch OVSDBError.rpcError, OVSDBError.connectionClosed {
      return nil
    } catch {
      throw fail(describe(error), code: 2)
    }
  }

  private func readByClient(_ tables: [String: [String]?]) async throws -> Replica {
    let client: ReplicaClient
    do {
      client = try await startClient(tables: tables, indexed: false)
    } catch {
      throw fail(describe(error), code: 2)
    }
    let replica = await client.replica
    await client.close()
    guard let replica else { throw fail("no replica", code: 2) }
    return replica
  }

  /// A connection without an event loop to `--db` when it is one unix or tcp socket that accepts
  /// by --timeout; nil otherwise (the caller then goes the ordinary way, whose failure message is
  /// the one to show).
  func blockingConnection() -> BlockingConnection? {
    guard let endpoint = try? Endpoint(options.db) else { return nil }
    return BlockingConnection.connect(to: endpoint, by: options.deadline)
  }

  /// What is left of --timeout, for one step (at least a millisecond: an expired deadline then
  /// times that step out, named in the message).
  var remaining: Duration {
    max(options.deadline - ContinuousClock.now, .milliseconds(1))
  }

  /// Plans with `body` and commits; returns the number of write operations sent.
  @discardableResult
  func change(_ body: @escaping @Sendable (inout TransactionBuilder) throws -> Void) async throws -> Int {
    let client = try await connect()
    do {
      let written: Int
      if options.dryRun {
        guard let replica = await client.replica else { throw fail("no replica", code: 2) }
        var txn = TransactionBuilder(snapshot: replica.snapshot)
        try body(&txn)
        var writer = JSONWriter()
        writer.writeRaw("[")
        for (i, op) in (txn.guards + txn.operations).enumerated() {
          if i > 0 { writer.writeRaw(",\n ") }
          writer.write(op)
        }
        writer.writeRaw("]")
        print(writer.string)
        written = 0
      } else {
        let wait = !options.noWait
        let ((count, sequence), _) = try await client.transaction { txn -> (Int, Int64?) in
          try body(&txn)
          let count = txn.operations.count
          // Like ovs-vsctl: unless told not to, return only once ovs-vswitchd has applied it, so a
          // VM started next finds the bridge device there.
          let sequence = count > 0 && wait ? ConfigSequence.request(in: &txn) : nil
          return (count, sequence)
        }
        written = count
        try await waitApplied(sequence, client: client)
        if options.json { print("{\"operations\":\(count)}") }
      }
      await client.close()
      return written
    } catch {
      await client.close()
      throw translate(error)
    }
  }

  /// Like ovs-vsctl: returns once ovs-vswitchd has applied configuration `sequence` (nil: no wait).
  func waitApplied(_ sequence: Int64?, client: ReplicaClient) async throws {
    guard let sequence, let replica = await client.replica else { return }
    // Rechecked as each update arrives, not on a timer.
    guard await replica.wait(until: options.deadline, for: { ConfigSequence.applied(sequence, in: $0) }) else {
      throw fail(
        "the change is in the database, but ovs-vswitchd has not applied it within --timeout \(SwitchOptions.seconds(options.timeout))s: is it running? (--no-wait does not wait)",
        code: 2)
    }
  }

  /// The one place an error becomes a `CommandFailure` with its exit status: a refused request 1,
  /// anything unreachable, timed out or conflicting 2, half done 3. Running out of time names
  /// --timeout. Nothing is printed here: `Main` does, once.
  func translate(_ error: any Error) -> any Error {
    switch error {
    case OVSDBError.timedOut, OVSDBError.deadlinePassed: return fail(describe(error), code: 2)
    default: return Self.translate(error)
    }
  }

  static func translate(_ error: any Error) -> any Error {
    switch error {
    case let exit as ExitCode: return exit
    case let failure as CommandFailure: return failure
    case let refused as RefusedInput: return CommandFailure.refused("\(refused)")
    case let refused as VSwitch.ValidationError: return CommandFailure.refused("\(refused)")
    case let violation as SchemaViolation: return CommandFailure.refused("\(violation)")
    default: return CommandFailure.failed("\(error)")
    }
  }

  /// What to tell the user about a failure talking to OVSDB: running out of time names --timeout,
  /// the knob they have, and what was still pending.
  func describe(_ error: any Error) -> String {
    switch error {
    case OVSDBError.timedOut(let method, _), OVSDBError.deadlinePassed(let method):
      return
        "no answer from OVSDB at \(options.db) within --timeout \(SwitchOptions.seconds(options.timeout))s (\(method) pending): is ovsdb-server running and answering?"
    default:
      return "\(error)"
    }
  }

  /// The failure with exit status `code` (1 refused, 2 failed, 3 partial); printed by `Main`.
  func fail(_ message: String, code: Int32) -> CommandFailure {
    CommandFailure(CommandFailure.Kind(rawValue: code) ?? .failed, message)
  }
}
