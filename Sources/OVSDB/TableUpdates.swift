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

/// All row changes of one notification (or monitor reply), by table.
public struct TableUpdates: Sendable, Equatable {
  public var tables: [String: [RowUUID: RowChange]]

  public init(tables: [String: [RowUUID: RowChange]] = [:]) {
    self.tables = tables
  }

  public var isEmpty: Bool { tables.values.allSatisfy(\.isEmpty) }

  /// Decodes `<table-updates>` (v1, `monitor`) or `<table-updates2>` (`monitor_cond*`) against
  /// the schema. Columns the schema does not know are ignored, so a newer server is tolerated.
  public init(json: JSON, version2: Bool, schema: DatabaseSchema) throws(OVSDBError) {
    guard case .object(let byTable) = json else {
      if json.isNull {
        self.init()
        return
      }
      throw .protocolViolation("table updates must be an object, got \(json)")
    }
    var tables: [String: [RowUUID: RowChange]] = [:]
    for (tableName, rowsJSON) in byTable {
      guard let table = schema[tableName] else { continue }
      guard case .object(let rows) = rowsJSON else {
        throw .protocolViolation("updates for table \(tableName) must be an object")
      }
      var changes: [RowUUID: RowChange] = [:]
      changes.reserveCapacity(rows.count)
      for (uuidText, update) in rows {
        guard let uuid = RowUUID(uuidText) else {
          throw .protocolViolation("invalid row uuid \"\(uuidText)\" in \(tableName)")
        }
        guard case .object(let fields) = update else {
          throw .protocolViolation("row update for \(tableName) \(uuidText) must be an object")
        }
        changes[uuid] =
          version2
          ? try Self.change2(fields, table: table, uuid: uuidText)
          : try Self.change1(fields, table: table, uuid: uuidText)
      }
      tables[tableName] = changes
    }
    self.init(tables: tables)
  }

  static func change2(_ fields: [String: JSON], table: TableSchema, uuid: String) throws(OVSDBError) -> RowChange {
    if let row = fields["initial"] ?? fields["insert"] { return .insert(try decodeRow(row, table: table, uuid: uuid)) }
    if let row = fields["modify"] { return .diff(try decodeRow(row, table: table, uuid: uuid, diff: true)) }
    if fields["delete"] != nil { return .delete }
    throw .protocolViolation("row update2 for \(table.name) \(uuid) has no initial/insert/modify/delete")
  }

  static func change1(_ fields: [String: JSON], table: TableSchema, uuid: String) throws(OVSDBError) -> RowChange {
    let old = fields["old"]
    guard let new = fields["new"] else {
      if old != nil { return .delete }
      throw .protocolViolation("row update for \(table.name) \(uuid) has neither old nor new")
    }
    let row = try decodeRow(new, table: table, uuid: uuid)
    return old == nil ? .insert(row) : .replace(row)
  }

  static func decodeRow(_ json: JSON, table: TableSchema, uuid: String, diff: Bool = false) throws(OVSDBError)
    -> [String: Datum]
  {
    guard case .object(let columns) = json else {
      throw .protocolViolation("row \(table.name) \(uuid) must be an object")
    }
    var row: [String: Datum] = [:]
    row.reserveCapacity(columns.count)
    for (name, value) in columns {
      guard let column = table.columns[name] else { continue }
      do {
        // A diff of a set column may hold any number of elements, so it is decoded as a plain set.
        row[name] = try column.type.decode(value)
      } catch {
        throw .protocolViolation("\(table.name).\(name) of row \(uuid): \(error)")
      }
    }
    return row
  }
}
