import VSwitch
import VirtXML

/// What libvirt's own plug writes on Open vSwitch for a VM NIC (libvirt 9.0's
/// virNetDevOpenvswitchAddPort and virNetDevOpenvswitchInterfaceSetQos, checked against libvirtd
/// itself in ReconcileTests). The one mapping from libvirt's VLAN and bandwidth to OVS columns:
/// reconcile, watch, apply, attach and `domain ports` all go through it, so they cannot disagree.
public enum LibvirtPlug {
  /// Port tag / trunks / vlan_mode for a `<vlan>`: nothing without one; an access tag; a trunk
  /// list of every tag (trunk='yes', or several tags); with a native VLAN, vlan_mode native-untagged
  /// or native-tagged and tag = the native VLAN, the trunk list still holding it.
  public static func vlanSettings(_ tags: VLANTags?) -> VLANSettings {
    guard let tags, !tags.allTags.isEmpty else { return .untagged }
    let ids = Array(Set(tags.allTags.compactMap { try? VLANID($0) })).sorted { $0.value < $1.value }
    if let native = tags.native, let tag = try? VLANID(native.tag) {
      return VLANSettings(mode: native.mode == .tagged ? .nativeTagged : .nativeUntagged, tag: tag, trunks: ids)
    }
    if tags.isTrunk { return VLANSettings(trunks: ids) }
    return VLANSettings(tag: ids.first)
  }

  /// libvirt's units: rates in kilobytes/s become bits/s (×8000), bursts in kibibytes bits (×8192)
  /// for the QoS; the policing rate is kbit/s and its burst kbit (both ×8).
  public static func policing(_ bandwidth: Bandwidth?) -> TapPlug.Policing? {
    guard let bandwidth else { return nil }
    // A tap's sides are swapped: what the VM sends (outbound) is what the port receives.
    guard let outbound = bandwidth.outbound else { return .off }
    return TapPlug.Policing(
      rate: Int64(clamping: outbound.average &* 8), burst: Int64(clamping: (outbound.burst ?? 0) &* 8))
  }

  /// The linux-htb QoS for what the VM receives (inbound); `ids` are the external_ids libvirt marks
  /// its QoS and Queue with (vm-id, ifname).
  public static func shaping(_ bandwidth: Bandwidth?, ids: [String: String]) -> TapPlug.ShapingRequest {
    guard let bandwidth else { return .leave }
    guard let inbound = bandwidth.inbound, inbound.average > 0 else { return .none(externalIDs: ids) }
    var config = ["min-rate": String(inbound.average &* 8000)]
    if let burst = inbound.burst, burst > 0 { config["burst"] = String(burst &* 8192) }
    if let peak = inbound.peak, peak > 0 { config["max-rate"] = String(peak &* 8000) }
    return .linuxHTB(TapPlug.Shaping(otherConfig: config, externalIDs: ids))
  }

  /// The whole plug of a running VM's OVS NIC, from its live `<interface>`; nil for NICs that are
  /// not on OVS or not plugged (no tap or bridge yet). `vlan` is the VLAN to use (the live one, or
  /// as resolved from the network), `parked` overrides it with the dead VLAN 4095.
  public static func plug(
    _ nic: DomainInterface, vmID: String, vlan: VLANTags?, bandwidth: Bandwidth?, parked: Bool
  ) -> TapPlug? {
    guard nic.virtualPortType == "openvswitch", let tap = nic.targetDevice, let bridge = nic.sourceBridge else {
      return nil
    }
    var interfaceIDs = ["iface-status": "active"]
    if let id = nic.interfaceID { interfaceIDs["iface-id"] = id }
    if let mac = nic.mac { interfaceIDs["attached-mac"] = mac }
    if !vmID.isEmpty { interfaceIDs["vm-id"] = vmID }
    if let profile = nic.profileID, !profile.isEmpty {
      interfaceIDs["port-profile"] = profile
      interfaceIDs["ifname"] = tap
    }
    var qosIDs = ["ifname": tap]
    if !vmID.isEmpty { qosIDs["vm-id"] = vmID }
    let shaping = shaping(bandwidth, ids: qosIDs)
    var portIDs: [String: String] = [:]
    if case .linuxHTB = shaping { portIDs = qosIDs }
    return TapPlug(
      name: tap, bridge: bridge, vlan: parked ? VLANSettings(tag: .dead) : vlanSettings(vlan),
      interfaceExternalIDs: interfaceIDs, portExternalIDs: portIDs, policing: policing(bandwidth), shaping: shaping)
  }
}
