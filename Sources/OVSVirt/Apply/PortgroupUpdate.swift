import Libvirt
import VirtXML

/// One `<portgroup>` change (`virsh net-update NAME add|delete|modify portgroup XML`). Unlike a
/// network's forward mode, bridge or own VLAN, libvirt changes portgroups in a running network too,
/// so `apply` need not leave a running network on its old portgroups until it is restarted.
struct PortgroupUpdate: Sendable, Equatable {
  var command: Network.UpdateCommand
  var portgroup: String
  /// The `<portgroup>` element libvirt is given (for a delete, only its name matters).
  var xml: String
  var summary: String

  /// The changes that turn `current`'s portgroups into `wanted`'s, in an order libvirt accepts
  /// (never two default portgroups at once: deletes, then changes and additions that drop or keep
  /// no default before those that set one); nil when something besides portgroups differs.
  static func between(
    _ current: NetworkShape, _ wanted: NetworkShape, wantedXML: String
  ) throws(XMLError) -> [PortgroupUpdate]? {
    var rest = (current, wanted)
    rest.0.uuid = nil
    rest.1.uuid = nil
    rest.0.portgroups = []
    rest.1.portgroups = []
    guard rest.0 == rest.1 else { return nil }
    let elements = try XMLTree(wantedXML).root?.children(named: "portgroup") ?? []
    let wantedXMLByName = Dictionary(elements.map { ($0.attribute("name") ?? "", $0.serialized()) }) { first, _ in first
    }
    let before = Dictionary(current.portgroups.map { ($0.name, $0) }) { first, _ in first }
    let after = Set(wanted.portgroups.map(\.name))
    var deletes: [PortgroupUpdate] = []
    var settings: [(group: NetworkShape.Portgroup, update: PortgroupUpdate)] = []
    for group in current.portgroups where !after.contains(group.name) {
      let element = try XMLTree("<portgroup/>").root
      element?.setAttribute("name", group.name)
      deletes.append(
        PortgroupUpdate(
          command: .delete, portgroup: group.name, xml: element?.serialized() ?? "",
          summary: "remove portgroup \(group.name)"
        ))
    }
    for group in wanted.portgroups {
      let xml = wantedXMLByName[group.name] ?? ""
      if let old = before[group.name] {
        guard old != group else { continue }
        let summary = "portgroup \(group.name): \(Self.describe(old)) → \(Self.describe(group))"
        settings.append((group, PortgroupUpdate(command: .modify, portgroup: group.name, xml: xml, summary: summary)))
      } else {
        let summary = "add portgroup \(group.name) (\(Self.describe(group)))"
        settings.append((group, PortgroupUpdate(command: .add, portgroup: group.name, xml: xml, summary: summary)))
      }
    }
    // Stable: within each half, the spec's order.
    let unsetting = settings.filter { !$0.group.isDefault }.map(\.update)
    let setting = settings.filter(\.group.isDefault).map(\.update)
    return deletes + unsetting + setting
  }

  static func describe(_ group: NetworkShape.Portgroup) -> String {
    let vlan = group.vlan.map { "VLAN " + $0.tags.map(String.init).joined(separator: ",") } ?? "untagged"
    return vlan + (group.isDefault ? ", default" : "")
  }
}
