import NIOConcurrencyHelpers

/// A monitored in-memory copy of chosen tables and columns, updated only by whole notifications so
/// readers always see a state the server had. Safe to read from any thread.
public final class Replica: Sendable {
  public let schema: DatabaseSchema
  /// Monitored columns per table (nil: all).
  public let columns: [String: [String]?]

  private let state = NIOLockedValueBox(ReplicaSnapshot(tables: [:]))
  private let changeContinuations = NIOLockedValueBox<[Int: AsyncStream<ReplicaChange>.Continuation]>([:])
  private let nextObserver = NIOLockedValueBox(0)
  private let updateWaiters = GenerationWaiters()

  /// `indexed`: keep the schema's unique indexes as lookup tables (see below). A one-shot read that
  /// only lists rows goes without: at 10,000 ports, keeping them was 7 % of a `show` (perf).
  public init(schema: DatabaseSchema, columns: [String: [String]?], indexed: Bool = true) {
    self.schema = schema
    self.columns = columns
    state.withLockedValue { snapshot in
      for (table, monitored) in columns {
        snapshot.tables[table] = [:]
        // The schema's unique indexes (e.g. Bridge, Port, Interface by name) whose columns are all
        // replicated are kept as lookup tables, so finding a row by name is not a scan.
        guard indexed else { continue }
        for index in schema[table]?.indexes ?? [] where monitored.map({ Set(index).isSubset(of: $0) }) ?? true {
          snapshot.indexes[table, default: [:]][index] = [:]
        }
      }
    }
  }

  /// A consistent copy of the whole replica (copy-on-write: cheap until the next update).
  public var snapshot: ReplicaSnapshot { state.withLockedValue { $0 } }

  /// The transaction id of the last applied update (monitor_cond_since / update3), for resuming.
  public var lastTransactionID: String? { state.withLockedValue { $0.lastTransactionID } }

  /// Changes as they are applied; each subscriber gets its own stream.
  public func changes() -> AsyncStream<ReplicaChange> {
    let (stream, continuation) = AsyncStream.makeStream(of: ReplicaChange.self, bufferingPolicy: .unbounded)
    let id = nextObserver.withLockedValue { value in
      value += 1
      return value
    }
    changeContinuations.withLockedValue { $0[id] = continuation }
    continuation.onTermination = { [weak self] _ in
      _ = self?.changeContinuations.withLockedValue { $0.removeValue(forKey: id) }
    }
    return stream
  }

