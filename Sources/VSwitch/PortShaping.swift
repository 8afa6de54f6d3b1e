import OVSDB

/// The linux-htb QoS + Queue a VM port's inbound bandwidth becomes, written as libvirt writes it:
/// a QoS of type linux-htb with other_config min-rate / max-rate / burst, queue 0 with the same
/// other_config, both carrying external_ids vm-id and ifname (how libvirt finds them again to
/// update or delete). Rows ovsvirt creates also carry its owner mark: they go when their port goes
/// (`deletePort`, `sweepOrphanedQoS`). QoS and Queue are root tables: the server never
/// garbage-collects them.
extension SwitchPlanner {
  /// Whether `port` already has what `request` asks.
  static func shaping(of port: PortView, holds request: TapPlug.ShapingRequest, in state: SwitchState) -> Bool {
    switch request {
    case .leave:
      return true
    case .none(let ids):
      guard let uuid = port.qos, let qos = state.qos[uuid] else { return true }
      return !isPlugs(qos.externalIDs, ids)
    case .linuxHTB(let shaping):
      guard let uuid = port.qos, let qos = state.qos[uuid], qos.type == "linux-htb",
        qos.otherConfig == shaping.otherConfig, qos.queues.count == 1, let queue = qos.queues[0],
        queue.otherConfig == shaping.otherConfig
      else { return false }
      return carries(qos.externalIDs, shaping.externalIDs) && carries(queue.externalIDs, shaping.externalIDs)
    }
  }

  /// Brings the port's QoS to `request`; Port columns to change go into `portRow`.
  func ensureShaping(
    _ request: TapPlug.ShapingRequest, of port: PortView, state: SwitchState, portRow: inout [String: Datum],
    in txn: inout TransactionBuilder
  ) -> [String] {
    guard !Self.shaping(of: port, holds: request, in: state) else { return [] }
    let current = port.qos.flatMap { state.qos[$0] }
    switch request {
    case .leave:
      return []
    case .none(let ids):
      guard let current else { return [] }
      portRow["qos"] = .empty
      deleteQoS(current, madeBy: ids, in: &txn)
      return ["remove the QoS of port \(port.name)"]
    case .linuxHTB(let shaping):
      // A QoS the plug made (libvirt's, found by its vm-id and ifname, or ovsvirt's) is updated in
      // place, as libvirt updates its own; anyone else's is left as it is and replaced on this port.
      guard let current, Self.isPlugs(current.externalIDs, shaping.externalIDs) else {
        portRow["qos"] = .scalar(.namedUUID(insertHTB(shaping, for: port.name, in: &txn)))
        return ["shape port \(port.name): linux-htb \(Self.describe(shaping))"]
      }
      _ = txn.row("QoS", current.uuid, columns: ["type", "other_config", "queues", "external_ids"])
      var qosRow: [String: Datum] = [
        "type": .scalar(.string("linux-htb")), "other_config": .map(shaping.otherConfig),
        "external_ids": .map(current.externalIDs.merging(shaping.externalIDs) { _, new in new }),
      ]
      if let queue = current.queues[0], current.queues.count == 1, Self.isPlugs(queue.externalIDs, shaping.externalIDs)
      {
        _ = txn.row("Queue", queue.uuid, columns: ["other_config", "external_ids"])
        txn.add(
          .update(
            table: "Queue", where: [.uuid(queue.uuid)],
            row: [
              "other_config": .map(shaping.otherConfig),
              "external_ids": .map(queue.externalIDs.merging(shaping.externalIDs) { _, new in new }),
            ]))
      } else {
        let queue = insertQueue(shaping, for: port.name, in: &txn)
        qosRow["queues"] = .map([(.integer(0), .namedUUID(queue))])
        for old in current.queues.values where Self.isPlugs(old.externalIDs, shaping.externalIDs) {
          txn.add(.delete(table: "Queue", where: [.uuid(old.uuid)]))
        }
      }
      txn.add(.update(table: "QoS", where: [.uuid(current.uuid)], row: qosRow))
      return ["reshape port \(port.name): linux-htb \(Self.describe(shaping))"]
    }
  }

