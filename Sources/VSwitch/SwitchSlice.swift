import OVSDB

/// The rows of the switch that a few tap plugs touch, read by `select` instead of a monitor of the
/// whole database: `reconcile --domain` on a switch carrying thousands of other VMs' ports reads one
/// VM's. Reading takes rounds, each one read-only transaction: a port's bridge, QoS and queues are
/// known only once the port (and the QoS) has been read.
///
/// The slice is a snapshot on which `SwitchState` and `ensurePort` see, for these plugs, what they see
/// on the whole switch: every row their guards name (Bridge, Port and Interface rows named like a tap
/// or a bridge), the bridge holding each port read and every fake bridge (so a port tagged with a
/// fake bridge's VLAN is shown on it), the ports' QoS rows and their queues. A Bridge row's `ports`
/// lists only the ports read (the column is neither guarded nor written by `ensurePort`). The QoS and
/// Queue rows marked with a plug's tap name or VM id are read too, with the ports that use such a
/// QoS row, so the sweep of unused QoS rows judges this VM's as on the whole switch (and sees no one
/// else's). What it cannot judge is a Queue row of this VM's that no QoS row read uses
/// (`hasUnusedQueue`).
public struct SwitchSlice: Sendable {
  /// Something the slice cannot show as the whole switch would (a port on two bridges): read it all.
  public struct Unjudgeable: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// What one read of a round is for.
  private enum Read: Sendable {
    /// Rows of a table, kept as they are.
    case rows(String)
    /// The Bridge rows whose `ports` hold this port.
    case holder(RowUUID)
  }

  /// The Bridge columns `SwitchState` reads, but `ports` (every port of the bridge: the bulk of a
  /// busy bridge's row), which the slice fills with the ports it read.
  static let bridgeColumns = ["_uuid", "name", "datapath_type", "rstp_enable", "external_ids", "other_config"]

  private var tables: [String: [RowUUID: [String: Datum]]] = ["Bridge": [:], "Port": [:], "Interface": [:]]
  /// Port → the Bridge row that holds it (nil: none), for every port whose holder was asked.
  private var holders: [RowUUID: RowUUID?] = [:]
  /// Rows asked for by UUID (QoS, Queue): each is asked once, found or not.
  private var asked: Set<RowUUID> = []
  /// QoS rows whose ports were asked for (those no port read used).
  private var askedUsers: Set<RowUUID> = []
  private var pending: [Read]
  private var first: [DBOperation]?

  /// The slice for `plugs` (their taps, bridges, QoS and queues) and the QoS and Queue rows marked
  /// with one of `vmIDs`.
  public init(plugs: [TapPlug], vmIDs: Set<String>) {
    let taps = Set(plugs.map(\.name))
    let names = taps.union(plugs.map(\.bridge)).sorted()
    var reads: [DBOperation] = []
    var kinds: [Read] = []
    func read(_ table: String, _ conditions: [Condition], columns: [String]? = nil) {
      reads.append(.select(table: table, where: conditions, columns: columns))
      kinds.append(.rows(table))
    }
    // Each name in all three tables: `ensurePort` guards each so (a tap's name on a Bridge row too).
    for name in names {
      read("Bridge", [.equals("name", .string(name))], columns: Self.bridgeColumns)
      read("Port", [.equals("name", .string(name))])
      read("Interface", [.equals("name", .string(name))])
    }
    read("Port", [.equals("fake_bridge", .boolean(true))])
    let marks = taps.sorted().map { ["ifname": $0] } + vmIDs.sorted().map { ["vm-id": $0] }
    for mark in marks {
      read("QoS", [Condition("external_ids", .includes, .map(mark))])
      read("Queue", [Condition("external_ids", .includes, .map(mark))])
    }
    first = reads.isEmpty ? nil : reads
    pending = kinds
  }

