import OVSDB

extension SwitchPlanner {
  /// Makes the switch hold `desired`: creates what is missing, corrects what differs (VLANs, bridge
  /// membership, interface type/options/MTU, bond settings, RSTP, datapath type), removes mesh
  /// tunnels whose host left and, with `desired.prune`, the ovsvirt-owned objects it no longer
  /// names. Objects ovsvirt did not create are adopted as they are and never removed; nor is a VM
  /// port, or a bridge or fake bridge that holds one or a port ovsvirt did not create.
  ///
  /// `state` must be `SwitchState(txn.snapshot)`. The operations are added to `txn` whatever the
  /// problems: a caller must not commit them while there are any.
  public func converge(_ desired: SwitchDesiredState, state: SwitchState, in txn: inout TransactionBuilder) -> (
    changes: [SwitchChange], problems: [SwitchConvergence.Problem]
  ) {
    var run = ConvergeRun(desired: desired, state: state, planner: self)
    run.plan(&txn)
    return (run.changes, run.problems)
  }
}

/// One converge pass; collects changes and problems.
struct ConvergeRun {
  typealias Origin = SwitchConvergence.Problem.Origin
  let desired: SwitchDesiredState
  let state: SwitchState
  let planner: SwitchPlanner
  var changes: [SwitchChange] = []
  var problems: [SwitchConvergence.Problem] = []

  mutating func refuse(_ origin: Origin, _ subject: String, _ problem: String, fix: String) {
    problems.append(.init(origin, ValidationError(subject: subject, problem: problem, fix: fix)))
  }

  mutating func plan(_ txn: inout TransactionBuilder) {
    var newBridges: [Atom] = []
    for bridge in desired.bridges { bridgeRow(bridge, &txn, newBridges: &newBridges) }
    guard let root = state.root else {
      // A database just created (as `ovs-vsctl init` would leave it, minus the row): ovs-vswitchd
      // reads everything from this row, so it comes first.
      _ = txn.allRows("Open_vSwitch")
      var row: [String: Datum] = ["bridges": .set(newBridges)]
      let marks = desired.rootMarks.compactMap { mark in mark.value.map { (mark.key, $0) } }
      if !marks.isEmpty { row["external_ids"] = .map(Dictionary(marks) { _, last in last }) }
      if let ssl = desired.ssl {
        txn.add(.insert(table: "SSL", row: ssl.row, uuidName: "ssl"))
        row["ssl"] = .scalar(.namedUUID("ssl"))
        changes.append(SwitchChange(.change, "Open_vSwitch", ssl.detail))
      }
      txn.add(.insert(table: "Open_vSwitch", row: row, uuidName: "root"))
      changes.insert(SwitchChange(.add, "Open_vSwitch root row", "the database was empty"), at: 0)
      return
    }
    markRoot(root, &txn)
    setSSL(root, &txn)
    planner.attachBridges(newBridges, root: root, in: &txn)
    removeDeparted(&txn)
    if desired.prune { pruneOwned(root: root, &txn) }
  }

  /// Sets (or removes) the desired entries of the root row's external_ids, in one update.
  mutating func markRoot(_ root: RowUUID, _ txn: inout TransactionBuilder) {
    let current = state.rootExternalIDs
    let due = desired.rootMarks.filter { current[$0.key] != $0.value }
    guard !due.isEmpty else { return }
    // The whole map, guarded by the read: other keys stay as they are.
    var ids = txn.row("Open_vSwitch", root, columns: ["external_ids"])?["external_ids"]?.stringMap ?? [:]
    for mark in due {
      ids[mark.key] = mark.value
      changes.append(SwitchChange(.change, "Open_vSwitch", mark.detail))
    }
    txn.add(.update(table: "Open_vSwitch", where: [.uuid(root)], row: ["external_ids": .map(ids)]))
  }

  /// Points the root row at the desired SSL settings: the SSL row it names is updated, or one is
  /// made. Guarded by what was read, like every other change.
  mutating func setSSL(_ root: RowUUID, _ txn: inout TransactionBuilder) {
    guard let wanted = desired.ssl else { return }
    let current = SwitchSSL.current(in: state.snapshot)
    guard current?.ssl != wanted else { return }
    changes.append(SwitchChange(.change, "Open_vSwitch", wanted.detail))
    if let current, current.ssl != nil {
      _ = txn.row("SSL", current.uuid, columns: SwitchSSL.columns)
      txn.add(.update(table: "SSL", where: [.uuid(current.uuid)], row: wanted.row))
    } else {
      _ = txn.row("Open_vSwitch", root, columns: ["ssl"])
      txn.add(.insert(table: "SSL", row: wanted.row, uuidName: "ssl"))
      txn.add(.update(table: "Open_vSwitch", where: [.uuid(root)], row: ["ssl": .scalar(.namedUUID("ssl"))]))
    }
  }

  // MARK: bridges

