import Foundation

/// Where a domain interface should be connected.
public enum InterfaceTarget: Sendable, Equatable {
  /// A libvirt network (and optional portgroup): the VLAN comes from them, so an interface-level
  /// `<vlan>` (which would override them) is removed.
  case network(String, portgroup: String?)
  /// An OVS bridge directly, with the interface's own VLAN (nil: untagged).
  case bridge(String, vlan: VLANTags?)
}

/// Which of the domain's interfaces to change.
public enum InterfaceSelector: Sendable, Equatable {
  case mac(String)
  case targetDevice(String)
  /// The domain's only interface.
  case only
}

/// The outcome of patching: the whole domain XML, the changed `<interface>` alone (for libvirt's
/// update-device), and the OVS interface id it carries.
public struct PatchedInterface: Sendable {
  public var domainXML: String
  public var interfaceXML: String
  public var interfaceID: String
  public var mac: String?
}

/// Rewrites one `<interface>` of a domain to join Open vSwitch, changing nothing else.
public enum InterfacePatcher {
  /// `mtu`: the NIC's `<mtu size>` is set to it; nil leaves whatever MTU the NIC has.
  public static func patch(
    domainXML: String, select: InterfaceSelector, to target: InterfaceTarget, interfaceID newID: String? = nil,
    mtu: Int? = nil
  ) throws(XMLError) -> PatchedInterface {
    let (tree, interface) = try Self.select(select, in: domainXML)
    let mac = interface.firstChild(named: "mac")
    let newType: String
    switch target {
    case .network: newType = "network"
    case .bridge: newType = "bridge"
    }
    if interface.attribute("type") != newType { dropForeignSettings(of: interface) }
    dropWhatOVSRefuses(in: interface)
    let source = interface.firstChild(named: "source") ?? interface.addChild("source", after: mac)
    for name in source?.attributeNames ?? [] { source?.removeAttribute(name) }
    // What another type keeps inside <source> (udp's <local>, vhostuser's <reconnect>, hostdev's
    // <address>) has no meaning for a network or bridge and libvirt refuses it there.
    for child in source?.children() ?? [] { child.remove() }
    // Every <vlan>, not only the first: libvirt reads the first left, so a second one would become
    // the interface's VLAN (found by fuzzing).
    let vlanElements = interface.children(named: "vlan")
    switch target {
    case .network(let network, let portgroup):
      interface.setAttribute("type", "network")
      source?.setAttribute("network", network)
      if let portgroup { source?.setAttribute("portgroup", portgroup) }
      for element in vlanElements { element.remove() }
    case .bridge(let bridge, let vlan):
      interface.setAttribute("type", "bridge")
      source?.setAttribute("bridge", bridge)
      for element in vlanElements { element.remove() }
      if let vlan { write(vlan, into: interface, after: source) }
    }

    // <virtualport type='openvswitch'> with an interfaceid that stays once given: OVS keys the
    // port's external_ids:iface-id on it, and reconcile matches ports by it.
    let virtualPort = interface.firstChild(named: "virtualport") ?? interface.addChild("virtualport")
    let oldPortType = virtualPort?.attribute("type")
    virtualPort?.setAttribute("type", "openvswitch")
    let parameters = virtualPort?.firstChild(named: "parameters") ?? virtualPort?.addChild("parameters")
    if let oldPortType, oldPortType != "openvswitch" {
      // 802.1Qbg's managerid/typeid/typeidversion/instanceid and 802.1Qbh's profileid mean
      // something else (or nothing) to Open vSwitch, and libvirt refuses them on an OVS port.
      for name in parameters?.attributeNames ?? [] where name != "interfaceid" { parameters?.removeAttribute(name) }
    }
    let interfaceID = parameters?.attribute("interfaceid") ?? newID ?? UUID().uuidString.lowercased()
    parameters?.setAttribute("interfaceid", interfaceID)
    if let mtu {
      let element = interface.firstChild(named: "mtu") ?? interface.addChild("mtu")
      element?.setAttribute("size", "\(mtu)")
    }
    return PatchedInterface(
      domainXML: tree.serialized(), interfaceXML: interface.serialized(), interfaceID: interfaceID,
      mac: mac?.attribute("address")?.lowercased())
  }

  /// Only replaces the interface's `<vlan>` (nil: removes it), keeping its source: for retagging a
  /// running NIC whose network or portgroup libvirt will not change live.
  public static func retag(domainXML: String, select: InterfaceSelector, vlan: VLANTags?) throws(XMLError) -> String {
    let (_, interface) = try self.select(select, in: domainXML)
    for element in interface.children(named: "vlan") { element.remove() }
    if let vlan { write(vlan, into: interface, after: interface.firstChild(named: "source")) }
    return interface.serialized()
  }

