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
  /// Reads a transact reply straight from its bytes: one result per operation (`null` after a
  /// failed one) plus, when the commit itself failed, one more carrying the error.
  static func decode(_ reply: RawJSON, for operations: [DBOperation]) throws -> [OperationResult] {
    try reply.bytes.withUnsafeBytes { buffer in
      var decoder = UpdatesDecoder(buffer, schema: nil)
      var results: [OperationResult] = []
      results.reserveCapacity(operations.count)
      var failure: TransactionError?
      var index = 0
      try decoder.elements { (d: inout UpdatesDecoder) throws(OVSDBError) in
        defer { index += 1 }
        if try d.peek() == UInt8(ascii: "n") {
          try d.literal("null")
          if index < operations.count { results.append(OperationResult()) }
          return
        }
        var result = OperationResult()
        var error: String?
        var details: String?
        try d.members { (d: inout UpdatesDecoder, key: String) throws(OVSDBError) in
          switch key {
          case "uuid":
            guard case .uuid(let uuid) = try d.atom(.uuid) else { throw d.violation("invalid uuid") }
            result.uuid = uuid
          case "count":
            guard case .int(let count) = try d.value() else { throw d.violation("count must be an integer") }
            result.count = Int(count)
          case "rows":
            guard case .array(let rows) = try d.value() else { throw d.violation("rows must be an array") }
            result.rows = rows.compactMap(\.objectValue)
          case "error":
            guard case .string(let text) = try d.value() else { throw d.violation("error must be a string") }
            error = text
          case "details":
            details = try d.value().stringValue
          default:
            try d.skip()
          }
        }
        if let error, failure == nil {
          let operation = index < operations.count ? operations[index] : nil
          failure = TransactionError(
            error: error, details: details, operationIndex: operation == nil ? nil : index,
            operation: operation.map { op in op.table.map { "\(op.name) on \($0)" } ?? op.name })
        }
        if index < operations.count { results.append(result) }
      }
      try decoder.end()
      if let failure { throw failure }
      guard results.count == operations.count else {
        throw OVSDBError.protocolViolation("transact returned \(index) results for \(operations.count) operations")
      }
      return results
    }
  }
}
