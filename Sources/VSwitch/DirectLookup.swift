import OVSDB

/// A direct change that needs rows first: OVSDB takes a port off a bridge (or a bridge off the
/// switch) by UUID only, so a delete reads the one row it names (a `select` by name, answered from
/// that row alone), then sends its guarded change. `plan` returns nil when what was read leaves
/// the outcome to the full path (absent, a fake bridge, a QoS row to weigh, …).
public struct DirectLookup: Sendable {
  /// Read-only operations, sent as one transaction.
  public var reads: [DBOperation]
  /// The change, from the reads' results (one per read).
  public var plan: @Sendable ([OperationResult]) -> DirectChange?

  public init(reads: [DBOperation], plan: @escaping @Sendable ([OperationResult]) -> DirectChange?) {
    self.reads = reads
    self.plan = plan
  }

  /// The rows of a `select` result, each column decoded without a schema; nil when malformed.
  static func rows(_ result: OperationResult?) -> [[String: Datum]]? {
    guard let rows = result?.rows else { return nil }
    var decoded: [[String: Datum]] = []
    for row in rows {
      var columns: [String: Datum] = [:]
      for (column, value) in row {
        guard let datum = try? Datum(json: value) else { return nil }
        columns[column] = datum
      }
      decoded.append(columns)
    }
    return decoded
  }
}

extension SwitchPlanner {
  /// `deletePort` of an ordinary port (not a fake bridge, no QoS row): taken off whichever bridge
  /// holds it, guarded on being that same row still.
  public func directDeletePort(_ name: String) -> DirectLookup {
    let byName: [Condition] = [.equals("name", .string(name))]
    let columns = ["_uuid", "fake_bridge", "qos"]
    return DirectLookup(reads: [.select(table: "Port", where: byName, columns: columns)]) { results in
      guard let rows = DirectLookup.rows(results.first), rows.count == 1, let row = rows.first,
        let uuid = row["_uuid"]?.scalar?.uuidValue, row["fake_bridge"]?.scalar == .boolean(false),
        row["qos"]?.isEmpty == true
      else { return nil }
      return DirectChange(
        guards: [.wait(table: "Port", where: byName, columns: columns, until: .equal, rows: [row], timeout: 0)],
        writes: [
          .mutate(
            table: "Bridge", where: [Condition("ports", .includes, .scalar(.uuid(uuid)))],
            mutations: [Mutation("ports", .delete, .scalar(.uuid(uuid)))])
        ])
    }
  }

  /// `deleteBridge` of a real bridge (no fake bridge of that name): off the switch's root row,
  /// guarded on being that same row still; its ports and fake bridges go with it.
  public func directDeleteBridge(_ name: String) -> DirectLookup {
    let byName: [Condition] = [.equals("name", .string(name))]
    let fake: [Condition] = byName + [.equals("fake_bridge", .boolean(true))]
    let reads: [DBOperation] = [
      .select(table: "Bridge", where: byName, columns: ["_uuid"]),
      .select(table: "Port", where: fake, columns: ["_uuid"]),
    ]
    return DirectLookup(reads: reads) { results in
      guard results.count == 2, let bridges = DirectLookup.rows(results[0]), bridges.count == 1,
        let uuid = bridges[0]["_uuid"]?.scalar?.uuidValue, DirectLookup.rows(results[1])?.isEmpty == true
      else { return nil }
      return DirectChange(
        guards: [
          .wait(table: "Bridge", where: byName, columns: ["_uuid"], until: .equal, rows: [bridges[0]], timeout: 0),
          Presume.absent("Port", fake),
        ],
        writes: [
          .mutate(table: "Open_vSwitch", where: [], mutations: [Mutation("bridges", .delete, .scalar(.uuid(uuid)))])
        ])
    }
  }
}
