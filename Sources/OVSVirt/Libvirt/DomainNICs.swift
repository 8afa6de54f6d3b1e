import Libvirt
import VirtXML

/// Where a VM NIC should join Open vSwitch, as a command line states it.
public enum NICTarget: Sendable, Equatable {
  /// A libvirt network, optionally one of its portgroups: the VLAN comes from them.
  case network(String, portgroup: String?)
  /// An OVS bridge directly, with the NIC's own VLAN: none, one access VLAN, or a trunk.
  case bridge(String, access: Int? = nil, trunk: [Int]? = nil)

  /// The same, as the XML patcher takes it; VLANs outside 0–4095 or both an access VLAN and a trunk
  /// are refused.
  func interfaceTarget() throws(CommandFailure) -> InterfaceTarget {
    switch self {
    case .network(let network, let portgroup):
      return .network(network, portgroup: portgroup)
    case .bridge(let bridge, let access, let trunk):
      switch (access, trunk) {
      case (nil, nil): return .bridge(bridge, vlan: nil)
      case (let tag?, nil):
        guard (0...4095).contains(tag) else { throw .refused("VLAN \(tag) is outside 0–4095") }
        return .bridge(bridge, vlan: .access(tag))
      case (nil, let tags?):
        guard !tags.isEmpty, tags.allSatisfy({ (0...4095).contains($0) }) else {
          throw .refused("a trunk lists VLANs 0–4095, at least one")
        }
        return .bridge(bridge, vlan: .trunk(tags))
      case (_?, _?):
        throw .refused("an access VLAN and a trunk exclude each other")
      }
    }
  }
}

/// The attach and detach use cases: one VM NIC (by MAC) joined to OVS, or removed, in the running
/// VM and / or its definition.
public enum DomainNICs {
  /// Where a change applies: `live` / `config` as asked, else the running VM and its definition
  /// for a running VM, the definition for a stopped one.
  static func scope(live: Bool, config: Bool, running: Bool, domain: String) throws(CommandFailure) -> Domain.Scope {
    var scope: Domain.Scope = []
    if live || (!live && !config && running) { scope.insert(.live) }
    if config || (!live && !config) { scope.insert(.config) }
    if scope.contains(.live) && !running { throw .refused("domain '\(domain)' is not running: drop --live") }
    return scope
  }

  /// `ovsvirt attach`: see `NICAttacher.attach`. Everything the request gets wrong (a MAC that is
  /// not one, a missing domain, network or portgroup) is refused before anything is written.
  public static func attach(
    _ libvirt: LibvirtAccess, domain: String, mac: String, to target: NICTarget, live: Bool = false,
    config: Bool = false, dryRun: Bool = false
  ) throws(CommandFailure) -> NICAttacher.Outcome {
    guard MACAddress.isUnicast(mac) else {
      throw .refused(
        "--mac '\(mac)' is not a unicast MAC address: write six hex pairs like 52:54:00:aa:00:01 (the first octet even)"
      )
    }
    let interfaceTarget = try target.interfaceTarget()
    let templates = try libvirt.templates()
    let connection = try libvirt.open()
    do {
      let vm = try connection.domain(named: domain)
      let scope = try scope(live: live, config: config, running: try vm.isActive(), domain: domain)
      return try NICAttacher.attach(
        vm, connection: connection, mac: mac.lowercased(), target: interfaceTarget, scope: scope, dryRun: dryRun,
        templates: templates)
    } catch {
      throw CommandFailure.classify(error, subject: "domain '\(domain)'")
    }
  }

  /// `ovsvirt detach`: removes the NIC with `mac`.
  public static func detach(
    _ libvirt: LibvirtAccess, domain: String, mac: String, live: Bool = false, config: Bool = false
  ) throws(CommandFailure) {
    let connection = try libvirt.open()
    do {
      let vm = try connection.domain(named: domain)
      let scope = try scope(live: live, config: config, running: try vm.isActive(), domain: domain)
      let xml = try vm.xml(inactive: !scope.contains(.live))
      let (nic, _) = try InterfacePatcher.interface(select: .mac(mac), in: xml)
      try vm.detachDevice(nic, scope)
    } catch {
      throw CommandFailure.classify(error, subject: "domain '\(domain)'")
    }
  }
}
