import Foundation
import Libvirt
import VirtXML

/// Connects one VM NIC (by MAC) to an OVS network/portgroup or bridge + VLAN, in the domain's
/// definition and, for a running VM, live — the way `ovsvirt attach` and `apply` both do it.
public enum NICAttacher {
  /// Whether the NIC `nic` already joins `target` the way a patch would leave it.
  public static func matches(_ nic: DomainInterface, _ target: InterfaceTarget) -> Bool {
    guard nic.virtualPortType == "openvswitch", nic.interfaceID != nil else { return false }
    switch target {
    case .network(let network, let portgroup):
      return nic.type == "network" && nic.sourceNetwork == network && nic.portgroup == portgroup
        && nic.vlanTags.isEmpty
    case .bridge(let bridge, let vlan):
      return nic.type == "bridge" && nic.sourceBridge == bridge && nic.vlan == vlan
    }
  }

  /// Patches the definition (adding the NIC when the MAC is new) and, when the VM runs, the live
  /// NIC; returns what was done, for the user.
  public static func apply(
    _ vm: Domain, connection: Connection, mac: String, target: InterfaceTarget, templates: Templates
  ) throws -> [String] {
    let running = try vm.isActive()
    let config = try vm.xml(inactive: true)
    guard try DomainInterface.all(inDomainXML: config).contains(where: { $0.mac == mac }) else {
      let nic = try InterfaceDefinition(mac: mac, target: target, interfaceID: UUID().uuidString.lowercased())
        .xml(templates)
      try vm.attachDevice(nic, running ? [.live, .config] : [.config])
      return ["added NIC \(mac) to \(vm.name)\(running ? " (running and definition)" : "")"]
    }
    let patched = try InterfacePatcher.patch(domainXML: config, select: .mac(mac), to: target)
    _ = try connection.defineDomain(xml: patched.domainXML)
    var notes = ["definition of \(vm.name): NIC \(mac) → \(target.summary)"]
    if running, let update = try liveUpdate(vm, connection: connection, mac: mac, target: target) {
      try vm.updateDevice(update.xml, [.live])
      notes.append(update.note)
    }
    return notes
  }

  /// The running NIC's update, in the interface's configuration form (type, network, portgroup; no
  /// run-time `portid`/`bridge`), which libvirt accepts live. Moving a running NIC to another
  /// network or portgroup is never asked of libvirt: some versions refuse, and libvirt 9.0 accepts
  /// it but re-plugs the tap into OVS untagged (seen in EndToEndTests). The NIC keeps its source and
  /// is retagged with the VLAN the new portgroup gives; the definition applies at the next start.
  /// nil when the VM has no NIC with that MAC.
  public static func liveUpdate(_ vm: Domain, connection: Connection, mac: String, target: InterfaceTarget) throws
    -> (xml: String, note: String)?
  {
    let liveXML = try vm.xml()
    guard let current = try DomainInterface.all(inDomainXML: liveXML).first(where: { $0.mac == mac }) else {
      return nil
    }
    if case .network(let network, let portgroup) = target, let oldNetwork = current.sourceNetwork,
      oldNetwork != network || current.portgroup != portgroup
    {
      let tags = try NetworkVLAN.resolve(try connection.network(named: network).xml(), portgroup: portgroup)
      let sameSource = try InterfacePatcher.patch(
        domainXML: liveXML, select: .mac(mac), to: .network(oldNetwork, portgroup: current.portgroup))
      let update = try InterfacePatcher.retag(domainXML: sameSource.domainXML, select: .mac(mac), vlan: tags)
      let vlanText = tags.map { $0.tags.map(String.init).joined(separator: ",") } ?? "none"
      return (
        update,
        "the definition of \(vm.name) now puts NIC \(mac) on \(target.summary); the running NIC keeps its port and was retagged to VLAN \(vlanText) until the VM restarts"
      )
    }
    let update = try InterfacePatcher.patch(domainXML: liveXML, select: .mac(mac), to: target).interfaceXML
    return (update, "updated the running NIC \(mac) of \(vm.name)")
  }
}

extension InterfaceTarget {
  /// "ovsvl2/vlan-120", "bridge ovsbr0 VLAN 120".
  public var summary: String {
    switch self {
    case .network(let network, let portgroup): return network + (portgroup.map { "/\($0)" } ?? "")
    case .bridge(let bridge, let vlan):
      guard let vlan else { return "bridge \(bridge) untagged" }
      return "bridge \(bridge) VLAN \(vlan.tags.map(String.init).joined(separator: ","))"
    }
  }
}
