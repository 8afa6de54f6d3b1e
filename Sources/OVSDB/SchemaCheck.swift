/// Checks operations against the schema before anything is sent, so a bad value fails with a
/// message naming table.column and nothing reaches the server.
extension DatabaseSchema {
  public func check(_ operations: [DBOperation]) throws(SchemaViolation) {
    for operation in operations {
      if let table = operation.table, self[table] == nil {
        throw SchemaViolation(subject: table, problem: "no such table in the \(name) schema")
      }
      switch operation {
      case .insert(let table, let row, _, _):
        try check(row: row, in: table)
      case .update(let table, let conditions, let row):
        try check(row: row, in: table)
        try check(conditions, in: table)
      case .select(let table, let conditions, let columns):
        try check(conditions, in: table)
        for column in columns ?? [] { _ = try columnType(column, in: table) }
      case .mutate(let table, let conditions, let mutations):
        try check(conditions, in: table)
        for mutation in mutations { _ = try columnType(mutation.column, in: table) }
      case .delete(let table, let conditions):
        try check(conditions, in: table)
      case .wait(let table, let conditions, let columns, _, let rows, _):
        try check(conditions, in: table)
        for column in columns { _ = try columnType(column, in: table) }
        for row in rows { try check(row: row, in: table) }
      case .commit, .abort, .comment, .assert:
        break
      }
    }
  }

  func columnType(_ name: String, in table: String) throws(SchemaViolation) -> ColumnType? {
    guard let schema = self[table] else {
      throw SchemaViolation(subject: table, problem: "no such table in the \(self.name) schema")
    }
    if name == "_uuid" || name == "_version" { return nil }
    guard let column = schema[name] else {
      throw SchemaViolation(subject: "\(table).\(name)", problem: "no such column in the \(self.name) schema")
    }
    return column.type
  }

  func check(row: [String: Datum], in table: String) throws(SchemaViolation) {
    for (name, value) in row {
      guard let type = try columnType(name, in: table) else { continue }
      if let problem = type.problem(with: value) {
        throw SchemaViolation(subject: "\(table).\(name)", problem: problem)
      }
    }
  }

  func check(_ conditions: [Condition], in table: String) throws(SchemaViolation) {
    for condition in conditions { _ = try columnType(condition.column, in: table) }
  }
}

/// A value or name the schema does not allow, e.g. `Port.tag: 5000 is greater than the maximum 4095`.
public struct SchemaViolation: Error, Sendable, Equatable, CustomStringConvertible {
  /// `Table.column` (or the table).
  public var subject: String
  public var problem: String

  public var description: String { "\(subject): \(problem)" }
}
