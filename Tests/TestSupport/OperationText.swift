import OVSDB

/// Operations as stable text for golden tests: one per line, columns, map keys and set members
/// sorted, rows the fixture made named as it names them (`<Port eth1>`), uuid-names as `@name`.
/// The planners' output is compared to it exactly, so any change in what they write shows.
public struct OperationText {
  let names: [RowUUID: String]

  public init(_ fixture: SwitchFixture) {
    names = Dictionary(fixture.uuids.map { ($0.value, $0.key) }) { first, _ in first }
  }

  public func render(_ operations: [DBOperation]) -> String {
    operations.map(render).joined(separator: "\n")
  }

  public func render(_ operation: DBOperation) -> String {
    switch operation {
    case .insert(let table, let row, let uuidName, _):
      return "insert \(table)\(uuidName.map { " @\($0)" } ?? "") \(render(row))"
    case .update(let table, let conditions, let row):
      return "update \(table) \(render(conditions)) \(render(row))"
    case .mutate(let table, let conditions, let mutations):
      let changes = mutations.map { "\($0.column) \($0.mutator.rawValue) \(render($0.value))" }
      return "mutate \(table) \(render(conditions)) \(changes.joined(separator: "; "))"
    case .delete(let table, let conditions):
      return "delete \(table) \(render(conditions))"
    case .wait(let table, let conditions, let columns, let until, let rows, _):
      let expected = rows.map(render).sorted().joined(separator: " ")
      return "wait \(table) \(render(conditions)) [\(columns.joined(separator: ","))] \(until.rawValue) [\(expected)]"
    case .select(let table, let conditions, _):
      return "select \(table) \(render(conditions))"
    case .comment(let text):
      return "comment \(text)"
    case .commit, .abort, .assert:
      return operation.name
    }
  }

  func render(_ conditions: [Condition]) -> String {
    "where(" + conditions.map { "\($0.column) \($0.function.rawValue) \(render($0.value))" }.joined(separator: ", ")
      + ")"
  }

  func render(_ row: [String: Datum]) -> String {
    "{" + row.keys.sorted().map { "\($0)=\(render(row[$0] ?? .empty))" }.joined(separator: " ") + "}"
  }

  func render(_ datum: Datum) -> String {
    if datum.isMap {
      return "{" + datum.pairs.map { "\(render($0.key)):\(render($0.value))" }.sorted().joined(separator: ",") + "}"
    }
    if datum.count == 1, let atom = datum.scalar { return render(atom) }
    return "[" + datum.keys.map(render).sorted().joined(separator: ",") + "]"
  }

  func render(_ atom: Atom) -> String {
    switch atom {
    case .uuid(let uuid): return names[uuid].map { "<\($0)>" } ?? uuid.description
    default: return atom.description
    }
  }
}
