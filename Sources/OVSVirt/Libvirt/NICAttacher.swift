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
      return nic.type == "network" && nic.sourceNetwork == network && nic.portgroup == portgroup && nic.vlan == nil
        && nic.vlanProblem == nil
    case .bridge(let bridge, let vlan):
      return nic.type == "bridge" && nic.sourceBridge == bridge && nic.vlan == vlan && nic.vlanProblem == nil
    }
  }

  /// What an attach did, or with `dryRun` would write: notes for the user, XML to print.
  public struct Outcome: Sendable {
    public var notes: [String] = []
    public var printed: [String] = []
  }

  /// Refuses (`RefusedInput`) a network that libvirt does not have, or a portgroup the network
  /// does not have, before anything is written: the VM would not start on it.
  public static func requireTarget(_ target: InterfaceTarget, connection: Connection) throws {
    guard case .network(let name, let portgroup) = target else { return }
    let network: Network
    do {
      network = try connection.network(named: name)
    } catch {
      guard error.isNoNetwork else { throw error }
      throw RefusedInput("libvirt has no network '\(name)': define it first (ovsvirt net define \(name) …)")
    }
    guard let portgroup else { return }
    let groups = try NetworkShape(xml: try network.xml(inactive: true)).portgroups.map(\.name)
    guard groups.contains(portgroup) else {
      let known = groups.isEmpty ? "it has none" : "it has \(groups.joined(separator: ", "))"
      throw RefusedInput("network '\(name)' has no portgroup '\(portgroup)' (\(known))")
    }
  }

  /// Patches the definition (adding the NIC when the MAC is new) and, in `scope`'s live part, the
  /// running NIC. The definition is read with its secure parts (graphics passwords, cookies), so
  /// defining it back loses nothing but what the patch changes.
  public static func attach(
    _ vm: Domain, connection: Connection, mac: String, target: InterfaceTarget, scope: Domain.Scope,
    mtu: Int? = nil, dryRun: Bool = false, templates: Templates
  ) throws -> Outcome {
    try requireTarget(target, connection: connection)
    var outcome = Outcome()
    let toLive = scope.contains(.live)
    let source = try vm.xml(inactive: !toLive)
    guard try DomainInterface.all(inDomainXML: source).contains(where: { $0.mac == mac }) else {
      let nic = try InterfaceDefinition(
        mac: mac, target: target, interfaceID: UUID().uuidString.lowercased(), mtu: mtu
      ).xml(templates)
      if dryRun {
        outcome.printed.append(nic)
        return outcome
      }
      try vm.attachDevice(nic, scope)
      outcome.notes.append("added NIC \(mac) to \(vm.name)\(toLive ? " (running and definition)" : "")")
      return outcome
    }
    if scope.contains(.config) {
      let patched = try InterfacePatcher.patch(
        domainXML: try vm.xml(inactive: true, secure: true), select: .mac(mac), to: target, mtu: mtu)
      if dryRun {
        outcome.printed.append(patched.interfaceXML)
      } else {
        _ = try connection.defineDomain(xml: patched.domainXML)
        outcome.notes.append("definition of \(vm.name): NIC \(mac) → \(target.summary)")
      }
    }
    if toLive, let update = try liveUpdate(vm, connection: connection, mac: mac, target: target) {
      if dryRun {
        outcome.printed.append(update.xml)
      } else {
        try vm.updateDevice(update.xml, [.live])
        outcome.notes.append(update.note)
      }
    }
    return outcome
  }

  /// `attach` as apply uses it: both the running VM (when it runs) and the definition.
  public static func apply(
    _ vm: Domain, connection: Connection, mac: String, target: InterfaceTarget, mtu: Int? = nil,
    templates: Templates
  ) throws -> [String] {
    let scope: Domain.Scope = try vm.isActive() ? [.live, .config] : [.config]
    return try attach(
      vm, connection: connection, mac: mac, target: target, scope: scope, mtu: mtu, templates: templates
    )
    .notes
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
    guard let current = try DomainInterface.all(inDomainXML: liveXML).first(where: { $0.mac == mac }),
      !matches(current, target)
    else { return nil }
    if case .network(let network, let portgroup) = target, let oldNetwork = current.sourceNetwork,
      oldNetwork != network || current.portgroup != portgroup
    {
      let tags = try NetworkVLAN.resolve(try connection.network(named: network).xml(), portgroup: portgroup)
      let sameSource = try InterfacePatcher.patch(
        domainXML: liveXML, select: .mac(mac), to: .network(oldNetwork, portgroup: current.portgroup))
      let update = try InterfacePatcher.retag(domainXML: sameSource.domainXML, select: .mac(mac), vlan: tags)
      let vlanText = tags.map { $0.allTags.map(String.init).joined(separator: ",") } ?? "none"
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
      return "bridge \(bridge) VLAN \(vlan.allTags.map(String.init).joined(separator: ","))"
    }
  }
}