  /// Plans one real bridge with its fake bridges and ports.
  mutating func bridgeRow(
    _ bridge: SwitchDesiredState.Bridge, _ txn: inout TransactionBuilder, newBridges: inout [Atom]
  ) {
    let name = bridge.name.rawValue
    planner.guardNameRead(name, &txn)
    let existing = state.bridges[name]
    if let existing, existing.isFake {
      refuse(
        .bridge(name), "bridge '\(name)'", "exists as \(existing.role)",
        fix: "delete it first (ovsvirt bridge del \(name)) or rename the bridge in the spec")
      return
    }
    var portRefs: [Atom] = []
    for fake in desired.fakeBridges where fake.parent == name {
      fakeBridge(fake, &txn, &portRefs)
    }
    for port in desired.ports where desired.realBridge(of: port.bridge) == name {
      self.port(port, bridge: existing, &txn, &portRefs)
    }
    if let existing {
      correct(existing, as: bridge, &txn)
      planner.attach(portRefs, to: existing.uuid, in: &txn)
      return
    }
    guard nameIsFree(name, role: "bridge", origin: .bridge(name)) else { return }
    var row: [String: Datum] = [:]
    var details: [String] = []
    if let datapath = bridge.datapathType {
      row["datapath_type"] = .scalar(.string(datapath))
      details.append("datapath_type \(datapath)")
    }
    if bridge.rstp == true {
      row["rstp_enable"] = .scalar(.boolean(true))
      details.append("RSTP")
    }
    if let priority = bridge.rstpPriority {
      row["other_config"] = .map(["rstp-priority": "\(priority)"])
      details.append("priority \(priority)")
    }
    let uuidName = planner.insertBridge(
      bridge.name, columns: row, externalIDs: bridge.meshRSTP ? [SwitchTables.meshRSTPKey: "true"] : [:],
      ports: portRefs, in: &txn)
    newBridges.append(.namedUUID(uuidName))
    changes.insert(SwitchChange(.add, "bridge \(name)", details.joined(separator: ", ")), at: 0)
  }

  /// Corrects datapath type and RSTP settings of an existing bridge.
  mutating func correct(_ existing: BridgeView, as bridge: SwitchDesiredState.Bridge, _ txn: inout TransactionBuilder) {
    var row: [String: Datum] = [:]
    var details: [String] = []
    if let wanted = bridge.datapathType, (existing.datapathType.isEmpty ? "system" : existing.datapathType) != wanted {
      row["datapath_type"] = .scalar(.string(wanted))
      details.append("datapath_type \(existing.datapathType) → \(wanted)")
    }
    if let rstp = bridge.rstp, existing.rstpEnabled != rstp {
      row["rstp_enable"] = .scalar(.boolean(rstp))
      details.append(rstp ? "enable RSTP" : "disable RSTP")
    }
    if let priority = bridge.rstpPriority, existing.otherConfig["rstp-priority"] != "\(priority)" {
      var config = existing.otherConfig
      config["rstp-priority"] = "\(priority)"
      row["other_config"] = .map(config)
      details.append("RSTP priority \(priority)")
    }
    let marked = SwitchDesiredState.hasMeshRSTP(existing)
    if bridge.meshRSTP, !marked {
      var ids = existing.externalIDs
      ids[SwitchTables.meshRSTPKey] = "true"
      row["external_ids"] = .map(ids)
      details.append("RSTP marked as the tunnel mesh's")
    } else if bridge.rstp == nil, marked {
      // The mesh ovsvirt turned RSTP on for is gone from the spec: so is the RSTP, and its priority.
      var ids = existing.externalIDs
      ids[SwitchTables.meshRSTPKey] = nil
      row["external_ids"] = .map(ids)
      if SwitchDesiredState.dropsMeshRSTP(existing, as: bridge) {
        row["rstp_enable"] = .scalar(.boolean(false))
        details.append("disable RSTP (the tunnel mesh that needed it is gone)")
      }
      if existing.otherConfig["rstp-priority"] != nil {
        var config = existing.otherConfig
        config["rstp-priority"] = nil
        row["other_config"] = .map(config)
      }
    }
    guard !row.isEmpty else { return }
    _ = txn.row("Bridge", existing.uuid, columns: Array(row.keys).sorted())
    txn.add(.update(table: "Bridge", where: [.uuid(existing.uuid)], row: row))
    changes.append(SwitchChange(.change, "bridge \(existing.name)", details.joined(separator: ", ")))
  }

  mutating func fakeBridge(
    _ fake: SwitchDesiredState.FakeBridge, _ txn: inout TransactionBuilder, _ refs: inout [Atom]
  ) {
    let name = fake.name.rawValue
    planner.guardNameRead(name, &txn)
    switch state.fakeBridge(name, parent: fake.parent, vlan: fake.vlan) {
    case .present:
      return
    case .differs(let now):
      refuse(
        .fakeBridge(name), "bridge '\(name)'", "exists as \(now), not on \(fake.parent) VLAN \(fake.vlan)",
        fix: "delete it first (ovsvirt bridge del \(name)), then apply again")
      return
    case .vlanTaken(let other):
      refuse(
        .fakeBridge(name), "bridge '\(name)'",
        "'\(other)' is already the fake bridge for VLAN \(fake.vlan) on \(fake.parent)",
        fix: "name it '\(other)' in the spec, or delete '\(other)'")
      return
    case .absent:
      break
    }
    guard nameIsFree(name, role: "bridge", origin: .fakeBridge(name)) else { return }
    refs.append(.namedUUID(planner.insertFakeBridgePort(fake.name, vlan: fake.vlan, in: &txn)))
    changes.append(SwitchChange(.add, "fake bridge \(name)", "on \(fake.parent) VLAN \(fake.vlan)"))
  }

  mutating func nameIsFree(_ name: String, role: String, origin: Origin) -> Bool {
    do {
      try planner.requireFreeName(name, state: state, role: role)
      return true
    } catch {
      refuse(origin, error.subject, error.problem, fix: "\(error.fix), or rename it in the spec")
      return false
    }
  }
}
