/// A `where` clause element (RFC 7047 §5.1 `<condition>`).
public struct Condition: Sendable, Hashable {
  public enum Function: String, Sendable, Hashable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case includes, excludes
  }

  public var column: String
  public var function: Function
  public var value: Datum

  public init(_ column: String, _ function: Function, _ value: Datum) {
    self.column = column
    self.function = function
    self.value = value
  }

  /// `_uuid == uuid`: the usual way to name one row.
  public static func uuid(_ uuid: RowUUID) -> Condition { Condition("_uuid", .equal, .scalar(.uuid(uuid))) }
  public static func equals(_ column: String, _ atom: Atom) -> Condition { Condition(column, .equal, .scalar(atom)) }
}

/// A `mutate` element (RFC 7047 §5.1 `<mutation>`).
public struct Mutation: Sendable, Hashable {
  public enum Mutator: String, Sendable, Hashable {
    case add = "+=", subtract = "-=", multiply = "*=", divide = "/=", modulo = "%="
    case insert, delete
  }

  public var column: String
  public var mutator: Mutator
  public var value: Datum

  public init(_ column: String, _ mutator: Mutator, _ value: Datum) {
    self.column = column
    self.mutator = mutator
    self.value = value
  }
}

/// One operation of a `transact` (RFC 7047 §5.2), as data: plans are printed, compared and tested
/// before anything is sent.
public enum DBOperation: Sendable, Hashable {
  public enum WaitUntil: String, Sendable, Hashable { case equal = "==", notEqual = "!=" }

  /// `uuidName` lets later operations refer to the new row as `.namedUUID`; `uuid` asks the server
  /// to use that UUID for the row (OVSDB 2.6+ extension used by ovs-vsctl --id).
  case insert(table: String, row: [String: Datum], uuidName: String? = nil, uuid: RowUUID? = nil)
  case select(table: String, where: [Condition], columns: [String]? = nil)
  case update(table: String, where: [Condition], row: [String: Datum])
  case mutate(table: String, where: [Condition], mutations: [Mutation])
  case delete(table: String, where: [Condition])
  /// Succeeds when the rows matching `where`, projected on `columns`, are (or are not) exactly `rows`;
  /// with `timeout` 0 it fails at once otherwise, which is how optimistic concurrency is checked.
  case wait(
    table: String, where: [Condition], columns: [String], until: WaitUntil, rows: [[String: Datum]], timeout: Int? = 0)
  case commit(durable: Bool)
  case abort
  case comment(String)
  case assert(lock: String)

  /// The table an operation touches, for error messages.
  public var table: String? {
    switch self {
    case .insert(let t, _, _, _), .select(let t, _, _), .update(let t, _, _), .mutate(let t, _, _), .delete(let t, _),
      .wait(let t, _, _, _, _, _):
      return t
    default: return nil
    }
  }

  public var name: String {
    switch self {
    case .insert: return "insert"
    case .select: return "select"
    case .update: return "update"
    case .mutate: return "mutate"
    case .delete: return "delete"
    case .wait: return "wait"
    case .commit: return "commit"
    case .abort: return "abort"
    case .comment: return "comment"
    case .assert: return "assert"
    }
  }

  /// Whether running it twice leaves the same state as once (used to decide whether a transaction
  /// whose reply was lost may be sent again).
  public var isIdempotent: Bool {
    switch self {
    case .insert: return false
    case .mutate(_, _, let mutations): return mutations.allSatisfy { $0.mutator == .insert || $0.mutator == .delete }
    default: return true
    }
  }
}

extension JSONWriter {
  public mutating func write(_ operation: DBOperation) {
    switch operation {
    case .insert(let table, let row, let uuidName, let uuid):
      writeRaw("{\"op\":\"insert\",\"table\":")
      writeString(table)
      writeRaw(",\"row\":")
      write(row: row)
      if let uuidName {
        writeRaw(",\"uuid-name\":")
        writeString(uuidName)
      }
      if let uuid {
        writeRaw(",\"uuid\":\"")
        writeASCII(uuid.description)
        writeRaw("\"")
      }
    case .select(let table, let conditions, let columns):
      writeRaw("{\"op\":\"select\",\"table\":")
      writeString(table)
      write(where: conditions)
      if let columns { write(columns: columns) }
    case .update(let table, let conditions, let row):
      writeRaw("{\"op\":\"update\",\"table\":")
      writeString(table)
      write(where: conditions)
      writeRaw(",\"row\":")
      write(row: row)
    case .mutate(let table, let conditions, let mutations):
      writeRaw("{\"op\":\"mutate\",\"table\":")
      writeString(table)
      write(where: conditions)
      writeRaw(",\"mutations\":[")
      for (i, m) in mutations.enumerated() {
        if i > 0 { writeRaw(",") }
        writeRaw("[")
        writeString(m.column)
        writeRaw(",")
        writeString(m.mutator.rawValue)
        writeRaw(",")
        write(m.value)
        writeRaw("]")
      }
      writeRaw("]")
    case .delete(let table, let conditions):
      writeRaw("{\"op\":\"delete\",\"table\":")
      writeString(table)
      write(where: conditions)
    case .wait(let table, let conditions, let columns, let until, let rows, let timeout):
      writeRaw("{\"op\":\"wait\",\"table\":")
      writeString(table)
      write(where: conditions)
      write(columns: columns)
      writeRaw(",\"until\":")
      writeString(until.rawValue)
      writeRaw(",\"rows\":[")
      for (i, row) in rows.enumerated() {
        if i > 0 { writeRaw(",") }
        write(row: row)
      }
      writeRaw("]")
      if let timeout {
        writeRaw(",\"timeout\":")
        writeInteger(Int64(timeout))
      }
    case .commit(let durable):
      writeRaw("{\"op\":\"commit\",\"durable\":")
      writeRaw(durable ? "true" : "false")
    case .abort:
      writeRaw("{\"op\":\"abort\"")
    case .comment(let text):
      writeRaw("{\"op\":\"comment\",\"comment\":")
      writeString(text)
    case .assert(let lock):
      writeRaw("{\"op\":\"assert\",\"lock\":")
      writeString(lock)
    }
    writeRaw("}")
  }

  mutating func write(where conditions: [Condition]) {
    writeRaw(",\"where\":[")
    for (i, c) in conditions.enumerated() {
      if i > 0 { writeRaw(",") }
      writeRaw("[")
      writeString(c.column)
      writeRaw(",")
      writeString(c.function.rawValue)
      writeRaw(",")
      write(c.value)
      writeRaw("]")
    }
    writeRaw("]")
  }

  mutating func write(columns: [String]) {
    writeRaw(",\"columns\":[")
    for (i, c) in columns.enumerated() {
      if i > 0 { writeRaw(",") }
      writeString(c)
    }
    writeRaw("]")
  }
}
