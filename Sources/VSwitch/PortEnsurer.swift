import OVSDB

extension SwitchPlanner {
  /// Makes OVS hold exactly `plug` (see `TapPlug`): the port (one interface of the same name, e.g. a
  /// VM's tap) on its bridge with its VLAN columns, the interface's external_ids and policing, the
  /// port's external_ids and QoS. On a fake bridge the port lands on the parent, and an untagged
  /// request gets the fake bridge's VLAN, as `ovs-vsctl add-port` does. Adds nothing when all is
  /// already so; returns what it changes. `state` must be `SwitchState(txn.snapshot)`; callers
  /// ensuring many ports build it once (reconcile after a failover may touch every VM port).
  ///
  /// A port already in place adds no guard either: nothing is written for it, so nothing committed
  /// depends on what was read about it (a no-op reconcile of 500 VM ports built 1,500 waits it
  /// then threw away).
  public func ensurePort(_ plug: TapPlug, state: SwitchState, in txn: inout TransactionBuilder) throws(ValidationError)
    -> [String]
  {
    let name = plug.name
    guard let target = state.bridges[plug.bridge] else { throw unknownBridge(plug.bridge) }
    if plug.isHeld(in: state) { return [] }
    let wanted = plug.vlan(on: target)
    guardNameRead(name, &txn)
    guardNameRead(plug.bridge, &txn)
    guard let port = state.ports[name] else {
      let tap = try InterfaceName(name, role: "port")
      var columns = wanted.columns
      columns["external_ids"] = .map(plug.portExternalIDs.merging(SwitchTables.ownerIDs) { mine, _ in mine })
      var shaped = ""
      if case .linuxHTB(let shaping) = plug.shaping {
        columns["qos"] = .scalar(.namedUUID(insertHTB(shaping, for: tap.rawValue, in: &txn)))
        shaped = ", linux-htb QoS"
      }
      let portName = insertPort(
        tap, interfaces: [InterfaceSpec(name: tap)], columns: columns, interfaceExternalIDs: plug.interfaceExternalIDs,
        interfaceColumns: plug.policing.map(Self.columns) ?? [:], in: &txn)
      attach([.namedUUID(portName)], to: target.uuid, in: &txn)
      let policed = plug.policing.map { $0 == .off ? "" : ", policing \($0.rate) kbit/s" } ?? ""
      return ["add port \(name) to \(plug.bridge) (\(wanted.summary)\(policed)\(shaped))"]
    }
    var actions: [String] = []
    if port.bridgeUUID != target.uuid {
      move(port, to: target.uuid, in: &txn)
      actions.append("move port \(name) from \(port.bridge) to \(plug.bridge)")
    }
    var portRow: [String: Datum] = [:]
    let current = port.vlanSettings
    if current != wanted {
      portRow.merge(wanted.columns) { _, new in new }
      actions.append("retag port \(name): \(current.summary) → \(wanted.summary)")
    }
    let portIDs = port.externalIDs.merging(plug.portExternalIDs) { _, wanted in wanted }
    if portIDs != port.externalIDs {
      portRow["external_ids"] = .map(portIDs)
      actions.append("set external_ids of port \(name)")
    }
    actions += ensureShaping(plug.shaping, of: port, state: state, portRow: &portRow, in: &txn)
    if !portRow.isEmpty {
      _ = txn.row("Port", port.uuid, columns: ["tag", "trunks", "vlan_mode", "external_ids", "qos"])
      txn.add(.update(table: "Port", where: [.uuid(port.uuid)], row: portRow))
    }
    for uuid in port.interfaces {
      guard let interface = state.interfacesByUUID[uuid], interface.name == name else { continue }
      var row: [String: Datum] = [:]
      let merged = interface.externalIDs.merging(plug.interfaceExternalIDs) { _, wanted in wanted }
      if merged != interface.externalIDs {
        row["external_ids"] = .map(merged)
        actions.append("set external_ids of \(name)")
      }
      if let policing = plug.policing, !Self.interface(interface, isPoliced: policing) {
        row.merge(Self.columns(policing)) { _, new in new }
        actions.append(
          policing == .off
            ? "turn off ingress policing of \(name)"
            : "police \(name) at \(policing.rate) kbit/s, burst \(policing.burst) kbit")
      }
      if !row.isEmpty {
        _ = txn.row(
          "Interface", uuid, columns: ["external_ids", "ingress_policing_rate", "ingress_policing_burst"])
        txn.add(.update(table: "Interface", where: [.uuid(uuid)], row: row))
      }
    }
    return actions
  }

  /// The Interface columns of a policing.
  static func columns(_ policing: TapPlug.Policing) -> [String: Datum] {
    [
      "ingress_policing_rate": .scalar(.integer(policing.rate)),
      "ingress_policing_burst": .scalar(.integer(policing.burst)),
    ]
  }

  static func interface(_ interface: InterfaceView, isPoliced policing: TapPlug.Policing) -> Bool {
    Int64(interface.ingressPolicingRate) == policing.rate && Int64(interface.ingressPolicingBurst) == policing.burst
  }

  /// Whether every interface of `port` named like it already has the plug's external_ids (other keys
  /// may be there) and policing.
  static func interfaces(of port: PortView, hold plug: TapPlug, in state: SwitchState) -> Bool {
    port.interfaces.allSatisfy { uuid in
      guard let interface = state.interfacesByUUID[uuid], interface.name == plug.name else { return true }
      return plug.interfaceExternalIDs.allSatisfy { interface.externalIDs[$0.key] == $0.value }
        && (plug.policing.map { Self.interface(interface, isPoliced: $0) } ?? true)
    }
  }
}
