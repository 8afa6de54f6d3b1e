/// The outcome of one operation of a committed transaction (RFC 7047 §5.2).
public struct OperationResult: Sendable, Equatable {
  /// insert: the new row's UUID.
  public var uuid: RowUUID?
  /// select: the rows, as the server sent them (decode with the schema via `Row.decode`).
  public var rows: [[String: JSON]]?
  /// update, mutate, delete: how many rows matched.
  public var count: Int?
}

/// Why a transaction did not commit. Nothing of it was applied (OVSDB transactions are atomic).
public struct TransactionError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The RFC 7047 error string: "constraint violation", "referential integrity violation",
  /// "timed out", "not owner", "resources exhausted", "duplicate uuid-name", …
  public var error: String
  public var details: String?
  /// Index of the failed operation, or nil when the commit itself failed (the extra result).
  public var operationIndex: Int?
  /// The failed operation's kind and table, e.g. "insert into Port".
  public var operation: String?

  /// True for a `wait` that timed out: the rows read earlier have changed (optimistic-concurrency conflict).
  public var isConflict: Bool { error == "timed out" }

  public var description: String {
    let what = operation.map { "\($0) failed" } ?? "commit failed"
    return "OVSDB transaction \(what): \(error)" + (details.map { " (\($0))" } ?? "")
  }
}

extension OperationResult {
  /// Reads a transact reply: one result per operation plus, when the commit itself failed, one more.
  static func decode(_ reply: [JSON], for operations: [DBOperation]) throws -> [OperationResult] {
    var results: [OperationResult] = []
    results.reserveCapacity(operations.count)
    for (index, item) in reply.enumerated() {
      if case .object(let fields) = item, case .string(let error)? = fields["error"] {
        let operation = index < operations.count ? operations[index] : nil
        throw TransactionError(
          error: error, details: fields["details"]?.stringValue, operationIndex: operation == nil ? nil : index,
          operation: operation.map { op in op.table.map { "\(op.name) on \($0)" } ?? op.name })
      }
      guard index < operations.count else { break }
      var result = OperationResult()
      if case .object(let fields) = item {
        if let uuid = fields["uuid"] { result.uuid = try Atom(json: uuid).uuidValue }
        if let count = fields["count"]?.intValue { result.count = Int(count) }
        if case .array(let rows)? = fields["rows"] { result.rows = rows.compactMap(\.objectValue) }
      }
      results.append(result)
    }
    guard results.count == operations.count else {
      throw OVSDBError.protocolViolation("transact returned \(reply.count) results for \(operations.count) operations")
    }
    return results
  }
}
