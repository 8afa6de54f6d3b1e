import OVSDB
import VSwitch

/// Plans the OVS half of a spec as operations on one guarded transaction: creates what is missing,
/// corrects what differs (VLANs, bridge membership, interface type/options/MTU, bond settings,
/// RSTP, datapath type), removes mesh tunnels to hosts that left the cluster, and with `prune` the
/// ovsvirt-owned objects the spec no longer names. Objects it did not create are adopted as they
/// are and never pruned; VM ports are never pruned, and neither is a bridge or fake bridge that
/// holds a port ovsvirt did not create or a VM port.
public struct SwitchConverger: Sendable {
  public var prune: PruneScope
  /// libvirt networks to keep on record although the spec no longer names them (prune refused).
  public var keptNetworks: Set<String>

  public init(prune: PruneScope = .off, keptNetworks: Set<String> = []) {
    self.prune = prune
    self.keptNetworks = keptNetworks
  }

  /// Open_vSwitch external_ids key listing the libvirt networks `apply` defined, comma-separated:
  /// libvirt 9.0 networks have no metadata element to mark them, and prune must know what is ours.
  public static let networksKey = "ovsvirt-networks"

  /// The libvirt networks earlier applies defined on this host.
  public static func recordedNetworks(in snapshot: ReplicaSnapshot) -> Set<String> {
    // The root row the way SwitchState picks it, without indexing the whole switch.
    let roots = snapshot.rows("Open_vSwitch")
    guard let root = roots.keys.min(), let list = roots[root]?["external_ids"]?.stringMap[networksKey] else {
      return []
    }
    return Set(list.split(separator: ",").map(String.init))
  }

  /// The external_ids key naming the cluster host at the other end of a mesh tunnel.
  public static let peerKey = "ovsvirt-peer"

  /// `prepared`: the switch view, already built from the replica (watch builds one per wake-up for
  /// this and reconcile); used only while the transaction's snapshot is the one it was built from.
  public func plan(
    _ spec: HostSpec, prepared: SwitchState? = nil, in txn: inout TransactionBuilder
  ) throws(SpecError) -> [PlannedChange] {
    // Checked here too, so no caller can prune every bridge with a spec that names none.
    try prune.check(spec)
    let state = SwitchState(txn.snapshot, prepared: prepared)
    var run = Run(spec: spec, state: state, prune: prune, keptNetworks: keptNetworks)
    run.plan(&txn)
    guard run.problems.isEmpty else { throw SpecError(run.problems) }
    return run.changes
  }
}

/// One planning pass; collects changes and problems.
private struct Run {
  let spec: HostSpec
  let state: SwitchState
  let prune: Bool
  let keptNetworks: Set<String>
  let planner = SwitchPlanner()
  var changes: [PlannedChange] = []
  var problems: [SpecProblem] = []

  init(spec: HostSpec, state: SwitchState, prune: PruneScope, keptNetworks: Set<String>) {
    self.spec = spec
    self.state = state
    self.prune = prune.isOn
    self.keptNetworks = keptNetworks
  }

  mutating func refuse(_ location: SpecLocation, _ subject: String, _ problem: String, fix: String) {
    problems.append(SpecProblem(location: location, path: subject, problem: problem, fix: fix))
  }

  mutating func plan(_ txn: inout TransactionBuilder) {
    var newBridges: [Atom] = []
    for bridge in spec.bridges { bridgeRow(bridge, &txn, newBridges: &newBridges) }
    guard let root = state.root else {
      // A database just created (as `ovs-vsctl init` would leave it, minus the row): ovs-vswitchd
      // reads everything from this row, so it comes first.
      _ = txn.allRows("Open_vSwitch")
      var row: [String: Datum] = ["bridges": .set(newBridges)]
      let networks = spec.networks.map(\.definition.name).sorted()
      if !networks.isEmpty {
        row["external_ids"] = .map([SwitchConverger.networksKey: networks.joined(separator: ",")])
      }
      txn.add(.insert(table: "Open_vSwitch", row: row, uuidName: "root"))
      changes.insert(PlannedChange(.add, "Open_vSwitch root row", "the database was empty"), at: 0)
      return
    }
    recordNetworks(root: root, &txn)
    if !newBridges.isEmpty {
      txn.add(
        .mutate(
          table: "Open_vSwitch", where: [.uuid(root)], mutations: [Mutation("bridges", .insert, .set(newBridges))]))
    }
    removeDeparted(&txn)
    if prune { pruneOwned(root: root, &txn) }
  }

