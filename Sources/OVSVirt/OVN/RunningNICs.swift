import Libvirt
import VirtXML

extension NorthboundConverger.VMPort {
  /// The NICs of this host's running VMs that sit on a libvirt network and carry an interfaceid
  /// (what libvirt writes as the OVS Interface's iface-id, and ovn-controller binds by). Blocking:
  /// call it on a LibvirtExecutor. A VM that stops between list and read is skipped.
  public static func running(_ connection: Connection) throws -> [Self] {
    var ports: [Self] = []
    for domain in try connection.domains(activeOnly: true) {
      guard let xml = try domain.xmlUnlessGone() else { continue }
      for nic in try DomainInterface.all(inDomainXML: xml) {
        guard let network = nic.sourceNetwork, let mac = nic.mac, let id = nic.interfaceID else { continue }
        ports.append(Self(domain: domain.name, mac: mac, interfaceID: id, network: network, portgroup: nic.portgroup))
      }
    }
    return ports
  }
}
