/// What a libvirt network gives an interface that joins it, as libvirt's port allocation does: the
/// VLAN of the portgroup (named, or the default one), else the network's own; the portgroup's
/// `<bandwidth>` (a network's own `<bandwidth>` limits the bridge, not each port).
public struct NetworkPortSettings: Sendable, Equatable {
  public var vlan: VLANTags?
  public var bandwidth: Bandwidth?

  public init(vlan: VLANTags? = nil, bandwidth: Bandwidth? = nil) {
    self.vlan = vlan
    self.bandwidth = bandwidth
  }

  /// Throws when the XML is not a network, the portgroup does not exist, or a `<vlan>` /
  /// `<bandwidth>` cannot be read.
  public static func resolve(_ networkXML: String, portgroup: String?) throws(XMLError) -> NetworkPortSettings {
    let tree = try XMLTree(networkXML, keepingLayout: false)
    guard let root = tree.root, root.name == "network" else { throw XMLError("not a libvirt network") }
    let groups = root.children(named: "portgroup")
    let group: XMLElement?
    if let portgroup {
      guard let named = groups.first(where: { $0.attribute("name") == portgroup }) else {
        throw XMLError("network has no portgroup '\(portgroup)'")
      }
      group = named
    } else {
      group = groups.first { $0.attribute("default") == "yes" }
    }
    var vlan: VLANTags?
    var bandwidth: Bandwidth?
    if let group {
      vlan = try VLANTags.child(of: group)
      bandwidth = try Bandwidth.child(of: group)
    }
    if vlan == nil { vlan = try VLANTags.child(of: root) }
    return NetworkPortSettings(vlan: vlan, bandwidth: bandwidth)
  }
}

/// The VLAN a libvirt network gives an interface (see `NetworkPortSettings`); nil when neither the
/// portgroup nor the network has one.
public enum NetworkVLAN {
  public static func resolve(_ networkXML: String, portgroup: String?) throws(XMLError) -> VLANTags? {
    try NetworkPortSettings.resolve(networkXML, portgroup: portgroup).vlan
  }
}