  /// Keeps the list of libvirt networks apply defined: spec networks are added; with --prune the
  /// ones the spec dropped leave it (unless their removal was refused).
  mutating func recordNetworks(root: RowUUID, _ txn: inout TransactionBuilder) {
    let recorded = SwitchConverger.recordedNetworks(in: txn.snapshot)
    let named = Set(spec.networks.map(\.definition.name))
    let wanted = prune ? named.union(keptNetworks.intersection(recorded)) : recorded.union(named)
    guard wanted != recorded else { return }
    // The whole map, guarded by the read: other keys (system-id, …) stay as they are.
    var ids = txn.row("Open_vSwitch", root, columns: ["external_ids"])?["external_ids"]?.stringMap ?? [:]
    ids[SwitchConverger.networksKey] = wanted.isEmpty ? nil : wanted.sorted().joined(separator: ",")
    txn.add(.update(table: "Open_vSwitch", where: [.uuid(root)], row: ["external_ids": .map(ids)]))
    changes.append(
      PlannedChange(
        .change, "Open_vSwitch", "libvirt networks defined by ovsvirt: \(wanted.sorted().joined(separator: ", "))"))
  }

  // MARK: bridges

  /// Plans one real bridge with its fake bridges and ports.
  mutating func bridgeRow(_ bridge: HostSpec.Bridge, _ txn: inout TransactionBuilder, newBridges: inout [Atom]) {
    let name = bridge.name.rawValue
    planner.guardNameRead(name, &txn)
    let existing = state.bridges[name]
    if let existing, existing.isFake {
      refuse(
        bridge.location, "bridge '\(name)'",
        "exists as a fake bridge on \(existing.parent ?? "?") VLAN \(existing.vlan ?? 0)",
        fix: "delete it first (ovsvirt bridge del \(name)) or rename the bridge in the spec")
      return
    }
    var portRefs: [Atom] = []
    for fake in spec.fakeBridges where fake.parent == name { fakeBridge(fake, parent: existing, &txn, &portRefs) }
    for port in spec.ports where spec.realBridge(of: port.bridge) == name {
      self.port(port, bridge: existing, &txn, &portRefs)
    }
    if let existing {
      var row: [String: Datum] = [:]
      var details: [String] = []
      if let wanted = bridge.datapathType, (existing.datapathType.isEmpty ? "system" : existing.datapathType) != wanted
      {
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
      if !row.isEmpty {
        _ = txn.row("Bridge", existing.uuid, columns: Array(row.keys).sorted())
        txn.add(.update(table: "Bridge", where: [.uuid(existing.uuid)], row: row))
        changes.append(PlannedChange(.change, "bridge \(name)", details.joined(separator: ", ")))
      }
      if !portRefs.isEmpty {
        txn.add(
          .mutate(
            table: "Bridge", where: [.uuid(existing.uuid)], mutations: [Mutation("ports", .insert, .set(portRefs))]))
      }
      return
    }
    guard nameIsFree(name, role: "bridge", at: bridge.location) else { return }
    let own = planner.addInternalPort(bridge.name, portColumns: [:], in: &txn)
    var row: [String: Datum] = [
      "name": .scalar(.string(name)), "ports": .set([.namedUUID(own)] + portRefs),
      "external_ids": .map(SwitchTables.ownerIDs),
    ]
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
    let uuidName = "br_\(name.identifierSafe)"
    txn.add(.insert(table: "Bridge", row: row, uuidName: uuidName))
    newBridges.append(.namedUUID(uuidName))
    changes.insert(PlannedChange(.add, "bridge \(name)", details.joined(separator: ", ")), at: 0)
  }

  mutating func fakeBridge(
    _ fake: HostSpec.FakeBridge, parent: BridgeView?, _ txn: inout TransactionBuilder, _ refs: inout [Atom]
  ) {
    let name = fake.name.rawValue
    planner.guardNameRead(name, &txn)
    if let existing = state.bridges[name] {
      if existing.parent != fake.parent || existing.vlan != fake.vlan.value {
        let now = existing.parent.map { "a fake bridge on \($0) VLAN \(existing.vlan ?? 0)" } ?? "a real bridge"
        refuse(
          fake.location, "bridge '\(name)'", "exists as \(now), not on \(fake.parent) VLAN \(fake.vlan)",
          fix: "delete it first (ovsvirt bridge del \(name)), then apply again")
      }
      return
    }
    if let parent,
      let other = state.bridges.values.first(where: { $0.parent == parent.name && $0.vlan == fake.vlan.value })
    {
      refuse(
        fake.location, "bridge '\(name)'",
        "'\(other.name)' is already the fake bridge for VLAN \(fake.vlan) on \(parent.name)",
        fix: "name it '\(other.name)' in the spec, or delete '\(other.name)'")
      return
    }
    guard nameIsFree(name, role: "bridge", at: fake.location) else { return }
    let port = planner.addInternalPort(
      fake.name, portColumns: ["fake_bridge": true, "tag": .scalar(.integer(Int64(fake.vlan.value)))], in: &txn)
    refs.append(.namedUUID(port))
    changes.append(PlannedChange(.add, "fake bridge \(name)", "on \(fake.parent) VLAN \(fake.vlan)"))
  }

  mutating func nameIsFree(_ name: String, role: String, at location: SpecLocation) -> Bool {
    do {
      try planner.requireFreeName(name, state: state, role: role)
      return true
    } catch {
      refuse(location, error.subject, error.problem, fix: "\(error.fix), or rename it in the spec")
      return false
    }
  }

  // MARK: ports

  mutating func port(_ port: HostSpec.Port, bridge: BridgeView?, _ txn: inout TransactionBuilder, _ refs: inout [Atom])
  {
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
        port.location, "port '\(name)'", "exists as a bridge", fix: "delete that bridge first or rename the port")
      return
    }
    let subject = "\(port.kind) \(name)"
    _ = txn.row("Port", existing.uuid, columns: ["tag", "trunks", "vlan_mode", "bond_mode", "lacp", "interfaces"])
    if existing.bridgeUUID != bridge?.uuid {
      txn.add(
        .mutate(
          table: "Bridge", where: [.uuid(existing.bridgeUUID)],
          mutations: [Mutation("ports", .delete, .scalar(.uuid(existing.uuid)))]))
      refs.append(.uuid(existing.uuid))
      changes.append(PlannedChange(.change, subject, "move from \(existing.bridge) to \(port.bridge)"))
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
      changes.append(PlannedChange(.change, subject, details.joined(separator: ", ")))
    }
    interfaces(of: port, existing: existing, &txn)
  }

  /// Makes the port's Interface rows match the spec: adds and removes bond members, corrects type,
  /// options and MTU in place.
  mutating func interfaces(of port: HostSpec.Port, existing: PortView, _ txn: inout TransactionBuilder) {
    let present = existing.interfaces.compactMap { state.interfacesByUUID[$0] }
    var added: [Atom] = []
    for (i, interface) in port.interfaces.enumerated() {
      let name = interface.name.rawValue
      guard let view = present.first(where: { $0.name == name }) else {
        if state.interfaces[name] != nil {
          refuse(
            port.location, "interface '\(name)'", "belongs to another port",
            fix: "delete that port first or rename the interface in the spec")
          continue
        }
        added += planner.insertInterfaces([interface], of: port.name, first: i, in: &txn)
        changes.append(PlannedChange(.add, "interface \(name)", "in \(port.kind) \(port.name)"))
        continue
      }
      var row: [String: Datum] = [:]
      var details: [String] = []
      if view.type != interface.kind.rawValue && !(view.type == "system" && interface.kind == .system) {
        row["type"] = .scalar(.string(interface.kind.rawValue))
        details.append("type \(view.type.isEmpty ? "system" : view.type) → \(interface.kind.label)")
      }
      if view.options != interface.options {
        row["options"] = .map(interface.options)
        details.append(
          "options \(interface.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
        )
      }
      if let mtu = interface.mtuRequest, view.mtuRequest != mtu {
        row["mtu_request"] = .scalar(.integer(Int64(mtu)))
        details.append("mtu_request \(mtu)")
      }
      if !row.isEmpty {
        _ = txn.row("Interface", view.uuid, columns: Array(row.keys).sorted())
        txn.add(.update(table: "Interface", where: [.uuid(view.uuid)], row: row))
        changes.append(PlannedChange(.change, "interface \(name)", details.joined(separator: ", ")))
      }
    }
    let wanted = Set(port.interfaces.map(\.name.rawValue))
    let dropped = present.filter { !wanted.contains($0.name) }
    var mutations: [Mutation] = []
    if !added.isEmpty { mutations.append(Mutation("interfaces", .insert, .set(added))) }
    if !dropped.isEmpty {
      mutations.append(Mutation("interfaces", .delete, .set(dropped.map { .uuid($0.uuid) })))
      for view in dropped { changes.append(PlannedChange(.remove, "interface \(view.name)", "from \(port.name)")) }
    }
    if !mutations.isEmpty { txn.add(.mutate(table: "Port", where: [.uuid(existing.uuid)], mutations: mutations)) }
  }

  mutating func addPort(_ port: HostSpec.Port, _ txn: inout TransactionBuilder, _ refs: inout [Atom]) {
    let name = port.name.rawValue
    guard nameIsFree(name, role: port.kind, at: port.location) else { return }
    if let taken = port.interfaces.first(where: { state.interfaces[$0.name.rawValue] != nil }) {
      refuse(
        port.location, "interface '\(taken.name)'", "already belongs to another port",
        fix: "delete that port first or rename it in the spec")
      return
    }
    var row = port.vlan.columns
    var ids = SwitchTables.ownerIDs
    if let peer = port.meshPeer { ids[SwitchConverger.peerKey] = peer }
    row["external_ids"] = .map(ids)
    if let mode = port.bondMode { row["bond_mode"] = .scalar(.string(mode)) }
    if let lacp = port.lacp { row["lacp"] = .scalar(.string(lacp)) }
    let uuidName = planner.insertPort(port.name, interfaces: port.interfaces, columns: row, in: &txn)
    refs.append(.namedUUID(uuidName))
    changes.append(PlannedChange(.add, "\(port.kind) \(name)", port.addDetail))
  }

  // MARK: removal

  /// Mesh tunnels (marked with the peer) that the spec no longer derives: their host left.
  mutating func removeDeparted(_ txn: inout TransactionBuilder) {
    let declared = spec.declaredNames
    for port in state.ports.values.sorted(by: { $0.name < $1.name }) {
      guard let peer = port.externalIDs[SwitchConverger.peerKey], !declared.contains(port.name) else { continue }
      remove(port, &txn)
      changes.append(
        PlannedChange(
          .remove, "tunnel \(port.name)",
          "no longer a peer of this host (\(peer) left the cluster, or the topology changed)"))
    }
  }

  /// With --prune: ovsvirt-owned bridges, fake bridges and ports the spec no longer names, each
  /// listed, the ports that go with a bridge too. A bridge or fake bridge that holds a VM port or a
  /// port ovsvirt did not create is refused, not removed: deleting it would take that port along.
  mutating func pruneOwned(root: RowUUID, _ txn: inout TransactionBuilder) {
    let declared = spec.declaredNames
    var doomedBridges: Set<RowUUID> = []
    for bridge in state.bridges.values.sorted(by: { $0.name < $1.name }) where !bridge.isFake {
      guard isOwned(bridge.externalIDs), !declared.contains(bridge.name) else { continue }
      // Its own internal port goes with it; ports the spec names are moved where it says.
      let held = state.ports.values.filter {
        $0.bridgeUUID == bridge.uuid && $0.name != bridge.name && !declared.contains($0.name)
      }.sorted { $0.name < $1.name }
      guard !refuseRemoval(of: "bridge '\(bridge.name)'", holding: held) else { continue }
      _ = txn.row("Bridge", bridge.uuid, columns: ["ports"])
      txn.add(
        .mutate(
          table: "Open_vSwitch", where: [.uuid(root)],
          mutations: [Mutation("bridges", .delete, .scalar(.uuid(bridge.uuid)))]))
      doomedBridges.insert(bridge.uuid)
      changes.append(PlannedChange(.remove, "bridge \(bridge.name)", "ovsvirt-owned, not in the spec"))
      // Mesh tunnels to departed hosts are already listed by removeDeparted.
      for port in held where port.externalIDs[SwitchConverger.peerKey] == nil {
        changes.append(PlannedChange(.remove, "\(kind(of: port)) \(port.name)", "with bridge \(bridge.name)"))
      }
    }
    for port in state.ports.values.sorted(by: { $0.name < $1.name }) {
      guard isOwned(port.externalIDs), !declared.contains(port.name), !doomedBridges.contains(port.bridgeUUID),
        port.externalIDs[SwitchConverger.peerKey] == nil, !isVMPort(port),
        state.bridges[port.name]?.isFake != false  // a real bridge's own port goes with the bridge
      else { continue }
      if port.fakeBridge {
        // Ports on a fake bridge are tagged ports of its parent: owned ones the spec dropped are
        // pruned one by one below or above; any other keeps the fake bridge.
        let held = state.ports.values.filter {
          $0.bridge == port.name && !$0.fakeBridge && !declared.contains($0.name)
            && !(isOwned($0.externalIDs) && !isVMPort($0))
        }.sorted { $0.name < $1.name }
        guard !refuseRemoval(of: "fake bridge '\(port.name)'", holding: held) else { continue }
        // A port someone adds on it meanwhile changes the parent's ports: the commit then fails and
        // this is planned again with that port in view.
        _ = txn.row("Bridge", port.bridgeUUID, columns: ["ports"])
      }
      remove(port, &txn)
      changes.append(PlannedChange(.remove, "\(kind(of: port)) \(port.name)", "ovsvirt-owned, not in the spec"))
    }
  }

  /// Refuses (as a problem naming them) the removal of `subject` while it holds VM ports or ports
  /// ovsvirt did not create; true when refused.
  mutating func refuseRemoval(of subject: String, holding held: [PortView]) -> Bool {
    let vms = held.filter(isVMPort).map(\.name)
    let foreign = held.filter { !isVMPort($0) && !isOwned($0.externalIDs) }.map(\.name)
    guard !vms.isEmpty || !foreign.isEmpty else { return false }
    var uses: [String] = []
    if !vms.isEmpty { uses.append("VM ports use it (\(vms.joined(separator: ", ")))") }
    if !foreign.isEmpty { uses.append("it holds ports ovsvirt did not create (\(foreign.joined(separator: ", ")))") }
    let moved = vms.isEmpty ? "move or delete those ports yourself" : "move those VMs' NICs elsewhere first"
    refuse(
      SpecLocation(file: spec.file, line: 1, column: 1), subject,
      "is not in the spec, but \(uses.joined(separator: " and ")); it is kept",
      fix:
        "\(moved)\(vms.isEmpty || foreign.isEmpty ? "" : " and move or delete the other ports"), or keep it in the spec"
    )
    return true
  }

  func isOwned(_ externalIDs: [String: String]) -> Bool {
    externalIDs[SwitchTables.ownerKey] == SwitchTables.ownerValue
  }

  /// "fake bridge", "tunnel", "bond" or "port", for the plan.
  func kind(of port: PortView) -> String {
    if port.fakeBridge { return "fake bridge" }
    if port.interfaces.count > 1 { return "bond" }
    let type = port.interfaces.first.flatMap { state.interfacesByUUID[$0]?.type } ?? ""
    return ["vxlan", "geneve", "gre"].contains(type) ? "tunnel" : "port"
  }

  mutating func remove(_ port: PortView, _ txn: inout TransactionBuilder) {
    _ = txn.row("Port", port.uuid, columns: ["name"])
    txn.add(
      .mutate(
        table: "Bridge", where: [.uuid(port.bridgeUUID)],
        mutations: [Mutation("ports", .delete, .scalar(.uuid(port.uuid)))]))
  }

  /// A port libvirt plugged for a VM (it carries the VM's identifiers).
  func isVMPort(_ port: PortView) -> Bool {
    port.interfaces.contains { uuid in
      let ids = state.interfacesByUUID[uuid]?.externalIDs ?? [:]
      return ids["vm-id"] != nil || ids["attached-mac"] != nil
    }
  }
}

