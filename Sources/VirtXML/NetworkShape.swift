/// What makes a libvirt OVS network behave as it does — forward mode, bridge, virtualport type,
/// the network's VLAN and each portgroup's — read from its XML. Two networks with the same shape
/// treat VMs the same, whatever else (uuid, comments, whitespace) differs; `apply` redefines a
/// network only when its shape changes.
public struct NetworkShape: Sendable, Equatable {
  public struct Portgroup: Sendable, Equatable {
    public var name: String
    public var isDefault: Bool
    public var vlan: VLANTags?
  }

  public var name: String
  public var uuid: String?
  public var forwardMode: String?
  public var bridge: String?
  public var virtualPortType: String?
  public var vlan: VLANTags?
  public var portgroups: [Portgroup]
  /// `<mtu size=…>`.
  public var mtu: Int?

  public init(xml: String) throws(XMLError) {
    let tree = try XMLTree(xml)
    guard let root = tree.root, root.name == "network" else { throw XMLError("not a libvirt network") }
    name = root.firstChild(named: "name")?.text ?? ""
    uuid = root.firstChild(named: "uuid")?.text
    forwardMode = root.firstChild(named: "forward")?.attribute("mode")
    bridge = root.firstChild(named: "bridge")?.attribute("name")
    virtualPortType = root.firstChild(named: "virtualport")?.attribute("type")
    vlan = try VLANTags.child(of: root)
    mtu = root.firstChild(named: "mtu")?.attribute("size").flatMap { Int($0) }
    portgroups = try root.children(named: "portgroup").map { group throws(XMLError) in
      Portgroup(
        name: group.attribute("name") ?? "", isDefault: group.attribute("default") == "yes",
        vlan: try VLANTags.child(of: group))
    }
  }

  /// Same behaviour for VMs (the uuid is not compared).
  public func behavesLike(_ other: NetworkShape) -> Bool {
    var a = self
    var b = other
    a.uuid = nil
    b.uuid = nil
    return a == b
  }

  /// `xml` with `<uuid>` set to `uuid`: libvirt refuses to redefine a network under a new uuid.
  public static func withUUID(_ uuid: String, in xml: String) throws(XMLError) -> String {
    let tree = try XMLTree(xml)
    guard let root = tree.root else { throw XMLError("not a libvirt network") }
    let element = root.firstChild(named: "uuid") ?? root.addChild("uuid", after: root.firstChild(named: "name"))
    element?.text = uuid
    return tree.serialized()
  }
}
