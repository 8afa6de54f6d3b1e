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
    let schema = try DatabaseSchema(
      json: try call("get_schema", encodedParams: writer.bytes, timeout: timeout, deadline: deadline))
    let columns = try ReplicaClient.replicatedColumns(tables, of: database, in: schema)
    let replica = Replica(schema: schema, columns: columns, indexed: indexed)
    // ReplicaClient's first choice, for a full dump.
    let method = MonitorMethod.monitorCondSince
    let dump = try callRaw(
      method.rawValue,
      encodedParams: ReplicaClient.monitorParams(
        method, database: database, columns: columns, schema: schema, since: nil),
      timeout: timeout, deadline: deadline)
    replica.apply(try ReplicaClient.monitorReply(dump, method: method, schema: schema).updates)
    return replica
  }
}
