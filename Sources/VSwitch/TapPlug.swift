import OVSDB

/// Everything a hypervisor's plug puts on Open vSwitch for one VM NIC (a tap), as libvirt's own
/// plug does it: the port on its bridge with its VLAN columns, the interface's external_ids, and,
/// when the NIC has a bandwidth, ingress policing on the interface and a linux-htb QoS with one
/// queue on the port. `SwitchPlanner.ensurePort` makes OVS hold exactly this.
public struct TapPlug: Sendable, Equatable {
  /// Policing of what the VM sends (Interface.ingress_policing_rate / _burst): kbit/s and kbit.
  public struct Policing: Sendable, Equatable {
    public var rate: Int64
    public var burst: Int64
    public init(rate: Int64, burst: Int64) {
      self.rate = rate
      self.burst = burst
    }
    public static let off = Policing(rate: 0, burst: 0)
  }

  /// Shaping of what the VM receives: a linux-htb QoS on the port whose queue 0 has the same
  /// other_config (min-rate, max-rate, burst in bits per second and bits), both rows carrying
  /// `externalIDs` (libvirt finds its rows by vm-id and ifname).
  public struct Shaping: Sendable, Equatable {
    public var otherConfig: [String: String]
    public var externalIDs: [String: String]
    public init(otherConfig: [String: String], externalIDs: [String: String]) {
      self.otherConfig = otherConfig
      self.externalIDs = externalIDs
    }
  }

  /// What the plug says about shaping.
  public enum ShapingRequest: Sendable, Equatable {
    /// The NIC has no bandwidth at all: whatever the port has is left alone.
    case leave
    /// The NIC has a bandwidth without an inbound rate: a QoS the plug made (found by these
    /// external_ids, or marked as ovsvirt's) is taken off the port and deleted.
    case none(externalIDs: [String: String])
    case linuxHTB(Shaping)
  }

  public var name: String
  public var bridge: String
  public var vlan: VLANSettings
  /// Interface.external_ids to have (other keys are kept).
  public var interfaceExternalIDs: [String: String]
  /// Port.external_ids to have (other keys are kept).
  public var portExternalIDs: [String: String]
  /// nil: the NIC has no bandwidth, the columns are left as they are.
  public var policing: Policing?
  public var shaping: ShapingRequest

  public init(
    name: String, bridge: String, vlan: VLANSettings, interfaceExternalIDs: [String: String],
    portExternalIDs: [String: String] = [:], policing: Policing? = nil, shaping: ShapingRequest = .leave
  ) {
    self.name = name
    self.bridge = bridge
    self.vlan = vlan
    self.interfaceExternalIDs = interfaceExternalIDs
    self.portExternalIDs = portExternalIDs
    self.policing = policing
    self.shaping = shaping
  }
}
