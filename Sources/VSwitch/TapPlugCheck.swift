import OVSDB

extension TapPlug {
  /// How OVS differs from this plug, one phrase per difference; empty when OVS holds exactly what
  /// `SwitchPlanner.ensurePort` would leave (the same tests it uses to add nothing).
  public func differences(in state: SwitchState) -> [String] {
    guard let target = state.bridges[bridge] else { return ["bridge \(bridge) does not exist"] }
    guard let port = state.ports[name] else { return ["no port \(name)"] }
    var wanted = vlan
    if let fakeVLAN = target.vlan, wanted == .untagged, let tag = try? VLANID(fakeVLAN) {
      wanted = VLANSettings(tag: tag)
    }
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
