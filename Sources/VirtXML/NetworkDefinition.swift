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
  // No `<mtu>`: libvirt (9.0) refuses it on a `<forward mode='bridge'/>` network ("mtu size only
  // allowed in open, route, nat, and isolated mode"). A guest's MTU goes on its `<interface>`.

  public init(name: String, bridge: String, vlan: Int? = nil, portgroups: [Portgroup] = []) {
    self.name = name
    self.bridge = bridge
    self.vlan = vlan
    self.portgroups = portgroups
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
    return try templates.render("network.xml", context, root: "network")
  }
}
