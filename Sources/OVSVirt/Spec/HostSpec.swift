import VSwitch
import VirtXML

/// What one host should look like, from a spec file: its OVS bridges, fake VLAN bridges, ports and
/// tunnels (cluster mesh already derived for this host), its libvirt networks, and VM NIC
/// attachments. Everything in it has been validated; each object knows where it was written.
public struct HostSpec: Sendable {
  public struct Bridge: Sendable, Equatable {
    public var name: InterfaceName
    public var datapathType: String?
    /// nil leaves rstp_enable as it is.
    public var rstp: Bool?
    /// other_config:rstp-priority, so the spanning tree's roles are the same on every run (nil:
    /// left as it is).
    public var rstpPriority: Int? = nil
    /// RSTP is on because ovsvirt's tunnel mesh needs it (not because the spec's bridge said so).
    public var meshRSTP = false
    public var location: SpecLocation
  }

  public struct FakeBridge: Sendable, Equatable {
    public var name: InterfaceName
    public var parent: String
    public var vlan: VLANID
    public var location: SpecLocation
  }

  /// A port (system, internal, patch, bond or tunnel) on a bridge as the user names it.
  public struct Port: Sendable, Equatable {
    public var name: InterfaceName
    public var bridge: String
    public var vlan: VLANSettings
    public var interfaces: [InterfaceSpec]
    public var bondMode: String?
    public var lacp: String?
    /// For a tunnel of the cluster mesh: the host at the other end (external_ids:ovsvirt-peer).
    public var meshPeer: String?
    public var location: SpecLocation
  }

  public struct Network: Sendable, Equatable {
    public var definition: NetworkDefinition
    public var autostart: Bool
    /// `mtu:`, the MTU of the guests on this network. libvirt takes no `<mtu>` on a bridge-mode
    /// network, so it goes on each NIC ovsvirt writes on the network (`Attachment.mtu`).
    public var guestMTU: Int? = nil
    public var location: SpecLocation
  }

  /// One VM NIC, by domain and MAC, and where it joins.
  public struct Attachment: Sendable, Equatable {
    public var domain: String
    public var mac: String
    public var target: InterfaceTarget
    /// The NIC's `<mtu size>`: its network's `mtu:`, nil to leave the NIC's MTU as it is.
    public var mtu: Int? = nil
    public var location: SpecLocation
  }

  /// How the file speaks of bridges. Pruning depends on it: an empty or truncated file, or one
  /// that only lists networks, must never read as "remove every bridge ovsvirt created".
  public enum BridgeStatement: Sendable, Equatable {
    /// Nothing in the file at all: empty, or only comments and blank lines.
    case blankFile
    /// No `bridges:` list (or `bridges:` with nothing after it).
    case absent
    /// `bridges: []`, written out: this host is to have no bridges of ovsvirt's.
    case emptyList
    /// `bridges:` with entries.
    case listed
  }

  public var file: String
  /// The cluster host this spec was resolved for, if the file has a cluster.
  public var host: String?
  public var bridgeStatement: BridgeStatement = .blankFile
  public var bridges: [Bridge] = []
  public var fakeBridges: [FakeBridge] = []
  public var ports: [Port] = []
  public var networks: [Network] = []
  public var attachments: [Attachment] = []
  /// Decisions the spec implies that a reader should know about (e.g. RSTP for a mesh).
  public var notes: [String] = []
  /// What the cluster's tunnels leave for a guest's frames, when this spec has a cluster.
  public var tunnelMTU: TunnelMTU?
  /// This host's tunnel address and its peers' (a cluster on a netdev bridge: userspace
  /// tunnelling, whose peers `apply` announces; see `TunnelPeerAnnouncer`).
  public var tunnelPeers: (local: String, peers: [String])?
  /// `engine: ovn`: this host as an OVN chassis (no tunnels of ovsvirt's own then).
  public var ovn: OVNChassis?
  /// With `engine: ovn`: the spec's networks (and portgroups) as logical switches.
  public var logicalNetworks: [LogicalNetwork] = []

  /// The real bridge that holds ports of `bridge` (itself, or a fake bridge's parent).
  public func realBridge(of bridge: String) -> String {
    fakeBridges.first { $0.name.rawValue == bridge }?.parent ?? bridge
  }

  /// Every OVS name the spec declares: bridges, fake bridges and ports.
  public var declaredNames: Set<String> {
    Set(bridges.map(\.name.rawValue) + fakeBridges.map(\.name.rawValue) + ports.map(\.name.rawValue))
  }
}

/// The MTU budget of a tunnelled bridge: what an underlay MTU leaves for a VM's IP packets once the
/// outer headers and the inner 802.1Q tag are counted.
public struct TunnelMTU: Sendable, Equatable {
  public var bridge: String
  public var kind: InterfaceSpec.Kind
  public var underlayMTU: Int
  public var ipv6: Bool
  public var keyed: Bool

  /// Bytes a tunnelled, VLAN-tagged guest frame adds to its IP packet on the underlay: the outer IP
  /// header (20, or 40 over IPv6), UDP (8) and VXLAN or Geneve (8) — or GRE (4, 8 with a key) —,
  /// the inner Ethernet header (14) and the inner 802.1Q tag (4).
  public var overhead: Int {
    let outerIP = ipv6 ? 40 : 20
    let encapsulation: Int
    switch kind {
    case .gre: encapsulation = keyed ? 8 : 4
    default: encapsulation = 8 + 8
    }
    return outerIP + encapsulation + 14 + 4
  }

  /// The largest guest MTU that crosses the tunnels whole.
  public var guestMTU: Int { underlayMTU - overhead }
}