extension HostSpec.Port {
  /// "tunnel", "bond" or "port", for messages.
  var kind: String {
    if interfaces.count > 1 { return "bond" }
    return interfaces.first?.kind.isTunnel == true ? "tunnel" : "port"
  }

  var addDetail: String {
    var parts = ["on \(bridge)"]
    if let interface = interfaces.first, interface.kind.isTunnel {
      parts.append(interface.kind.rawValue)
      if let remote = interface.options["remote_ip"] { parts.append("to \(remote)") }
      if let key = interface.options["key"] { parts.append("key \(key)") }
      if let peer = meshPeer { parts.append("(host \(peer))") }
    } else {
      if interfaces.count > 1 { parts.append("members \(interfaces.map(\.name.rawValue).joined(separator: ","))") }
      if let kind = interfaces.first?.kind, kind != .system, interfaces.count == 1 { parts.append(kind.label) }
      parts.append(vlan.summary)
    }
    return parts.joined(separator: " ")
  }
}

extension SwitchConverger {
  /// The bridges with RSTP on that `spec`'s plan takes a mesh tunnel from (their host left the
  /// cluster): `nudgeRSTP` must follow once ovs-vswitchd has applied the removal.
  public static func bridgesLosingMeshTunnels(_ spec: HostSpec, state: SwitchState) -> [String] {
    let declared = spec.declaredNames
    let bridges = state.ports.values.filter { port in
      port.externalIDs[peerKey] != nil && !declared.contains(port.name)
    }.map(\.bridge)
    return Set(bridges).sorted().filter { name in
      guard let bridge = state.bridges[name], !bridge.isFake else { return false }
      return spec.bridges.first { $0.name.rawValue == name }?.rstp ?? bridge.rstpEnabled
    }
  }

