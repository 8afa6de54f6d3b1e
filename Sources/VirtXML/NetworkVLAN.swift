/// The VLAN a libvirt network gives an interface: the portgroup's (named, or the default one),
/// else the network's own; nil when neither has one.
public enum NetworkVLAN {
  public static func resolve(_ networkXML: String, portgroup: String?) throws(XMLError) -> VLANTags? {
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
    if let vlan = group?.firstChild(named: "vlan") ?? root.firstChild(named: "vlan") { return tags(vlan) }
    return nil
  }

  static func tags(_ vlan: XMLElement) -> VLANTags {
    let tags = vlan.children(named: "tag")
    let ids = tags.compactMap { $0.attribute("id").flatMap { Int($0) } }
    let native = tags.first { $0.attribute("nativeMode") != nil }.flatMap { tag -> (Int, VLANTags.NativeMode)? in
      guard let id = tag.attribute("id").flatMap({ Int($0) }),
        let mode = tag.attribute("nativeMode").flatMap(VLANTags.NativeMode.init(rawValue:))
      else { return nil }
      return (id, mode)
    }
    let trunk = vlan.attribute("trunk") == "yes" || ids.count > 1
    return VLANTags(
      tags: native.map { n in ids.filter { $0 != n.0 } } ?? ids, trunk: trunk, native: native.map { ($0.0, $0.1) })
  }
}