  /// Applies one notification or monitor reply. `resync` first empties every table (a full dump
  /// after reconnecting replaces whatever the replica held, so rows deleted meanwhile vanish).
  public func apply(_ updates: TableUpdates, resync: Bool = false, lastTransactionID: String? = nil) {
    // Which rows changed is worked out only for subscribers (those at the start of this update):
    // a one-shot read has none, and for it tracking was two hash insertions per row of a dump.
    let observers = changeContinuations.withLockedValue { Array($0.values) }
    let tracking = !observers.isEmpty
    let change = state.withLockedValue { snapshot -> ReplicaChange in
      var removed: [String: Set<RowUUID>] = [:]
      if resync {
        for (table, rows) in snapshot.tables {
          if tracking { removed[table] = Set(rows.keys) }
          snapshot.tables[table] = [:]
          for index in snapshot.indexes[table]?.keys ?? [:].keys { snapshot.indexes[table]?[index] = [:] }
        }
      }
      var touched: [String: Set<RowUUID>] = [:]
      for (table, rows) in updates.tables {
        guard let tableSchema = schema[table] else { continue }
        let defaults = Self.defaults(of: tableSchema, columns: columns[table] ?? nil)
        var current = snapshot.tables[table] ?? [:]
        // Rows as they were, for removing their old index keys (only when the table is indexed).
        let before = snapshot.indexes[table]?.isEmpty == false ? current : [:]
        current.reserveCapacity(current.count + rows.count)
        for update in rows {
          let uuid = update.uuid
          switch update.change {
          case .insert(let row):
            current[uuid] = Self.filled(row, defaults: defaults)
            if tracking { touched[table, default: []].insert(uuid) }
          case .delete:
            if current.removeValue(forKey: uuid) != nil, tracking { removed[table, default: []].insert(uuid) }
          case .replace(let row):
            var existing = current[uuid] ?? defaults
            for (column, value) in row { existing[column] = value }
            current[uuid] = existing
            if tracking { touched[table, default: []].insert(uuid) }
          case .diff(let diff):
            var existing = current[uuid] ?? defaults
            for (column, delta) in diff {
              guard let type = tableSchema[column]?.type else { continue }
              existing[column] = Self.applying(delta, to: existing[column] ?? type.defaultValue, type: type)
            }
            current[uuid] = existing
            if tracking { touched[table, default: []].insert(uuid) }
          }
        }
        snapshot.tables[table] = current
        if let indexes = snapshot.indexes[table], !indexes.isEmpty {
          snapshot.indexes[table] = Self.reindexed(indexes, changes: rows, before: before, after: current)
        }
      }
      for (table, uuids) in touched { removed[table]?.subtract(uuids) }
      if let lastTransactionID { snapshot.lastTransactionID = lastTransactionID }
      snapshot.generation += 1
      return ReplicaChange(
        generation: snapshot.generation, resync: resync, changed: touched, deleted: removed.filter { !$0.value.isEmpty }
      )
    }
    for continuation in observers { continuation.yield(change) }
    updateWaiters.advance(to: change.generation)
  }

  /// Waits until an update after `generation` has been applied. False when none came by `deadline`,
  /// or the replica's client has closed.
  public func waitForUpdate(after generation: Int, until deadline: ContinuousClock.Instant) async -> Bool {
    await updateWaiters.wait(after: generation, until: deadline)
  }

  /// Waits until `condition` holds for the replica, checking it again after each applied update
  /// (not on a timer). False when it still does not hold at `deadline`.
  public func wait(until deadline: ContinuousClock.Instant, for condition: (ReplicaSnapshot) -> Bool) async -> Bool {
    while true {
      let current = snapshot
      if condition(current) { return true }
      guard await waitForUpdate(after: current.generation, until: deadline) else { return condition(snapshot) }
    }
  }

  static func reindexed(
    _ indexes: [[String]: [[Datum]: RowUUID]], changes: [RowUpdate], before: [RowUUID: [String: Datum]],
    after: [RowUUID: [String: Datum]]
  ) -> [[String]: [[Datum]: RowUUID]] {
    var result = indexes
    for (columns, var entries) in indexes {
      for update in changes {
        if let old = before[update.uuid] {
          let key = columns.map { old[$0] ?? .empty }
          if entries[key] == update.uuid { entries[key] = nil }
        }
        if let new = after[update.uuid] { entries[columns.map { new[$0] ?? .empty }] = update.uuid }
      }
      result[columns] = entries
    }
    return result
  }

  /// Ends every change stream (the replica's client is shutting down).
  public func finish() {
    for continuation in changeContinuations.withLockedValue({ Array($0.values) }) { continuation.finish() }
    updateWaiters.finish()
  }

  /// A row as inserted, with every monitored column the server omitted (the server leaves out
  /// default values) set to its default value.
  static func filled(_ row: RowValues, defaults: [String: Datum]) -> [String: Datum] {
    // The defaults' storage copied (bucket by bucket, no hashing) and the row's columns written
    // over it: a lookup per column the server sent. Filling the row instead looked up every
    // monitored column and grew the row's table, rehashing it (callgrind: 124 M of a 10,000-port
    // `show`'s 820 M).
    var full = defaults
    for (column, value) in row { full[column] = value }
    return full
  }

