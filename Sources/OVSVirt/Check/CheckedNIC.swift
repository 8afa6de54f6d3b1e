import Libvirt
import VSwitch
import VirtXML

/// A VM NIC as libvirt shows it, with its VLAN resolved by the one resolution reconcile uses
/// (`DesiredPort.desired`: the interface's own `<vlan>`, else its portgroup's, else its network's)
/// and, apart, what its network and portgroup give today — so an interface `<vlan>` overriding
/// its portgroup can be named.
struct CheckedNIC: Sendable {
  var domain: String
  var running: Bool
  var nic: DomainInterface
  /// What OVS should hold for it (nil: not an OVS NIC libvirt plugged, or the VM is not running).
  var desired: DesiredPort?
  /// What its network (and portgroup) give a port today; nil for a NIC not on a network.
  var networkGives: Result<VLANSettings, NetworkLookupFailure>?

  struct NetworkLookupFailure: Error, Sendable {
    var reason: String
  }

  var mac: String? { nic.mac }
  /// "network/portgroup" or the bridge.
  var source: String {
    nic.sourceNetwork.map { "\($0)\(nic.portgroup.map { "/\($0)" } ?? "")" } ?? nic.sourceBridge ?? "?"
  }
  /// The VLAN settings libvirt gives the port: the plug's, or for a stopped VM what it would get.
  var vlan: VLANSettings? {
    if let desired { return desired.vlan }
    if let vlan = nic.vlan { return LibvirtPlug.vlanSettings(vlan) }
    if case .success(let settings) = networkGives { return settings }
    return nil
  }

  /// The NICs of `domain` on `connection` (live XML when it runs), `mac` picking one.
  static func read(_ connection: Connection, domain name: String, mac: String?) throws -> [CheckedNIC] {
    let domain = try connection.domain(named: name)
    let running = try domain.isActive()
    let xml = try domain.xml(inactive: !running)
    let vmID = domain.uuid
    let wanted = mac?.lowercased()
    return try DomainInterface.all(inDomainXML: xml).filter { wanted == nil || $0.mac?.lowercased() == wanted }
      .map { nic in describe(nic, domain: name, running: running, vmID: vmID, connection: connection) }
  }

  /// Every OVS NIC of every running domain.
  static func readRunning(_ connection: Connection) throws -> [CheckedNIC] {
    try connection.domains(activeOnly: true).flatMap { domain -> [CheckedNIC] in
      guard let xml = try domain.xmlUnlessGone() else { return [] }
      let name = domain.name
      let vmID = domain.uuid
      return try DomainInterface.all(inDomainXML: xml).filter { $0.virtualPortType == "openvswitch" }.map {
        describe($0, domain: name, running: true, vmID: vmID, connection: connection)
      }
    }
  }

  /// `body`'s VLAN settings, or why they could not be resolved, in words.
  static func lookup(_ body: () throws -> VLANSettings) -> Result<VLANSettings, NetworkLookupFailure> {
    do {
      return .success(try body())
    } catch {
      return .failure(NetworkLookupFailure(reason: "\(error)"))
    }
  }

  private static func describe(
    _ nic: DomainInterface, domain: String, running: Bool, vmID: String, connection: Connection
  ) -> CheckedNIC {
    let resolve = { (network: String, portgroup: String?) throws -> NetworkPortSettings in
      try NetworkPortSettings.resolve(try connection.network(named: network).xml(), portgroup: portgroup)
    }
    let desired = running ? DesiredPort.desired(nic, domain: domain, vmID: vmID, network: resolve) : nil
    let gives = nic.sourceNetwork.map { network in
      lookup { LibvirtPlug.vlanSettings(try resolve(network, nic.portgroup).vlan) }
    }
    return CheckedNIC(domain: domain, running: running, nic: nic, desired: desired, networkGives: gives)
  }
}

/// What a peer host's libvirt has of the network a NIC is on.
struct PeerNetwork: Sendable {
  var name: String
  var portgroup: String?
  /// nil: no such network; else whether it runs and what it gives (or why it cannot be resolved).
  var state: (active: Bool, gives: Result<VLANSettings, CheckedNIC.NetworkLookupFailure>)?

  static func read(_ connection: Connection, network: String, portgroup: String?) throws -> PeerNetwork {
    let found: Network
    switch Result(catching: { () throws(LibvirtError) -> Network in try connection.network(named: network) }) {
    case .success(let network): found = network
    case .failure(let error) where error.isNoNetwork:
      return PeerNetwork(name: network, portgroup: portgroup, state: nil)
    case .failure(let error): throw error
    }
    let active = try found.isActive()
    let xml = try found.xml()
    let gives = CheckedNIC.lookup {
      LibvirtPlug.vlanSettings(try NetworkPortSettings.resolve(xml, portgroup: portgroup).vlan)
    }
    return PeerNetwork(name: network, portgroup: portgroup, state: (active, gives))
  }
}
