/// One spec network (or one of its portgroups) as an OVN logical switch: a VLAN network gets a
/// `localnet` port, so its traffic leaves each chassis on the physical network with its VLAN tag,
/// as before; a network without a VLAN is an overlay, carried between chassis by Geneve.
public struct LogicalNetwork: Sendable, Equatable {
  /// Where a VLAN network meets the physical network: the bridge mapping's name and the VLAN.
  public struct Localnet: Sendable, Equatable {
    public var physicalNetwork: String
    public var vlan: Int

    public init(physicalNetwork: String, vlan: Int) {
      self.physicalNetwork = physicalNetwork
      self.vlan = vlan
    }
  }

  /// The libvirt network, and the portgroup (nil: the network as a whole).
  public var network: String
  public var portgroup: String?
  /// Whether a NIC that names no portgroup lands here (the network's default portgroup).
  public var isDefault: Bool
  /// `ovsvirt-NETWORK[-PORTGROUP]`.
  public var switchName: String
  /// The physical network and VLAN of the localnet port; nil for an overlay.
  public var localnet: Localnet?

  public init(
    network: String, portgroup: String?, isDefault: Bool, localnet: Localnet?
  ) {
    self.network = network
    self.portgroup = portgroup
    self.isDefault = isDefault
    self.switchName = "ovsvirt-" + network + (portgroup.map { "-" + $0 } ?? "")
    self.localnet = localnet
  }

  /// The localnet port's name: unique in the Northbound database, as every port name must be.
  public var localnetPortName: String { switchName + "-localnet" }
}

extension Array where Element == LogicalNetwork {
  /// Where a NIC on `network` (and `portgroup`) belongs: that portgroup's switch, or with none named
  /// the network's own or its default portgroup's.
  public func logicalSwitch(network: String, portgroup: String?) -> LogicalNetwork? {
    let ofNetwork = filter { $0.network == network }
    if let portgroup { return ofNetwork.first { $0.portgroup == portgroup } }
    return ofNetwork.first { $0.portgroup == nil } ?? ofNetwork.first { $0.isDefault }
  }
}