  /// The selected `<interface>` as XML (for detaching it) and its MAC.
  public static func interface(select: InterfaceSelector, in domainXML: String) throws(XMLError) -> (String, String?) {
    let (_, interface) = try self.select(select, in: domainXML)
    return (interface.serialized(), interface.firstChild(named: "mac")?.attribute("address"))
  }

  static func select(_ select: InterfaceSelector, in domainXML: String) throws(XMLError) -> (XMLTree, XMLElement) {
    let tree = try XMLTree(domainXML)
    guard let root = tree.root, root.name == "domain" else {
      throw XMLError("not a libvirt domain: the root element must be <domain>")
    }
    let interfaces = root.children(named: "devices").flatMap { $0.children(named: "interface") }
    let chosen: [XMLElement]
    switch select {
    case .mac(let mac):
      chosen = interfaces.filter { $0.firstChild(named: "mac")?.attribute("address")?.lowercased() == mac.lowercased() }
    case .targetDevice(let dev):
      chosen = interfaces.filter { $0.firstChild(named: "target")?.attribute("dev") == dev }
    case .only:
      guard interfaces.count == 1 else {
        throw XMLError("the domain has \(interfaces.count) interfaces: name one with --mac")
      }
      chosen = interfaces
    }
    guard chosen.count == 1, let interface = chosen.first else {
      throw XMLError(chosen.isEmpty ? "no interface matches \(select)" : "\(chosen.count) interfaces match \(select)")
    }

    return (tree, interface)
  }

  /// Removes what only the interface's old type allows and libvirt refuses on a network or bridge
  /// interface: host-side `<ip>`/`<route>` (type='ethernet') or guest `<ip>` (type='user'),
  /// passt's `<portForward>` and backend type, `<target managed='no'>` (an existing tap, ethernet
  /// only), hostdev's managed attribute and VFIO driver. Everything else stays.
  static func dropForeignSettings(of interface: XMLElement) {
    for name in ["ip", "route", "portForward"] {
      for element in interface.children(named: name) { element.remove() }
    }
    interface.firstChild(named: "target")?.removeAttribute("managed")
    interface.removeAttribute("managed")
    if let backend = interface.firstChild(named: "backend"), backend.attribute("type") == "passt" {
      backend.removeAttribute("type")
      backend.removeAttribute("logFile")
      if backend.attributeNames.isEmpty { backend.remove() }
    }
    if let driver = interface.firstChild(named: "driver"), let name = driver.attribute("name"),
      name == "vfio" || name == "kvm"
    {
      driver.removeAttribute("name")
      if driver.attributeNames.isEmpty && driver.children().isEmpty { driver.remove() }
    }
  }

  /// Removes what libvirt refuses on a NIC with an Open vSwitch virtualport, whatever its old type:
  /// `<port isolated='yes'/>` (Linux-bridge port isolation), and a bandwidth `floor` (guaranteed
  /// only on NAT, routed or open networks; refused on a bridge NIC at define and on a bridged
  /// network when the VM starts). The rest of `<bandwidth>` stays: OVS enforces it.
  static func dropWhatOVSRefuses(in interface: XMLElement) {
    for port in interface.children(named: "port") where port.attribute("isolated") != nil {
      port.removeAttribute("isolated")
      if port.attributeNames.isEmpty && port.children().isEmpty { port.remove() }
    }
    for bandwidth in interface.children(named: "bandwidth") {
      for inbound in bandwidth.children(named: "inbound") where inbound.attribute("floor") != nil {
        inbound.removeAttribute("floor")
        // A floor alone was all it said: an empty <inbound/> is refused.
        if inbound.attributeNames.isEmpty && inbound.children().isEmpty { inbound.remove() }
      }
      if bandwidth.children().isEmpty && bandwidth.attributeNames.isEmpty { bandwidth.remove() }
    }
  }

  static func write(_ vlan: VLANTags, into interface: XMLElement, after source: XMLElement?) {
    let tags = vlan.allTags
    guard !tags.isEmpty else { return }
    let element = interface.addChild("vlan", after: source)
    if vlan.isTrunk { element?.setAttribute("trunk", "yes") }
    var previous: XMLElement? = nil
    for tag in tags {
      guard let tagElement = previous.map({ element?.addChild("tag", after: $0) }) ?? element?.addChild("tag") else {
        continue
      }
      tagElement.setAttribute("id", String(tag))
      if let native = vlan.native, native.tag == tag { tagElement.setAttribute("nativeMode", native.mode.rawValue) }
      previous = tagElement
    }
  }
}
