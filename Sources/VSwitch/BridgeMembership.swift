import OVSDB

/// The one way a port joins or leaves a bridge, and a bridge the switch: a mutation of
/// Bridge.ports or Open_vSwitch.bridges. Rows nothing refers to any more (a detached Port, its
/// Interfaces, a removed Bridge) are garbage-collected by the server.
extension SwitchPlanner {
  /// Puts `ports` (new rows by uuid-name, or existing ones by UUID) on the Bridge row `bridge`.
  public func attach(_ ports: [Atom], to bridge: RowUUID, in txn: inout TransactionBuilder) {
    guard !ports.isEmpty else { return }
    txn.add(.mutate(table: "Bridge", where: [.uuid(bridge)], mutations: [Mutation("ports", .insert, .set(ports))]))
  }

  /// Takes `ports` off the Bridge row `bridge`.
  public func detach(_ ports: [RowUUID], from bridge: RowUUID, in txn: inout TransactionBuilder) {
    guard !ports.isEmpty else { return }
    txn.add(
      .mutate(
        table: "Bridge", where: [.uuid(bridge)], mutations: [Mutation("ports", .delete, .set(ports.map { .uuid($0) }))]
      ))
  }

  /// Moves the existing port `port` from the Bridge row it is on to `bridge`.
  public func move(_ port: PortView, to bridge: RowUUID, in txn: inout TransactionBuilder) {
    detach([port.uuid], from: port.bridgeUUID, in: &txn)
    attach([.uuid(port.uuid)], to: bridge, in: &txn)
  }

  /// Adds new bridges (by uuid-name) to the root row's bridges.
  func attachBridges(_ bridges: [Atom], root: RowUUID, in txn: inout TransactionBuilder) {
    guard !bridges.isEmpty else { return }
    txn.add(
      .mutate(table: "Open_vSwitch", where: [.uuid(root)], mutations: [Mutation("bridges", .insert, .set(bridges))]))
  }

  /// Removes a real bridge from the switch, with its ports and fake bridges.
  func detachBridge(_ bridge: RowUUID, root: RowUUID, in txn: inout TransactionBuilder) {
    txn.add(
      .mutate(
        table: "Open_vSwitch", where: [.uuid(root)], mutations: [Mutation("bridges", .delete, .scalar(.uuid(bridge)))]
      ))
  }

  /// A new Bridge row holding its own internal port and `ports`, marked as ovsvirt's (plus
  /// `externalIDs`), with the other `columns`; returns its uuid-name, for the root row.
  public func insertBridge(
    _ name: InterfaceName, columns: [String: Datum] = [:], externalIDs: [String: String] = [:], ports: [Atom] = [],
    in txn: inout TransactionBuilder
  ) -> String {
    let own = addInternalPort(name, portColumns: [:], in: &txn)
    var row = columns
    row["name"] = .scalar(.string(name.rawValue))
    row["ports"] = .set([.namedUUID(own)] + ports)
    row["external_ids"] = .map(externalIDs.merging(SwitchTables.ownerIDs) { mine, _ in mine })
    let uuidName = "br_\(name.rawValue.identifierSafe)"
    txn.add(.insert(table: "Bridge", row: row, uuidName: uuidName))
    return uuidName
  }
}