  /// Open vSwitch 3.1 (Debian 12's) leaves a bridge's RSTP stuck when its root port's tunnel is
  /// deleted: "unknown root port", no alternate takes over, the host stays cut off (seen in the
  /// multi-host sandbox, and for over a minute). Changing any bridge timer re-runs role selection, so
  /// once the removal is applied each such bridge has its rstp-max-age moved between 20 (the
  /// default) and 21 s. In the removal's own transaction it does not help.
  public static func nudgeRSTP(_ bridges: [String], state: SwitchState, in txn: inout TransactionBuilder)
    -> [PlannedChange]
  {
    bridges.compactMap { name -> PlannedChange? in
      guard let bridge = state.bridges[name], !bridge.isFake else { return nil }
      var config = bridge.otherConfig
      let now = Int(config["rstp-max-age"] ?? "20") ?? 20
      config["rstp-max-age"] = now == 21 ? "20" : "21"
      _ = txn.row("Bridge", bridge.uuid, columns: ["other_config"])
      txn.add(.update(table: "Bridge", where: [.uuid(bridge.uuid)], row: ["other_config": .map(config)]))
      return PlannedChange(
        .change, "bridge \(name)",
        "RSTP max-age \(config["rstp-max-age"] ?? "") s: re-elects the root port a departed tunnel held (Open vSwitch 3.1)"
      )
    }
  }
}
