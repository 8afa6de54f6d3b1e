import Libvirt
import VirtXML

/// The `net` use cases: libvirt networks on Open vSwitch bridges.
public enum Networks {
  /// A portgroup as a command line states it.
  public struct Portgroup: Sendable, Equatable {
    public var name: String
    /// None (no VLAN), one (access) or several (trunk).
    public var vlans: [Int]
    /// The native VLAN of a trunk, and whether its frames leave tagged.
    public var native: Int?
    public var nativeTagged: Bool
    public var isDefault: Bool

    public init(name: String, vlans: [Int], native: Int? = nil, nativeTagged: Bool = false, isDefault: Bool = false) {
      self.name = name
      self.vlans = vlans
      self.native = native
      self.nativeTagged = nativeTagged
      self.isDefault = isDefault
    }

    var definition: NetworkDefinition.Portgroup {
      let vlan: VLANTags?
      if vlans.isEmpty && native == nil {
        vlan = nil
      } else if vlans.count == 1 && native == nil {
        vlan = .access(vlans[0])
      } else {
        vlan = .trunk(vlans, native: native.map { ($0, nativeTagged ? .tagged : .untagged) })
      }
      return NetworkDefinition.Portgroup(name: name, vlan: vlan, isDefault: isDefault)
    }
  }

  /// What `net define` writes: every rule a user can break is checked here, before libvirt is asked
  /// anything, and refused (exit 1) with the network named.
  public struct Definition: Sendable {
    public var name: String
    public var bridge: String
    public var vlan: Int?
    public var portgroups: [Portgroup]

    public init(name: String, bridge: String, vlan: Int?, portgroups: [Portgroup]) {
      self.name = name
      self.bridge = bridge
      self.vlan = vlan
      self.portgroups = portgroups
    }

    /// The network's XML, from the templates in force.
    public func xml(_ libvirt: LibvirtAccess) throws(CommandFailure) -> String {
      let subject = "network '\(name)'"
      // libvirt refuses these only after a round trip, with a message about XML (exit 2 then).
      guard !name.isEmpty, !name.contains("/"), name.utf8.count <= 200 else {
        throw .refused("\(subject): a network name is not empty, has no '/' and at most 200 bytes")
      }
      guard vlan == nil || portgroups.isEmpty else {
        throw .refused("\(subject): --vlan and --portgroup exclude each other (a portgroup carries its own VLAN)")
      }
      if let vlan, !(0...4095).contains(vlan) { throw .refused("\(subject): VLAN \(vlan) is outside 0–4095") }
      var seen: Set<String> = []
      for group in portgroups {
        guard !group.name.isEmpty else { throw .refused("\(subject): a portgroup has no name") }
        guard seen.insert(group.name).inserted else {
          throw .refused("\(subject): portgroup '\(group.name)' is named twice")
        }
        guard (group.vlans + (group.native.map { [$0] } ?? [])).allSatisfy({ (0...4095).contains($0) }) else {
          throw .refused("\(subject): portgroup '\(group.name)': VLANs are 0–4095")
        }
      }
      guard portgroups.filter(\.isDefault).count <= 1 else {
        throw .refused("\(subject): only one portgroup can be the default")
      }
      let definition = NetworkDefinition(
        name: name, bridge: bridge, vlan: vlan, portgroups: portgroups.map(\.definition))
      do {
        return try definition.xml(try libvirt.templates())
      } catch {
        throw CommandFailure.classify(error, subject: subject)
      }
    }
  }

  /// Defines the network (and optionally starts it and marks it autostart).
  public static func define(_ xml: String, start: Bool, autostart: Bool, _ libvirt: LibvirtAccess)
    throws(CommandFailure)
  {
    let connection = try libvirt.open()
    do {
      let network = try connection.defineNetwork(xml: xml)
      if autostart { try network.setAutostart(true) }
      if start, try !network.isActive() { try network.start() }
    } catch {
      throw CommandFailure.classify(error)
    }
  }

  public struct Summary: Sendable {
    public var name: String
    public var active: Bool
    public var autostart: Bool
  }

  public static func list(_ libvirt: LibvirtAccess) throws(CommandFailure) -> [Summary] {
    let connection = try libvirt.open()
    do {
      return try connection.networks().map { network in
        Summary(name: network.name, active: try network.isActive(), autostart: try network.autostart())
      }
    } catch {
      throw .failed("\(error)")
    }
  }

  /// The network's XML (the persistent definition with `inactive`).
  public static func xml(of name: String, inactive: Bool, _ libvirt: LibvirtAccess) throws(CommandFailure) -> String {
    let connection = try libvirt.open()
    do {
      return try connection.network(named: name).xml(inactive: inactive)
    } catch {
      throw CommandFailure.classify(error)
    }
  }

  /// Stops and undefines the network; false when it did not exist.
  public static func delete(_ name: String, _ libvirt: LibvirtAccess) throws(CommandFailure) -> Bool {
    let connection = try libvirt.open()
    do {
      let network = try connection.network(named: name)
      if try network.isActive() { try network.stop() }
      if try network.isPersistent() { try network.undefine() }
      return true
    } catch {
      if error.isNoNetwork { return false }
      throw .failed("\(error)")
    }
  }
}
