extension BlockingConnection {
  /// One read of `tables` (columns by table, nil: all of them) of `database`: its schema, then the
  /// full dump of a `monitor_cond_since` (one consistent snapshot, as `ReplicaClient`'s first
  /// sync), applied to a new replica. The monitor ends with the connection; nothing is followed.
  ///
  /// For a read-only one-shot command (show, list): `ReplicaClient` would start NIO's event loops
  /// and build a channel pipeline first, whose handlers' protocol casts alone scan the binary's
  /// conformance records eight times (3.9 M of an empty switch's `show`, callgrind).
  /// - Parameters:
  ///   - timeout: the time the caller gave each call, for the message when `deadline` passes.
  /// - Throws: `OVSDBError` as `ReplicaClient` reports it (a missing table is a protocol violation;
  ///   a server without `monitor_cond_since` answers with `rpcError`), or the reply's decoding error.
  public func readReplica(
    of database: String, tables: [String: [String]?], indexed: Bool, timeout: Duration,
    deadline: ContinuousClock.Instant
  ) throws -> Replica {
    var writer = JSONWriter()
    writer.write(.array([.string(database)]))
    let schemaReply = try callRaw("get_schema", encodedParams: writer.bytes, timeout: timeout, deadline: deadline)
    let schemaJSON: JSON
    do {
      schemaJSON = try schemaReply.parse()
    } catch {
      throw OVSDBError.protocolViolation("get_schema result is not JSON: \(error)")
    }
    let schema = try DatabaseSchema(json: schemaJSON)
    let columns = try ReplicaClient.replicatedColumns(tables, of: database, in: schema)
    let replica = Replica(schema: schema, columns: columns, indexed: indexed)
    // ReplicaClient's first choice, asking for a full dump (the all-zero transaction id).
    let method = MonitorMethod.monitorCondSince
    writer = JSONWriter()
    writer.write(
      .array([
        .string(database), "ovsvirt", method.requests(columns, schema: schema),
        .string(ReplicaSessionStateMachine.fullDumpTransactionID),
      ]))
    let dump = try callRaw(method.rawValue, encodedParams: writer.bytes, timeout: timeout, deadline: deadline)
    let (_, updates) = try TableUpdates.decodeTrailing(dump, leading: 2, version2: true, schema: schema)
    replica.apply(updates)
    return replica
  }
}
