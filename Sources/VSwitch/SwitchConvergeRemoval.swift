import OVSDB

/// What a converge removes: mesh tunnels whose host left, and with prune the ovsvirt-owned objects
/// the desired state no longer names.
extension ConvergeRun {
  /// Mesh tunnels (marked with the peer) that the desired state no longer names: their host left.
  mutating func removeDeparted(_ txn: inout TransactionBuilder) {
    let declared = desired.declaredNames
    for port in state.ports.values.sorted(by: { $0.name < $1.name }) {
      guard let peer = port.externalIDs[SwitchTables.peerKey], !declared.contains(port.name) else { continue }
      remove(port, &txn)
      changes.append(
        SwitchChange(
          .remove, "tunnel \(port.name)",
          "no longer a peer of this host (\(peer) left the cluster, or the topology changed)"))
    }
  }

  /// With prune: ovsvirt-owned bridges, fake bridges and ports no longer named, each listed, the
  /// ports that go with a bridge too. A bridge or fake bridge that holds a VM port or a port ovsvirt
  /// did not create is refused, not removed: deleting it would take that port along.
  mutating func pruneOwned(root: RowUUID, _ txn: inout TransactionBuilder) {
    let declared = desired.declaredNames
    var doomedBridges: Set<RowUUID> = []
    for bridge in state.bridges.values.sorted(by: { $0.name < $1.name }) where !bridge.isFake {
      guard SwitchTables.isOwned(bridge.externalIDs), !declared.contains(bridge.name) else { continue }
      // Its own internal port goes with it; ports still named are moved where they are wanted.
      let held = state.ports.values.filter {
        $0.bridgeUUID == bridge.uuid && $0.name != bridge.name && !declared.contains($0.name)
      }.sorted { $0.name < $1.name }
      guard !refuseRemoval(of: "bridge '\(bridge.name)'", holding: held) else { continue }
      _ = txn.row("Bridge", bridge.uuid, columns: ["ports"])
      planner.detachBridge(bridge.uuid, root: root, in: &txn)
      doomedBridges.insert(bridge.uuid)
      changes.append(SwitchChange(.remove, "bridge \(bridge.name)", "ovsvirt-owned, not in the spec"))
      // Mesh tunnels to departed hosts are already listed by removeDeparted.
      for port in held where port.externalIDs[SwitchTables.peerKey] == nil {
        changes.append(SwitchChange(.remove, "\(kind(of: port)) \(port.name)", "with bridge \(bridge.name)"))
      }
    }
    for port in state.ports.values.sorted(by: { $0.name < $1.name }) {
      guard SwitchTables.isOwned(port.externalIDs), !declared.contains(port.name),
        !doomedBridges.contains(port.bridgeUUID), port.externalIDs[SwitchTables.peerKey] == nil, !isVMPort(port),
        state.bridges[port.name]?.isFake != false  // a real bridge's own port goes with the bridge
      else { continue }
      if port.fakeBridge {
        // Ports on a fake bridge are tagged ports of its parent: owned ones no longer named are
        // pruned one by one below or above; any other keeps the fake bridge.
        let held = state.ports.values.filter {
          $0.bridge == port.name && !$0.fakeBridge && !declared.contains($0.name)
            && !(SwitchTables.isOwned($0.externalIDs) && !isVMPort($0))
        }.sorted { $0.name < $1.name }
        guard !refuseRemoval(of: "fake bridge '\(port.name)'", holding: held) else { continue }
        // A port someone adds on it meanwhile changes the parent's ports: the commit then fails and
        // this is planned again with that port in view.
        _ = txn.row("Bridge", port.bridgeUUID, columns: ["ports"])
      }
      remove(port, &txn)
      changes.append(SwitchChange(.remove, "\(kind(of: port)) \(port.name)", "ovsvirt-owned, not in the spec"))
    }
  }

  /// Refuses (as a problem naming them) the removal of `subject` while it holds VM ports or ports
  /// ovsvirt did not create; true when refused.
  mutating func refuseRemoval(of subject: String, holding held: [PortView]) -> Bool {
    let vms = held.filter(isVMPort).map(\.name)
    let foreign = held.filter { !isVMPort($0) && !SwitchTables.isOwned($0.externalIDs) }.map(\.name)
    guard !vms.isEmpty || !foreign.isEmpty else { return false }
    var uses: [String] = []
    if !vms.isEmpty { uses.append("VM ports use it (\(vms.joined(separator: ", ")))") }
    if !foreign.isEmpty { uses.append("it holds ports ovsvirt did not create (\(foreign.joined(separator: ", ")))") }
    let moved = vms.isEmpty ? "move or delete those ports yourself" : "move those VMs' NICs elsewhere first"
    refuse(
      .removal, subject, "is not in the spec, but \(uses.joined(separator: " and ")); it is kept",
      fix:
        "\(moved)\(vms.isEmpty || foreign.isEmpty ? "" : " and move or delete the other ports"), or keep it in the spec"
    )
    return true
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
    planner.detach([port.uuid], from: port.bridgeUUID, in: &txn)
  }

  /// A port libvirt plugged for a VM (it carries the VM's identifiers).
  func isVMPort(_ port: PortView) -> Bool {
    port.interfaces.contains { uuid in
      let ids = state.interfacesByUUID[uuid]?.externalIDs ?? [:]
      return ids["vm-id"] != nil || ids["attached-mac"] != nil
    }
  }
}
