/// One row's change in a monitor update, in the shape the replica applies.
public enum RowChange: Sendable, Equatable {
  /// Present from the start (initial dump) or newly inserted: the columns the server sent (it
  /// leaves out those with their default value).
  case insert(RowValues)
  case delete
  /// `update` (v1) modify: new values of the columns that changed, replacing them.
  case replace(RowValues)
  /// `update2`/`update3` modify: per-column differences (RFC 7047 extension, ovsdb-server(1)).
  case diff(RowValues)
}

extension RowChange {
  /// The same changes, from a dictionary of columns.
  public static func insert(_ row: [String: Datum]) -> RowChange { .insert(RowValues(row)) }
  public static func replace(_ row: [String: Datum]) -> RowChange { .replace(RowValues(row)) }
  public static func diff(_ row: [String: Datum]) -> RowChange { .diff(RowValues(row)) }
}

/// One row's change.
public struct RowUpdate: Sendable, Equatable {
  public var uuid: RowUUID
  public var change: RowChange

  public init(_ uuid: RowUUID, _ change: RowChange) {
    self.uuid = uuid
    self.change = change
  }
}

/// All row changes of one notification (or monitor reply), by table, in the server's order (a
/// server names each row at most once per table update, so no lookup structure is needed).
public struct TableUpdates: Sendable, Equatable {
  public var tables: [String: [RowUpdate]]

  public init(tables: [String: [RowUpdate]] = [:]) {
    self.tables = tables
  }

  public var isEmpty: Bool { tables.values.allSatisfy(\.isEmpty) }
}
