/// Reads from a replica snapshot and collects the operations to commit. Every read is remembered
/// as a `wait` guard, so the transaction commits only if what it read is still what the server has
/// (optimistic concurrency); otherwise the client reruns the body on a fresher snapshot.
public struct TransactionBuilder {
  public let snapshot: ReplicaSnapshot
  public private(set) var guards: [DBOperation] = []
  public private(set) var operations: [DBOperation] = []
  private var guarded: Set<DBOperation> = []
  /// The `rows(_:where:equals:)` lookups already guarded. Their guard follows from the lookup and the
  /// (fixed) snapshot, so a repeat is recognised by these three values rather than by building and
  /// hashing the whole operation again: planning 500 ports looks names up 3,000 times.
  private var guardedLookups: Set<Lookup> = []

  private struct Lookup: Hashable {
    var table: String
    var column: String
    var value: Atom
  }

  public init(snapshot: ReplicaSnapshot) {
    self.snapshot = snapshot
  }

  /// A row by UUID, guarded on `columns` (and on its existence, or absence).
  public mutating func row(_ table: String, _ uuid: RowUUID, columns: [String]) -> [String: Datum]? {
    let row = snapshot.row(table, uuid)
    let expected = row.map { row in [Dictionary(uniqueKeysWithValues: columns.map { ($0, row[$0] ?? .empty) })] } ?? []
    addGuard(.wait(table: table, where: [.uuid(uuid)], columns: columns, until: .equal, rows: expected, timeout: 0))
    return row
  }

  /// Rows whose `column` equals `value` (e.g. a Port by name), guarded on exactly that set of rows
  /// still matching, so a concurrent insert or delete of a same-named row is a conflict.
  public mutating func rows(_ table: String, where column: String, equals value: Atom) -> [(
    uuid: RowUUID, row: [String: Datum]
  )] {
    let found = snapshot.rows(table, where: column, equals: value)
    if guardedLookups.insert(Lookup(table: table, column: column, value: value)).inserted {
      // Not through `addGuard`: `row` and `allRows` name rows by _uuid or not at all, so only a
      // lookup by _uuid could repeat one of their waits, and a repeated wait is merely redundant.
      guards.append(
        .wait(
          table: table, where: [.equals(column, value)], columns: ["_uuid"], until: .equal,
          rows: found.map { ["_uuid": .scalar(.uuid($0.0))] }, timeout: 0))
    }
    return found.map { (uuid: $0.0, row: $0.1) }
  }

  /// Every row of `table`, guarded on exactly that set of rows (e.g. that a table is still empty).
  public mutating func allRows(_ table: String) -> [RowUUID: [String: Datum]] {
    let found = snapshot.rows(table)
    addGuard(
      .wait(
        table: table, where: [], columns: ["_uuid"], until: .equal,
        rows: found.keys.sorted().map { ["_uuid": .scalar(.uuid($0))] }, timeout: 0))
    return found
  }

  /// Adds guards and operations planned earlier on a builder of this same snapshot (a plan kept as
  /// a value, e.g. to print it first): the transaction is then exactly the one that was planned.
  public mutating func include(guards planned: [DBOperation], operations: [DBOperation]) {
    for operation in planned { addGuard(operation) }
    self.operations += operations
  }

  /// Adds an operation to commit.
  public mutating func add(_ operation: DBOperation) {
    operations.append(operation)
  }

  private mutating func addGuard(_ operation: DBOperation) {
    if guarded.insert(operation).inserted { guards.append(operation) }
  }
}