  /// Each monitored column of `table` with its default value, worked out once per update rather
  /// than once per row (a first dump of 1,000 rows spent most of its time here).
  static func defaults(of table: TableSchema, columns: [String]?) -> [String: Datum] {
    var defaults: [String: Datum] = [:]
    for name in columns ?? Array(table.columns.keys) {
      if let column = table[name] { defaults[name] = column.type.defaultValue }
    }
    return defaults
  }

  /// update2's per-column difference: for sets and maps (and an empty optional), each element in
  /// the delta toggles (a map key with a different value is updated); a scalar is replaced.
  static func applying(_ delta: Datum, to old: Datum, type: ColumnType) -> Datum {
    guard type.max > 1 || type.isMap || old.isEmpty else { return delta }
    if type.isMap {
      var entries = Dictionary(uniqueKeysWithValues: old.pairs.map { ($0.key, $0.value) })
      for (key, value) in delta.pairs {
        if entries[key] == value {
          entries[key] = nil
        } else {
          entries[key] = value
        }
      }
      return .map(entries.map { ($0.key, $0.value) })
    }
    var members = Set(old.keys)
    for atom in delta.keys where members.remove(atom) == nil { members.insert(atom) }
    return .set(Array(members))
  }
}

/// What one applied update changed.
public struct ReplicaChange: Sendable, Equatable {
  /// Increases by one with every applied update.
  public var generation: Int
  /// The replica was emptied and refilled (first dump or reconnect without resume).
  public var resync: Bool
  /// Rows inserted or modified, by table.
  public var changed: [String: Set<RowUUID>]
  /// Rows deleted, by table.
  public var deleted: [String: Set<RowUUID>]
}

/// An immutable view of the replica at one moment.
public struct ReplicaSnapshot: Sendable {
  public internal(set) var tables: [String: [RowUUID: [String: Datum]]]
  /// table → index columns → their values → the row (the schema's unique indexes).
  var indexes: [String: [[String]: [[Datum]: RowUUID]]] = [:]
  public internal(set) var lastTransactionID: String? = nil
  public internal(set) var generation = 0

  /// No tables at all: for a builder that only collects operations planned without reading the
  /// database (see VSwitch's `DirectChange`).
  public static let empty = ReplicaSnapshot(tables: [:])

  /// Rows read some other way than a monitor (e.g. by `select`): table → UUID → columns. No index
  /// is built; lookups by column scan, which suits the few rows such a snapshot holds.
  public init(tables: [String: [RowUUID: [String: Datum]]]) {
    self.tables = tables
  }

  public func rows(_ table: String) -> [RowUUID: [String: Datum]] { tables[table] ?? [:] }

  public func row(_ table: String, _ uuid: RowUUID) -> [String: Datum]? { tables[table]?[uuid] }

  /// The row whose index columns hold `key` (e.g. `["name": "br0"]` for Bridge), through the
  /// schema's index when there is one, else by scanning.
  public func row(_ table: String, key: [String: Datum]) -> (uuid: RowUUID, row: [String: Datum])? {
    let columns = key.keys.sorted()
    if let entries = indexes[table]?.first(where: { $0.key.sorted() == columns }) {
      guard let uuid = entries.value[entries.key.map { key[$0] ?? .empty }], let row = tables[table]?[uuid] else {
        return nil
      }
      return (uuid, row)
    }
    return (tables[table] ?? [:]).first { entry in key.allSatisfy { entry.value[$0.key] == $0.value } }
      .map { ($0.key, $0.value) }
  }

  /// Rows whose `column` holds exactly `value` (e.g. Bridge by name), sorted by UUID.
  public func rows(_ table: String, where column: String, equals value: Atom) -> [(RowUUID, [String: Datum])] {
    if let entries = indexes[table]?[[column]] {
      guard let uuid = entries[[.scalar(value)]], let row = tables[table]?[uuid] else { return [] }
      return [(uuid, row)]
    }
    return (tables[table] ?? [:]).filter { $0.value[column]?.scalar == value }.sorted { $0.key < $1.key }.map {
      ($0.key, $0.value)
    }
  }
}
