import OVSDB

extension TapPlug {
  /// The VLAN columns this plug gives a port on `target`: an untagged port on a fake bridge takes
  /// the fake bridge's VLAN, as `ovs-vsctl add-port` does.
  func vlan(on target: BridgeView) -> VLANSettings {
    guard let fakeVLAN = target.vlan, vlan == .untagged, let tag = try? VLANID(fakeVLAN) else { return vlan }
    return VLANSettings(tag: tag)
  }

  /// Whether OVS already holds exactly this plug: the test `ensurePort` adds nothing on, without
  /// describing anything (watch asks it of every known VM port on every change).
  public func isHeld(in state: SwitchState) -> Bool {
    guard let target = state.bridges[bridge], let port = state.ports[name] else { return false }
    return port.bridgeUUID == target.uuid && port.vlanSettings == vlan(on: target)
      && portExternalIDs.allSatisfy { port.externalIDs[$0.key] == $0.value }
      && SwitchPlanner.interfaces(of: port, hold: self, in: state)
      && SwitchPlanner.shaping(of: port, holds: shaping, in: state)
  }

  /// How OVS differs from this plug, one phrase per difference; empty when OVS holds exactly what
  /// `SwitchPlanner.ensurePort` would leave (the same tests it uses to add nothing).
  public func differences(in state: SwitchState) -> [String] {
    guard let target = state.bridges[bridge] else { return ["bridge \(bridge) does not exist"] }
    guard let port = state.ports[name] else { return ["no port \(name)"] }
    let wanted = vlan(on: target)
    var found: [String] = []
    if port.bridgeUUID != target.uuid { found.append("on bridge \(port.bridge), not \(bridge)") }
    if port.vlanSettings != wanted { found.append("\(port.vlanSettings.summary), not \(wanted.summary)") }
    for (key, value) in portExternalIDs.sorted(by: { $0.key < $1.key }) where port.externalIDs[key] != value {
      found.append(
        "port external_ids:\(key) is \(port.externalIDs[key].map { "'\($0)'" } ?? "missing"), not '\(value)'")
    }
    for uuid in port.interfaces {
      guard let interface = state.interfacesByUUID[uuid], interface.name == name else { continue }
      for (key, value) in interfaceExternalIDs.sorted(by: { $0.key < $1.key }) where interface.externalIDs[key] != value
      {
        let now = interface.externalIDs[key].map { "'\($0)'" } ?? "missing"
        found.append("external_ids:\(key) is \(now), not '\(value)'")
      }
      if let policing, !SwitchPlanner.interface(interface, isPoliced: policing) {
        found.append(
          "ingress policing \(interface.ingressPolicingRate)/\(interface.ingressPolicingBurst), not \(policing.rate)/\(policing.burst)"
        )
      }
    }
    if !SwitchPlanner.shaping(of: port, holds: shaping, in: state) {
      switch shaping {
      case .leave: break
      case .none: found.append("has a QoS the NIC's bandwidth does not ask for")
      case .linuxHTB(let wanted):
        found.append(
          port.qos == nil
            ? "no QoS (wanted linux-htb \(SwitchPlanner.describe(wanted)))"
            : "QoS is not linux-htb \(SwitchPlanner.describe(wanted)) with one such queue")
      }
    }
    return found
  }
}
