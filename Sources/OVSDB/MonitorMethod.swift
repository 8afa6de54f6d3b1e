/// The monitor flavours an ovsdb-server may offer, newest first; the client falls back in this order.
public enum MonitorMethod: String, Sendable, CaseIterable {
  /// Resumable after a reconnect from the last transaction id (`update3` notifications).
  case monitorCondSince = "monitor_cond_since"
  /// Conditional monitor with compact diffs (`update2`).
  case monitorCond = "monitor_cond"
  /// RFC 7047's original monitor (`update`, old/new rows).
  case monitor = "monitor"

  /// The monitor-requests object for `tables` (columns nil: all of the table's columns).
  func requests(_ tables: [String: [String]?], schema: DatabaseSchema) -> JSON {
    var requests: [String: JSON] = [:]
    for (table, columns) in tables {
      let names = columns ?? schema[table].map { Array($0.columns.keys) } ?? []
      let request: JSON = ["columns": .array(names.sorted().map(JSON.string))]
      requests[table] = self == .monitor ? request : .array([request])
    }
    return .object(requests)
  }
}
