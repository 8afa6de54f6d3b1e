/// One row's change in a monitor update, in the shape the replica applies.
public enum RowChange: Sendable, Equatable {
  /// Present from the start (initial dump) or newly inserted: the full row.
  case insert([String: Datum])
  case delete
  /// `update` (v1) modify: new values of the columns that changed, replacing them.
  case replace([String: Datum])
  /// `update2`/`update3` modify: per-column differences (RFC 7047 extension, ovsdb-server(1)).
  case diff([String: Datum])
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
