import OVSDB

/// Ports, bonds and tunnels of a converge: added, moved, corrected in place.
extension ConvergeRun {
  mutating func port(
    _ port: SwitchDesiredState.Port, bridge: BridgeView?, _ txn: inout TransactionBuilder, _ refs: inout [Atom]
  ) {
    let name = port.name.rawValue
    planner.guardNameRead(name, &txn)
    for interface in port.interfaces where interface.name != port.name {
      planner.guardNameRead(interface.name.rawValue, &txn)
    }
    guard let existing = state.ports[name] else {
      addPort(port, &txn, &refs)
      return
    }
    if existing.fakeBridge || state.bridges[name]?.isFake == false {
      refuse(
        .port(name), "port '\(name)'", "exists as a bridge", fix: "delete that bridge first or rename the port")
      return
    }
    let subject = "\(port.kind) \(name)"
    _ = txn.row("Port", existing.uuid, columns: ["tag", "trunks", "vlan_mode", "bond_mode", "lacp", "interfaces"])
    if existing.bridgeUUID != bridge?.uuid {
      planner.detach([existing.uuid], from: existing.bridgeUUID, in: &txn)
      refs.append(.uuid(existing.uuid))
      changes.append(SwitchChange(.change, subject, "move from \(existing.bridge) to \(port.bridge)"))
    }
    var row: [String: Datum] = [:]
    var details: [String] = []
    let current = existing.vlanSettings
    if current != port.vlan {
      row.merge(port.vlan.columns) { _, new in new }
      details.append("\(current.summary) → \(port.vlan.summary)")
    }
    if let mode = port.bondMode, existing.bondMode != mode {
      row["bond_mode"] = .scalar(.string(mode))
      details.append("bond_mode \(mode)")
    }
    if let lacp = port.lacp, existing.lacp != lacp {
      row["lacp"] = .scalar(.string(lacp))
      details.append("lacp \(lacp)")
    }
    if !row.isEmpty {
      txn.add(.update(table: "Port", where: [.uuid(existing.uuid)], row: row))
      changes.append(SwitchChange(.change, subject, details.joined(separator: ", ")))
    }
    interfaces(of: port, existing: existing, &txn)
  }

  /// Makes the port's Interface rows match: adds and removes bond members, corrects type, options
  /// and MTU in place.
  mutating func interfaces(
    of port: SwitchDesiredState.Port, existing: PortView, _ txn: inout TransactionBuilder
  ) {
    let present = existing.interfaces.compactMap { state.interfacesByUUID[$0] }
    var added: [Atom] = []
    for (i, interface) in port.interfaces.enumerated() {
      let name = interface.name.rawValue
      guard let view = present.first(where: { $0.name == name }) else {
        if state.interfaces[name] != nil {
          refuse(
            .port(port.name.rawValue), "interface '\(name)'", "belongs to another port",
            fix: "delete that port first or rename the interface in the spec")
          continue
        }
        added += planner.insertInterfaces([interface], of: port.name, first: i, in: &txn)
        changes.append(SwitchChange(.add, "interface \(name)", "in \(port.kind) \(port.name)"))
        continue
      }
      correct(view, as: interface, &txn)
    }
    let wanted = Set(port.interfaces.map(\.name.rawValue))
    let dropped = present.filter { !wanted.contains($0.name) }
    var mutations: [Mutation] = []
    if !added.isEmpty { mutations.append(Mutation("interfaces", .insert, .set(added))) }
    if !dropped.isEmpty {
      mutations.append(Mutation("interfaces", .delete, .set(dropped.map { .uuid($0.uuid) })))
      for view in dropped { changes.append(SwitchChange(.remove, "interface \(view.name)", "from \(port.name)")) }
    }
    if !mutations.isEmpty { txn.add(.mutate(table: "Port", where: [.uuid(existing.uuid)], mutations: mutations)) }
  }

  /// Corrects type, options and MTU of an existing interface.
  mutating func correct(_ view: InterfaceView, as interface: InterfaceSpec, _ txn: inout TransactionBuilder) {
    var row: [String: Datum] = [:]
    var details: [String] = []
    if view.type != interface.kind.rawValue && !(view.type == "system" && interface.kind == .system) {
      row["type"] = .scalar(.string(interface.kind.rawValue))
      details.append("type \(view.type.isEmpty ? "system" : view.type) → \(interface.kind.label)")
    }
    if view.options != interface.options {
      row["options"] = .map(interface.options)
      let options = interface.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
      details.append("options \(options.joined(separator: " "))")
    }
    if let mtu = interface.mtuRequest, view.mtuRequest != mtu {
      row["mtu_request"] = .scalar(.integer(Int64(mtu)))
      details.append("mtu_request \(mtu)")
    }
    guard !row.isEmpty else { return }
    _ = txn.row("Interface", view.uuid, columns: Array(row.keys).sorted())
    txn.add(.update(table: "Interface", where: [.uuid(view.uuid)], row: row))
    changes.append(SwitchChange(.change, "interface \(view.name)", details.joined(separator: ", ")))
  }

  mutating func addPort(_ port: SwitchDesiredState.Port, _ txn: inout TransactionBuilder, _ refs: inout [Atom]) {
    let name = port.name.rawValue
    guard nameIsFree(name, role: port.kind, origin: .port(name)) else { return }
    if let taken = port.interfaces.first(where: { state.interfaces[$0.name.rawValue] != nil }) {
      refuse(
        .port(name), "interface '\(taken.name)'", "already belongs to another port",
        fix: "delete that port first or rename it in the spec")
      return
    }
    var row = port.vlan.columns
    var ids = SwitchTables.ownerIDs
    if let peer = port.meshPeer { ids[SwitchTables.peerKey] = peer }
    row["external_ids"] = .map(ids)
    if let mode = port.bondMode { row["bond_mode"] = .scalar(.string(mode)) }
    if let lacp = port.lacp { row["lacp"] = .scalar(.string(lacp)) }
    let uuidName = planner.insertPort(port.name, interfaces: port.interfaces, columns: row, in: &txn)
    refs.append(.namedUUID(uuidName))
    changes.append(SwitchChange(.add, "\(port.kind) \(name)", port.addDetail))
  }
}
