/// An Open vSwitch libvirt network: `<forward mode='bridge'/>` on an OVS bridge, with one VLAN for
/// the whole network or named portgroups (seed 004's `ovsvl` and `ovsvl2`).
public struct NetworkDefinition: Sendable, Equatable {
  public struct Portgroup: Sendable, Equatable {
    public var name: String
    public var vlan: VLANTags?
    public var isDefault: Bool

    public init(name: String, vlan: VLANTags?, isDefault: Bool = false) {
      self.name = name
      self.vlan = vlan
      self.isDefault = isDefault
    }
  }

  public var name: String
  public var bridge: String
  public var vlan: Int?
  public var portgroups: [Portgroup]
  /// `<mtu size=…>`: libvirt gives the taps plugged into the network this MTU (and a virtio guest
  /// learns it); nil leaves libvirt's default (the bridge's).
  public var mtu: Int?

  public init(name: String, bridge: String, vlan: Int? = nil, portgroups: [Portgroup] = [], mtu: Int? = nil) {
    self.name = name
    self.bridge = bridge
    self.vlan = vlan
    self.portgroups = portgroups
    self.mtu = mtu
  }

  /// The network XML from the `network.xml` template, checked to parse.
  public func xml(_ templates: Templates = .embedded) throws(XMLError) -> String {
    let groups: [[String: Any]] = portgroups.map { group in
      var context = group.vlan?.context ?? ["hasTags": false]
      context["name"] = group.name
      context["isDefault"] = group.isDefault
      return context
    }
    var context: [String: Any] = ["name": name, "bridge": bridge, "portgroups": groups, "hasVLAN": vlan != nil]
    if let vlan { context["vlan"] = vlan }
    context["hasMTU"] = mtu != nil
    if let mtu { context["mtu"] = mtu }
    return try templates.render("network.xml", context, root: "network")
  }
}
