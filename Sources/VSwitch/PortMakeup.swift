/// What a port is made of, whoever asks for it (`port add`'s flags or a spec): one interface or a
/// bond of several, the interface type, bond settings, a patch peer and the MTU. The rules it must
/// follow live here once; each broken rule names the setting it is about, so a spec can point at
/// the very key.
public struct PortMakeup: Sendable {
  public static let lacpModes = ["active", "passive", "off"]
  public static let bondModes = ["active-backup", "balance-slb", "balance-tcp"]
  /// `mtu_request` OVS accepts: from the IPv4 minimum up to a 16-bit length.
  public static let mtuRange = 68...65535

  /// A broken rule and the setting it is about: "type", "bond", "bond_mode", "lacp", "peer" or "mtu".
  public struct Problem: Sendable {
    public var setting: String
    public var error: ValidationError
  }

  public var port: String
  /// The interface type; a bond's members are always `.system`.
  public var kind: InterfaceSpec.Kind
  /// How many interfaces a bond was given; 0 for a plain port.
  public var bondMembers: Int
  public var bondMode: String?
  public var lacp: String?
  public var peer: String?
  public var mtu: Int?

  public init(
    port: String, kind: InterfaceSpec.Kind, bondMembers: Int = 0, bondMode: String? = nil, lacp: String? = nil,
    peer: String? = nil, mtu: Int? = nil
  ) {
    self.port = port
    self.kind = kind
    self.bondMembers = bondMembers
    self.bondMode = bondMode
    self.lacp = lacp
    self.peer = peer
    self.mtu = mtu
  }

  /// Every rule this make-up breaks, in a fixed order.
  public var problems: [Problem] {
    var found: [Problem] = []
    func refuse(_ setting: String, _ problem: String, _ fix: String) {
      found.append(
        Problem(setting: setting, error: ValidationError(subject: "port '\(port)'", problem: problem, fix: fix)))
    }
    if bondMembers > 0 {
      if kind != .system {
        refuse("type", "a bond's members are system interfaces, not \(kind.label)", "drop the interface type")
      }
      if bondMembers < 2 {
        refuse("bond", "a bond needs at least two members", "list two or more interfaces, or make it a plain port")
      }
    } else {
      if bondMode != nil {
        refuse("bond_mode", "'bond_mode' applies to bonds only", "give it bond members, or drop it")
      }
      if lacp != nil { refuse("lacp", "'lacp' applies to bonds only", "give it bond members, or drop it") }
    }
    if let bondMode, !Self.bondModes.contains(bondMode) {
      refuse(
        "bond_mode", "bond_mode '\(bondMode)' is not one of \(Self.bondModes.joined(separator: ", "))",
        "use one of them")
    }
    if let lacp, !Self.lacpModes.contains(lacp) {
      refuse("lacp", "lacp '\(lacp)' is not one of \(Self.lacpModes.joined(separator: ", "))", "use one of them")
    }
    if kind == .patch && peer == nil {
      refuse("peer", "a patch port needs its peer", "name the patch port on the other bridge")
    }
    if peer != nil && kind != .patch {
      refuse("peer", "only a patch port has a peer", "make it a patch port, or drop the peer")
    }
    if let mtu, !Self.mtuRange.contains(mtu) {
      refuse("mtu", "MTU \(mtu) is out of range", "use 68–65535 (9000 for jumbo frames)")
    }
    return found
  }
}

extension InterfaceSpec.Kind {
  /// vxlan, geneve or gre.
  public var isTunnel: Bool { self == .vxlan || self == .geneve || self == .gre }

  /// The type as users write it ("system" for the empty type).
  public var label: String { self == .system ? "system" : rawValue }
}
