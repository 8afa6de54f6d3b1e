import OVSDB

/// The one-shot commands as `DirectChange`s: what each presumes of the switch when it succeeds the
/// ordinary way, as guards, and the rows `SwitchPlanner` would write then. Each returns nil when its
/// outcome depends on rows it cannot name without reading them (the caller then plans from a full
/// read); none ever throws: refusing is `SwitchPlanner`'s job, on the full path.
extension SwitchPlanner {
  /// `addPort` on a real bridge with the port's and interfaces' names free. Nil for a request the
  /// planner would refuse on its face (its message comes from the full path).
  public func directAddPort(
    _ name: InterfaceName, bridge: String, vlan: VLANSettings = .untagged, interfaces: [InterfaceSpec],
    portColumns: [String: Datum] = [:], externalIDs: [String: String] = [:]
  ) -> DirectChange? {
    let names = interfaces.map(\.name.rawValue)
    guard (try? vlan.validate(port: name.rawValue)) != nil, Set(names).count == names.count else { return nil }
    var guards = Presume.realBridge(bridge)
    guards.append(Presume.absent("Port", [.equals("name", .string(name.rawValue))]))
    // The port's own name is checked among interfaces too (a bond's members are named otherwise).
    for free in [name.rawValue] + names.filter({ $0 != name.rawValue }) {
      guards.append(Presume.absent("Interface", [.equals("name", .string(free))]))
    }
    var txn = TransactionBuilder(snapshot: .empty)
    let port = insertPort(
      name, interfaces: interfaces, columns: Self.portRow(vlan, columns: portColumns, externalIDs: externalIDs),
      in: &txn)
    txn.add(
      .mutate(
        table: "Bridge", where: [.equals("name", .string(bridge))],
        mutations: [Mutation("ports", .insert, .set([.namedUUID(port)]))]))
    return DirectChange(guards: guards, writes: txn.operations)
  }

  /// `addBridge` of a new real bridge: the name free everywhere and a root row to hang it on.
  public func directAddBridge(
    _ name: InterfaceName, datapathType: String? = nil, externalIDs: [String: String] = [:],
    otherConfig: [String: String] = [:]
  ) -> DirectChange {
    var guards = Presume.nameFree(name.rawValue)
    guards.append(Presume.present("Open_vSwitch", []))
    var row: [String: Datum] = [:]
    if !otherConfig.isEmpty { row["other_config"] = .map(otherConfig) }
    if let datapathType { row["datapath_type"] = .scalar(.string(datapathType)) }
    var txn = TransactionBuilder(snapshot: .empty)
    let bridge = insertBridge(name, columns: row, externalIDs: externalIDs, in: &txn)
    // The schema allows one Open_vSwitch row (maxRows 1): the root, named without its UUID.
    txn.add(
      .mutate(table: "Open_vSwitch", where: [], mutations: [Mutation("bridges", .insert, .set([.namedUUID(bridge)]))]))
    return DirectChange(guards: guards, writes: txn.operations)
  }

  /// `addFakeBridge` on a real parent, the name free and no fake bridge anywhere with that VLAN
  /// (stricter than the rule, which is per parent: another parent's sends it down the full path).
  public func directAddFakeBridge(_ name: InterfaceName, parent: String, vlan: VLANID) -> DirectChange {
    var guards = Presume.realBridge(parent) + Presume.nameFree(name.rawValue)
    guards.append(
      Presume.absent(
        "Port", [.equals("fake_bridge", .boolean(true)), .equals("tag", .integer(Int64(vlan.value)))]))
    var txn = TransactionBuilder(snapshot: .empty)
    let port = insertFakeBridgePort(name, vlan: vlan, in: &txn)
    txn.add(
      .mutate(
        table: "Bridge", where: [.equals("name", .string(parent))],
        mutations: [Mutation("ports", .insert, .set([.namedUUID(port)]))]))
    return DirectChange(guards: guards, writes: txn.operations)
  }

  /// `setPortVLAN` of a port that exists and carries other VLAN settings (the same ones are a
  /// no-op, which the full path reports as such).
  public func directSetPortVLAN(_ name: String, _ vlan: VLANSettings) -> DirectChange? {
    guard (try? vlan.validate(port: name)) != nil else { return nil }
    let byName: [Condition] = [.equals("name", .string(name))]
    let columns = vlan.columns
    let keys = columns.keys.sorted()
    return DirectChange(
      guards: [
        Presume.present("Port", byName),
        .wait(table: "Port", where: byName, columns: keys, until: .notEqual, rows: [columns], timeout: 0),
      ],
      writes: [.update(table: "Port", where: byName, row: columns)])
  }
}
