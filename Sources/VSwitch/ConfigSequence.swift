import OVSDB

/// ovs-vswitchd's acknowledgement protocol, as ovs-vsctl uses it: a client bumps
/// Open_vSwitch.next_cfg with its change, and ovs-vswitchd copies it to cur_cfg once it has
/// applied the configuration.
public enum ConfigSequence {
  /// Adds the next_cfg bump to `txn` and returns the value to wait for, when a switch daemon serves
  /// this database (it fills in datapath_types when it starts); nil when none ever did, since nothing
  /// would acknowledge.
  public static func request(in txn: inout TransactionBuilder) -> Int64? {
    guard let (uuid, root) = txn.snapshot.rows("Open_vSwitch").min(by: { $0.key < $1.key }),
      root["datapath_types"]?.isEmpty == false,
      let current = txn.row("Open_vSwitch", uuid, columns: ["next_cfg"])?["next_cfg"]?.scalar?.integerValue
    else { return nil }
    txn.add(.update(table: "Open_vSwitch", where: [.uuid(uuid)], row: ["next_cfg": .scalar(.integer(current + 1))]))
    return current + 1
  }

  /// Whether ovs-vswitchd has applied configuration `sequence`.
  public static func applied(_ sequence: Int64, in snapshot: ReplicaSnapshot) -> Bool {
    snapshot.rows("Open_vSwitch").values.contains { ($0["cur_cfg"]?.scalar?.integerValue ?? 0) >= sequence }
  }
}

extension ConfigSequence {
  /// The next_cfg bump for a transaction planned without a replica (a `DirectChange`), as
  /// ovs-vsctl makes it: `next_cfg += 1` when a switch daemon serves this database (datapath_types
  /// filled in), then a select of the value reached, which `requested(in:)` reads.
  public static let directRequest: [DBOperation] = [
    .mutate(
      table: "Open_vSwitch", where: [Condition("datapath_types", .notEqual, .empty)],
      mutations: [Mutation("next_cfg", .add, .scalar(.integer(1)))]),
    .select(table: "Open_vSwitch", where: [], columns: ["next_cfg", "datapath_types"]),
  ]

  /// The configuration to wait for, from the results of a transaction ending in `directRequest`;
  /// nil when no switch daemon ever served the database (nothing would acknowledge).
  public static func requested(in results: [OperationResult]) -> Int64? {
    guard let root = results.last?.rows?.first, let types = root["datapath_types"],
      let datapathTypes = try? Datum(json: types), !datapathTypes.isEmpty
    else { return nil }
    return root["next_cfg"]?.intValue
  }
}
