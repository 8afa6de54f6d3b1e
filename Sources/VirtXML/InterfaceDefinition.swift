/// A new domain `<interface>` on Open vSwitch, from the `interface.xml` template.
public struct InterfaceDefinition: Sendable, Equatable {
  public var mac: String
  public var target: InterfaceTarget
  public var interfaceID: String
  public var model: String?
  /// `<mtu size=…>`: libvirt sets the tap to it, and a virtio guest learns it (host_mtu).
  public var mtu: Int?

  public init(mac: String, target: InterfaceTarget, interfaceID: String, model: String? = "virtio", mtu: Int? = nil) {
    self.mac = mac
    self.target = target
    self.interfaceID = interfaceID
    self.model = model
    self.mtu = mtu
  }

  public func xml(_ templates: Templates = .embedded) throws(XMLError) -> String {
    var context: [String: Any] = ["mac": mac, "interfaceID": interfaceID, "hasTags": false]
    if let model { context["model"] = model }
    if let mtu { context["mtu"] = "\(mtu)" }
    switch target {
    case .network(let network, let portgroup):
      context["type"] = "network"
      context["network"] = network
      if let portgroup { context["portgroup"] = portgroup }
    case .bridge(let bridge, let vlan):
      context["type"] = "bridge"
      context["bridge"] = bridge
      if let vlan { context.merge(vlan.context) { _, new in new } }
    }
    return try templates.render("interface.xml", context, root: "interface")
  }
}
