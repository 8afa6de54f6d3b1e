/// What `ovsvirt check` found, hop by hop along the path a VM NIC's frames take: each hop says what
/// is there, whether it is right, and when not, the command or change that fixes it.
public struct CheckReport: Sendable {
  public enum Verdict: String, Sendable {
    /// As it should be.
    case ok
    /// Breaks the path; `fix` says what to do.
    case problem
    /// Worth knowing, not a fault by itself (e.g. what the peer host should have, per the spec).
    case info
  }

  /// One hop: libvirt NIC, VLAN, OVS port, bridge, uplink, tunnel, peer host, MTU, Open vSwitch's trace.
  public struct Hop: Sendable, Equatable {
    /// nic, vlan, port, bridge, uplink, tunnel, peer, to, mtu, trace.
    public var kind: String
    public var verdict: Verdict
    public var detail: String
    public var fix: String?

    public init(_ kind: String, _ verdict: Verdict, _ detail: String, fix: String? = nil) {
      self.kind = kind
      self.verdict = verdict
      self.detail = detail
      self.fix = fix
    }
  }

  /// The path of one NIC (to a peer NIC or host, when one was named).
  public struct Path: Sendable {
    public var domain: String
    public var mac: String?
    public var tap: String?
    /// "DOMAIN/MAC" or "host NAME" when a destination was named.
    public var destination: String?
    public var hops: [Hop]
    public var healthy: Bool { !hops.contains { $0.verdict == .problem } }
  }

  /// The host checked (its name in the cluster spec, when one was given).
  public var host: String?
  public var paths: [Path]
  public var healthy: Bool { paths.allSatisfy(\.healthy) }
}
