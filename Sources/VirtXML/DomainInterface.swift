/// What a libvirt domain's `<interface>` says about how it joins a switch.
public struct DomainInterface: Sendable, Equatable {
  /// `type` attribute: "bridge", "network", "direct", …
  public var type: String
  public var mac: String?
  /// `<source bridge=…>` for type='bridge'.
  public var sourceBridge: String?
  /// `<source network=… portgroup=…>` for type='network'.
  public var sourceNetwork: String?
  public var portgroup: String?
  /// `<target dev=…>`: the tap name once the VM runs.
  public var targetDevice: String?
  /// `<virtualport type=…>`, "openvswitch" for OVS.
  public var virtualPortType: String?
  public var interfaceID: String?
  /// `<vlan>` tags; more than one means a trunk.
  public var vlanTags: [Int]
  /// `<vlan trunk='yes'>`.
  public var vlanTrunk: Bool

  /// The interface's own `<vlan>` (libvirt's first say in the VLAN), nil when it has none.
  public var vlan: VLANTags? { vlanTags.isEmpty ? nil : VLANTags(tags: vlanTags, trunk: vlanTrunk, native: nil) }

  /// All interfaces of a domain's XML (`<domain><devices><interface>…`), in document order.
  public static func all(inDomainXML xml: String) throws(XMLError) -> [DomainInterface] {
    let tree = try XMLTree(xml, keepingLayout: false)
    guard let root = tree.root, root.name == "domain" else {
      throw XMLError("not a libvirt domain: the root element must be <domain>")
    }
    return root.children(named: "devices").flatMap { $0.children(named: "interface") }.map(DomainInterface.init)
  }

  init(_ element: XMLElement) {
    type = element.attribute("type") ?? ""
    mac = element.firstChild(named: "mac")?.attribute("address")?.lowercased()
    let source = element.firstChild(named: "source")
    sourceBridge = source?.attribute("bridge")
    sourceNetwork = source?.attribute("network")
    portgroup = source?.attribute("portgroup")
    targetDevice = element.firstChild(named: "target")?.attribute("dev")
    let virtualPort = element.firstChild(named: "virtualport")
    virtualPortType = virtualPort?.attribute("type")
    interfaceID = virtualPort?.firstChild(named: "parameters")?.attribute("interfaceid")
    let vlan = element.firstChild(named: "vlan")
    vlanTags = vlan?.children(named: "tag").compactMap { $0.attribute("id").flatMap { Int($0) } } ?? []
    vlanTrunk = vlan?.attribute("trunk") == "yes"
  }
}
