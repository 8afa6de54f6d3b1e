import OVSDB
import VSwitch

/// What ovn-controller reads from a hypervisor's Open_vSwitch root row (`external_ids`) to make it
/// a chassis of the cluster: which Southbound database, its own tunnel address and encapsulation,
/// which local bridge a `localnet` port's physical network is, and the datapath of the br-int it
/// creates. ovsvirt writes these from the cluster spec on every host, the same on every run.
public struct OVNChassis: Sendable, Equatable {
  /// The host's name in the spec: the chassis `hostname`, and what a port's requested-chassis says.
  public var hostname: String
  public var southbound: [String]
  public var northbound: [String]
  /// geneve (default) or vxlan.
  public var encapType: String
  public var encapIP: String
  /// `physnet-BRIDGE:BRIDGE`: the cluster bridge is where VLAN networks meet the physical network.
  public var physicalNetwork: String
  public var bridge: String
  /// `netdev` when the cluster bridge is (then br-int must be too).
  public var datapathType: String?
  /// The cluster's `underlay_mtu` (1500 unless said).
  public var underlayMTU: Int = 1500
  /// `ofctrl_wait_before_clear` (ms), written as `ovn-ofctrl-wait-before-clear` only when the spec
  /// gives it: how long ovn-controller keeps the flows it finds in Open vSwitch after (re)connecting
  /// to it, while it computes its own. It spares a restarted ovn-controller's VMs an outage where
  /// computing flows takes seconds (large clusters), but it also holds back the first flows of a
  /// restarted or wiped Open vSwitch, which has none to keep: measured in the sandbox, a wiped host's
  /// guests were cut 10 s with 8000 against 3.5 s without. OVN's default (0) is kept otherwise,
  /// and so is a value an admin set by hand.
  public var ofctrlWaitBeforeClear: Int?
  /// `ovn: {ssl: …}`: key and certificates for ovsvirt's own `ssl:` connections to the central
  /// databases, and ovn-controller's for an `ssl:` Southbound (see `controllerSSL`).
  public var tls: TLSFiles?

  /// With an `ssl:` Southbound remote, the same files as this switch's SSL settings, where
  /// ovn-controller reads its key and certificates (as `ovs-vsctl set-ssl` writes them).
  public var controllerSSL: SwitchSSL? {
    guard southbound.contains(where: { $0.hasPrefix("ssl:") }), let tls, let privateKey = tls.privateKey,
      let certificate = tls.certificate, let caCertificate = tls.caCertificate
    else { return nil }
    return SwitchSSL(privateKey: privateKey, certificate: certificate, caCertificate: caCertificate)
  }

  /// What an overlay network's frames carry on the underlay: outer IPv4 (20) or IPv6 (40), UDP (8),
  /// Geneve (8) with OVN's 8 bytes of options (VXLAN: 8, no options), and the guest's Ethernet
  /// header (14). Measured in the sandbox: an inner IP packet of 1442 bytes crosses a 1500 underlay.
  public var overlayOverhead: Int {
    (encapIP.contains(":") ? 40 : 20) + 8 + (encapType == "vxlan" ? 8 : 16) + 14
  }

  /// The largest guest MTU an overlay network fits.
  public var overlayGuestMTU: Int { underlayMTU - overlayOverhead }

  /// The root-row entries to write. `system-id` names the chassis and must never change under a
  /// running ovn-controller: it is set only where none is (a host keeps the one it has).
  public func marks(current: [String: String]) -> [SwitchDesiredState.RootMark] {
    var wanted: [(String, String)] = [
      ("hostname", hostname), ("ovn-remote", southbound.joined(separator: ",")), ("ovn-encap-type", encapType),
      ("ovn-encap-ip", encapIP), ("ovn-bridge-mappings", "\(physicalNetwork):\(bridge)"),
    ]
    if current["system-id"] == nil { wanted.insert(("system-id", hostname), at: 0) }
    if let datapathType { wanted.append(("ovn-bridge-datapath-type", datapathType)) }
    if let ofctrlWaitBeforeClear { wanted.append(("ovn-ofctrl-wait-before-clear", String(ofctrlWaitBeforeClear))) }
    return wanted.map { key, value in
      SwitchDesiredState.RootMark(key: key, value: value, detail: "OVN chassis: \(key)=\(value)")
    }
  }
}