  /// The next round's reads (one transaction); nil once everything the rows read refer to is read.
  public mutating func nextReads() -> [DBOperation]? {
    if let first {
      self.first = nil
      return first
    }
    var reads: [DBOperation] = []
    pending = []
    for uuid in (tables["Port"] ?? [:]).keys.sorted() where holders.index(forKey: uuid) == nil {
      reads.append(
        .select(
          table: "Bridge", where: [Condition("ports", .includes, .scalar(.uuid(uuid)))], columns: Self.bridgeColumns))
      pending.append(.holder(uuid))
    }
    // A QoS row found by its marks that no port read uses: the ports that do (if any) are read too,
    // so the plan's sweep of unused QoS rows judges it as on the whole switch.
    let used = Set((tables["Port"] ?? [:]).values.compactMap { $0["qos"]?.scalar?.uuidValue })
    for uuid in (tables["QoS"] ?? [:]).keys.sorted() where !used.contains(uuid) && askedUsers.insert(uuid).inserted {
      reads.append(.select(table: "Port", where: [Condition("qos", .equal, .scalar(.uuid(uuid)))]))
      pending.append(.rows("Port"))
    }
    var wanted: [(String, RowUUID)] = []
    for row in (tables["Port"] ?? [:]).values {
      if let qos = row["qos"]?.scalar?.uuidValue { wanted.append(("QoS", qos)) }
    }
    for row in (tables["QoS"] ?? [:]).values {
      for (_, queue) in row["queues"]?.pairs ?? [] { if let uuid = queue.uuidValue { wanted.append(("Queue", uuid)) } }
    }
    for (table, uuid) in wanted.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) })
    where tables[table]?[uuid] == nil && asked.insert(uuid).inserted {
      reads.append(.select(table: table, where: [.uuid(uuid)]))
      pending.append(.rows(table))
    }
    return reads.isEmpty ? nil : reads
  }

  /// Takes the results of the reads `nextReads` returned last, in order.
  public mutating func take(_ results: [OperationResult]) throws(Unjudgeable) {
    guard results.count == pending.count else {
      throw Unjudgeable(description: "\(results.count) results for \(pending.count) reads")
    }
    for (read, result) in zip(pending, results) {
      guard let rows = DirectLookup.rows(result) else { throw Unjudgeable(description: "a select result is malformed") }
      switch read {
      case .rows(let table):
        for row in rows { try keep(row, in: table) }
      case .holder(let port):
        guard rows.count <= 1 else { throw Unjudgeable(description: "port \(port) is on \(rows.count) bridges") }
        if let row = rows.first {
          holders[port] = .some(try keep(row, in: "Bridge"))
        } else {
          holders[port] = .some(nil)
        }
      }
    }
    pending = []
  }

  /// The rows read, as a snapshot: each Bridge's `ports` holds the ports read that it holds.
  public var snapshot: ReplicaSnapshot {
    var tables = self.tables
    var held: [RowUUID: [Atom]] = [:]
    for (port, bridge) in holders { if let bridge { held[bridge, default: []].append(.uuid(port)) } }
    for uuid in tables["Bridge"]?.keys.map({ $0 }) ?? [] {
      tables["Bridge"]?[uuid]?["ports"] = .set(held[uuid] ?? [])
    }
    return ReplicaSnapshot(tables: tables)
  }

  /// Whether a Queue row of ovsvirt's was read that no QoS row read uses: whether some other QoS
  /// does, only the whole switch shows (OVSDB cannot select a map by its values), and the plan's
  /// sweep would delete it.
  public var hasUnusedQueue: Bool {
    var used = Set<RowUUID>()
    for row in (tables["QoS"] ?? [:]).values {
      for (_, queue) in row["queues"]?.pairs ?? [] { if let uuid = queue.uuidValue { used.insert(uuid) } }
    }
    return (tables["Queue"] ?? [:]).contains { uuid, row in
      !used.contains(uuid) && SwitchTables.isOwned(row["external_ids"]?.stringMap ?? [:])
    }
  }

  /// Keeps `row` (without `_uuid` and `_version`, as a monitor's rows come); returns its UUID.
  @discardableResult
  private mutating func keep(_ row: [String: Datum], in table: String) throws(Unjudgeable) -> RowUUID {
    guard let uuid = row["_uuid"]?.scalar?.uuidValue else {
      throw Unjudgeable(description: "a \(table) row without _uuid")
    }
    var columns = row
    columns["_uuid"] = nil
    columns["_version"] = nil
    tables[table, default: [:]][uuid] = columns
    return uuid
  }
}
