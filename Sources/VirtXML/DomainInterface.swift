/// What a libvirt domain's `<interface>` says about how it joins a switch.
public struct DomainInterface: Sendable, Equatable {
  /// `type` attribute: "bridge", "network", "direct", …
  public var type: String
  public var mac: String?
  /// `<source bridge=…>` for type='bridge' (and for a running VM's network NIC, the bridge libvirt
  /// plugged it into).
  public var sourceBridge: String?
  /// `<source network=… portgroup=…>` for type='network'.
  public var sourceNetwork: String?
  public var portgroup: String?
  /// `<target dev=…>`: the tap name once the VM runs.
  public var targetDevice: String?
  /// `<virtualport type=…>`, "openvswitch" for OVS.
  public var virtualPortType: String?
  public var interfaceID: String?
  /// `<virtualport><parameters profileid=…>`: libvirt passes it to OVS as external_ids:port-profile.
  public var profileID: String?
  /// The interface's own `<vlan>` (libvirt's first say in the VLAN; for a running VM, the VLAN
  /// libvirt applied), nil when it has none or when it cannot be read (see `vlanProblem`).
  public var vlan: VLANTags?
  /// Why the `<vlan>` could not be read: whoever plugs this NIC must fail closed.
  public var vlanProblem: String?
  /// The interface's own `<bandwidth>` (for a running VM, the one libvirt applied).
  public var bandwidth: Bandwidth?
  /// Why the `<bandwidth>` could not be read.
  public var bandwidthProblem: String?
  /// `<mtu size=…>`, the guest's MTU on this NIC.
  public var mtu: Int?

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
    let parameters = virtualPort?.firstChild(named: "parameters")
    interfaceID = parameters?.attribute("interfaceid")
    profileID = parameters?.attribute("profileid")
    mtu = element.firstChild(named: "mtu")?.attribute("size").flatMap { Int($0) }
    do {
      vlan = try VLANTags.child(of: element)
    } catch {
      vlanProblem = error.message
    }
    do {
      bandwidth = try Bandwidth.child(of: element)
    } catch {
      bandwidthProblem = error.message
    }
  }
}
