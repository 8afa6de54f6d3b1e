import OVSDB

extension SwitchPlanner {
  /// Makes port `name` (one interface of the same name, e.g. a VM's tap) exist on `bridge` with
  /// exactly `vlan`, and its Interface carry `interfaceExternalIDs` (other keys are kept). On a fake
  /// bridge it lands on the parent, and an untagged request gets the fake bridge's VLAN, as
  /// `ovs-vsctl add-port` does. Adds nothing when all is already so; returns what it changes.
  /// `state` must be `SwitchState(txn.snapshot)`; callers ensuring many ports build it once
  /// (reconcile after a failover may touch every VM port of the host).
  ///
  /// A port already in place adds no guard either: nothing is written for it, so nothing committed
  /// depends on what was read about it (a no-op reconcile of 500 VM ports built 1,500 waits it
  /// then threw away).
  public func ensurePort(
    _ name: String, bridge: String, vlan: VLANSettings, interfaceExternalIDs: [String: String],
    state: SwitchState, in txn: inout TransactionBuilder
  ) throws(ValidationError) -> [String] {
    guard let target = state.bridges[bridge] else { throw unknownBridge(bridge) }
    var wanted = vlan
    if let fakeVLAN = target.vlan, vlan == .untagged { wanted = VLANSettings(tag: try VLANID(fakeVLAN)) }
    if let port = state.ports[name], port.bridgeUUID == target.uuid, port.vlanSettings == wanted,
      Self.interfaces(of: port, named: name, carry: interfaceExternalIDs, in: state)
    {
      return []
    }
    guardNameRead(name, &txn)
    guardNameRead(bridge, &txn)
    var actions: [String] = []
    guard let port = state.ports[name] else {
      let tap = try InterfaceName(name, role: "port")
      let portName = insertPort(
        tap, interfaces: [InterfaceSpec(name: tap)], columns: wanted.columns,
        interfaceExternalIDs: interfaceExternalIDs,
        in: &txn)
      txn.add(
        .mutate(
          table: "Bridge", where: [.uuid(target.uuid)],
          mutations: [Mutation("ports", .insert, .set([.namedUUID(portName)]))]))
      return ["add port \(name) to \(bridge) (\(wanted.summary))"]
    }
    if port.bridgeUUID != target.uuid {
      txn.add(
        .mutate(
          table: "Bridge", where: [.uuid(port.bridgeUUID)],
          mutations: [Mutation("ports", .delete, .scalar(.uuid(port.uuid)))]))
      txn.add(
        .mutate(
          table: "Bridge", where: [.uuid(target.uuid)],
          mutations: [Mutation("ports", .insert, .scalar(.uuid(port.uuid)))]))
      actions.append("move port \(name) from \(port.bridge) to \(bridge)")
    }
    let current = port.vlanSettings
    if current != wanted {
      _ = txn.row("Port", port.uuid, columns: ["tag", "trunks", "vlan_mode"])
      txn.add(.update(table: "Port", where: [.uuid(port.uuid)], row: wanted.columns))
      actions.append("retag port \(name): \(current.summary) → \(wanted.summary)")
    }
    for uuid in port.interfaces {
      guard let interface = state.interfacesByUUID[uuid], interface.name == name else { continue }
      let merged = interface.externalIDs.merging(interfaceExternalIDs) { _, wanted in wanted }
      if merged != interface.externalIDs {
        _ = txn.row("Interface", uuid, columns: ["external_ids"])
        txn.add(.update(table: "Interface", where: [.uuid(uuid)], row: ["external_ids": .map(merged)]))
        actions.append("set external_ids of \(name)")
      }
    }
    return actions
  }

  /// Whether every interface of `port` named `name` already has each of `ids` (other keys may be there).
  private static func interfaces(
    of port: PortView, named name: String, carry ids: [String: String], in state: SwitchState
  ) -> Bool {
    port.interfaces.allSatisfy { uuid in
      guard let interface = state.interfacesByUUID[uuid], interface.name == name else { return true }
      return ids.allSatisfy { interface.externalIDs[$0.key] == $0.value }
    }
  }
}