  /// Inserts a linux-htb QoS with queue 0 for port `port`; returns the QoS's uuid-name.
  func insertHTB(_ shaping: TapPlug.Shaping, for port: String, in txn: inout TransactionBuilder) -> String {
    let queue = insertQueue(shaping, for: port, in: &txn)
    let qos = "qos_\(port.identifierSafe)"
    txn.add(
      .insert(
        table: "QoS",
        row: [
          "type": .scalar(.string("linux-htb")), "other_config": .map(shaping.otherConfig),
          "queues": .map([(.integer(0), .namedUUID(queue))]),
          "external_ids": .map(shaping.externalIDs.merging(SwitchTables.ownerIDs) { mine, _ in mine }),
        ], uuidName: qos))
    return qos
  }

  private func insertQueue(_ shaping: TapPlug.Shaping, for port: String, in txn: inout TransactionBuilder) -> String {
    let queue = "queue_\(port.identifierSafe)"
    txn.add(
      .insert(
        table: "Queue",
        row: [
          "other_config": .map(shaping.otherConfig),
          "external_ids": .map(shaping.externalIDs.merging(SwitchTables.ownerIDs) { mine, _ in mine }),
        ], uuidName: queue))
    return queue
  }

  /// Deletes a QoS row and those of its queues the plug made (the caller drops the reference).
  func deleteQoS(_ qos: QoSView, madeBy plugIDs: [String: String], in txn: inout TransactionBuilder) {
    _ = txn.row("QoS", qos.uuid, columns: ["queues"])
    txn.add(.delete(table: "QoS", where: [.uuid(qos.uuid)]))
    for queue in qos.queues.values where Self.isPlugs(queue.externalIDs, plugIDs) {
      txn.add(.delete(table: "Queue", where: [.uuid(queue.uuid)]))
    }
  }

  /// ovsvirt's QoS and Queue rows that nothing uses any more (their port went: deleted by hand, by a
  /// VM stopping, or with its bridge), deleted; returns what was done.
  public func sweepOrphanedQoS(state: SwitchState, in txn: inout TransactionBuilder) -> [String] {
    let snapshot = state.snapshot
    let usedQoS = Set(state.ports.values.compactMap(\.qos))
    var usedQueues = Set<RowUUID>()
    for qos in snapshot.rows("QoS").values {
      for (_, queue) in qos["queues"]?.pairs ?? [] { if let uuid = queue.uuidValue { usedQueues.insert(uuid) } }
    }
    var actions: [String] = []
    for (uuid, qos) in state.qos where !usedQoS.contains(uuid) && Self.isOwned(qos.externalIDs) {
      // Guarded on the row only: a port that took it up meanwhile makes the commit fail on
      // referential integrity rather than lose its QoS, and guarding every Port row would cost more.
      _ = txn.row("QoS", uuid, columns: ["queues"])
      txn.add(.delete(table: "QoS", where: [.uuid(uuid)]))
      for queue in qos.queues.values where Self.isOwned(queue.externalIDs) {
        txn.add(.delete(table: "Queue", where: [.uuid(queue.uuid)]))
        usedQueues.insert(queue.uuid)  // deleted already
      }
      actions.append("delete unused QoS \(qos.externalIDs["ifname"].map { "of \($0) " } ?? "")(\(uuid))")
    }
    for (uuid, row) in snapshot.rows("Queue") where !usedQueues.contains(uuid) {
      guard Self.isOwned(row["external_ids"]?.stringMap ?? [:]) else { continue }
      txn.add(.delete(table: "Queue", where: [.uuid(uuid)]))
      actions.append("delete unused queue (\(uuid))")
    }
    return actions
  }

  /// Whether some QoS row of ovsvirt's is used by no port (`sweepOrphanedQoS` has work).
  public static func hasOrphanedQoS(in state: SwitchState) -> Bool {
    let owned = state.qos.values.filter { isOwned($0.externalIDs) }
    guard !owned.isEmpty else { return false }
    let used = Set(state.ports.values.compactMap(\.qos))
    return owned.contains { !used.contains($0.uuid) }
  }

  /// A row the plug made: it carries the plug's identifying external_ids, or ovsvirt's mark.
  static func isPlugs(_ externalIDs: [String: String], _ plugIDs: [String: String]) -> Bool {
    isOwned(externalIDs) || (!plugIDs.isEmpty && carries(externalIDs, plugIDs))
  }

  static func isOwned(_ externalIDs: [String: String]) -> Bool { SwitchTables.isOwned(externalIDs) }

  static func carries(_ externalIDs: [String: String], _ wanted: [String: String]) -> Bool {
    wanted.allSatisfy { externalIDs[$0.key] == $0.value }
  }

  static func describe(_ shaping: TapPlug.Shaping) -> String {
    shaping.otherConfig.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
  }
}
