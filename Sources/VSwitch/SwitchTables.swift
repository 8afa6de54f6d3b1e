import OVSDB

/// What VSwitch replicates from the Open_vSwitch database: enough to plan every command and to
/// guard what it read. Status columns the switch writes (statistics, status…) are left out.
public enum SwitchTables {
  public static let monitored: [String: [String]?] = [
    "Open_vSwitch": ["bridges", "next_cfg", "cur_cfg", "datapath_types", "external_ids", "ovs_version", "ssl"],
    "SSL": ["private_key", "certificate", "ca_cert"],
    "Bridge": [
      "name", "ports", "datapath_type", "fail_mode", "stp_enable", "rstp_enable", "external_ids", "other_config",
    ],
    "Port": [
      "name", "interfaces", "tag", "trunks", "vlan_mode", "fake_bridge", "bond_mode", "lacp", "qos", "external_ids",
      "other_config",
    ],
    "Interface": [
      "name", "type", "options", "mtu_request", "ofport", "external_ids", "other_config", "ingress_policing_rate",
      "ingress_policing_burst", "error",
    ],
    "QoS": ["type", "other_config", "queues", "external_ids"],
    "Queue": ["dscp", "other_config", "external_ids"],
  ]

  /// What `show` prints: the root row (its uuid, the version), each bridge with its ports and their
  /// VLANs (fake bridges among them), each interface with its type, options, error and (--json)
  /// ofport. At 10,000 ports the server sends about half the bytes of `monitored`, and both sides
  /// handle half the atoms.
  public static let shown: [String: [String]?] = [
    "Open_vSwitch": ["bridges", "ovs_version"],
    "Bridge": ["name", "ports", "datapath_type"],
    "Port": ["name", "interfaces", "tag", "trunks", "vlan_mode", "fake_bridge"],
    "Interface": ["name", "type", "options", "ofport", "error"],
  ]

  /// What `port list` and `bridge list` print: bridges (fake ones found by their tagged ports) and
  /// ports with their VLANs; no interface.
  public static let listed: [String: [String]?] = [
    "Open_vSwitch": ["bridges"],
    "Bridge": ["name", "ports", "datapath_type"],
    "Port": ["name", "tag", "trunks", "vlan_mode", "fake_bridge"],
  ]

  /// What `tunnel list` prints: interfaces' names, types and options.
  public static let tunnels: [String: [String]?] = ["Interface": ["name", "type", "options"]]

  /// The external_ids key ovsvirt sets on every row it creates; reconcile and prune only delete
  /// rows carrying it.
  public static let ownerKey = "ovsvirt-owner"
  public static let ownerValue = "ovsvirt"
  /// The mark itself, as external_ids.
  public static let ownerIDs = [ownerKey: ownerValue]
  /// The Port external_ids key naming the cluster host at the other end of a mesh tunnel: such a
  /// tunnel goes when the desired state no longer names it (its host left).
  public static let peerKey = "ovsvirt-peer"
  /// The Bridge external_ids key saying ovsvirt turned RSTP on for its tunnel mesh: once the spec no
  /// longer asks for RSTP there (a cluster moved to OVN, or to a star), ovsvirt turns it off again,
  /// and only then: RSTP an admin enabled is never touched.
  public static let meshRSTPKey = "ovsvirt-mesh-rstp"

  /// Whether `externalIDs` carry ovsvirt's mark (prune only removes such rows).
  public static func isOwned(_ externalIDs: [String: String]) -> Bool { externalIDs[ownerKey] == ownerValue }
}
