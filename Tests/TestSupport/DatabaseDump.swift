import OVSDB

/// `ovsdb-client dump -f json` of the switch tables in a form two databases can be compared in:
/// UUIDs replaced by "Table:name" labels (root: "Open_vSwitch"), sets sorted, ovsvirt's own
/// external_ids keys dropped. Equal dumps mean equal switch configurations.
public struct DatabaseDump: Equatable, CustomStringConvertible {
  public let tables: [String: [String: [String: String]]]

  public static let comparedTables = ["Open_vSwitch", "Bridge", "Port", "Interface", "QoS", "Queue"]
  /// Columns ovs-vswitchd or the server maintain, not the command under test.
  static let ignoredColumns: Set<String> = ["_uuid", "_version", "next_cfg", "cur_cfg"]

  public init(json text: String) throws {
    // ovsdb-client prints one JSON object per table: {"caption":…, "data":[[…]], "headings":[…]}.
    var scanner = JSONFrameScanner()
    var bytes = Array(text.utf8)
    var tablesJSON: [JSON] = []
    while let range = try bytes.withUnsafeBytes({ buffer throws(JSONFrameScanner.ScanError) in
      try scanner.scan(buffer, from: 0)
    }) {
      tablesJSON.append(try JSONParser.parse(bytes[range]))
      bytes.removeFirst(range.upperBound)
    }
    var labels: [String: String] = [:]
    var raw: [String: [[String: JSON]]] = [:]
    for table in tablesJSON {
      guard let caption = table["caption"]?.stringValue, let headings = table["headings"]?.arrayValue,
        let data = table["data"]?.arrayValue
      else { continue }
      let name = caption.replacingOccurrences(of: " table", with: "")
      guard Self.comparedTables.contains(name) else { continue }
      for row in data {
        guard let values = row.arrayValue else { continue }
        var columns: [String: JSON] = [:]
        for (heading, value) in zip(headings, values) {
          if let key = heading.stringValue { columns[key] = value }
        }
        if case .array(let pair)? = columns["_uuid"], pair.count == 2, let uuid = pair[1].stringValue {
          labels[uuid] = name == "Open_vSwitch" ? "Open_vSwitch" : "\(name):\(columns["name"]?.stringValue ?? uuid)"
        }
        raw[name, default: []].append(columns)
      }
    }
    var tables: [String: [String: [String: String]]] = [:]
    for (name, rows) in raw {
      var byLabel: [String: [String: String]] = [:]
      for row in rows {
        guard case .array(let pair)? = row["_uuid"], pair.count == 2, let uuid = pair[1].stringValue else { continue }
        var columns: [String: String] = [:]
        for (column, value) in row where !Self.ignoredColumns.contains(column) {
          columns[column] = Self.canonical(value, labels: labels, column: column)
        }
        byLabel[labels[uuid] ?? uuid] = columns
      }
      tables[name] = byLabel
    }
    self.tables = tables
  }

  static func canonical(_ value: JSON, labels: [String: String], column: String) -> String {
    switch value {
    case .array(let parts) where parts.count == 2 && parts[0] == "uuid":
      return labels[parts[1].stringValue ?? ""] ?? "uuid"
    case .array(let parts) where parts.count == 2 && parts[0] == "set":
      let items = (parts[1].arrayValue ?? []).map { canonical($0, labels: labels, column: column) }.sorted()
      return items.count == 1 ? items[0] : "[" + items.joined(separator: ", ") + "]"
    case .array(let parts) where parts.count == 2 && parts[0] == "map":
      let items = (parts[1].arrayValue ?? []).compactMap { entry -> String? in
        guard let kv = entry.arrayValue, kv.count == 2 else { return nil }
        if column == "external_ids", kv[0].stringValue?.hasPrefix("ovsvirt-") == true { return nil }
        return canonical(kv[0], labels: labels, column: column) + "=" + canonical(kv[1], labels: labels, column: column)
      }.sorted()
      return "{" + items.joined(separator: ", ") + "}"
    default:
      return value.description
    }
  }

  /// The rows and columns that differ, for a readable failure.
  public func difference(from other: DatabaseDump) -> [String] {
    var lines: [String] = []
    for table in Set(tables.keys).union(other.tables.keys).sorted() {
      let mine = tables[table] ?? [:]
      let theirs = other.tables[table] ?? [:]
      for row in Set(mine.keys).union(theirs.keys).sorted() {
        guard let a = mine[row] else {
          lines.append("\(row): only in the other")
          continue
        }
        guard let b = theirs[row] else {
          lines.append("\(row): only in this one")
          continue
        }
        for column in Set(a.keys).union(b.keys).sorted() where a[column] != b[column] {
          lines.append("\(row).\(column): \(a[column] ?? "-") vs \(b[column] ?? "-")")
        }
      }
    }
    return lines
  }

  public var description: String {
    tables.keys.sorted().flatMap { table in
      (tables[table] ?? [:]).keys.sorted().map { "\($0): \((tables[table] ?? [:])[$0] ?? [:])" }
    }.joined(separator: "\n")
  }
}
