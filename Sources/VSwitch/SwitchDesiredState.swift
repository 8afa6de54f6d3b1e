/// What a caller wants the switch to hold, as values: the bridges, fake bridges and ports (bonds
/// and tunnels included) it names, and whether the ovsvirt-owned objects it no longer names go.
/// `SwitchPlanner.converge` turns the difference with a `SwitchState` into operations; the caller
/// (the spec of `apply`) never names an Open_vSwitch table or column.
public struct SwitchDesiredState: Sendable, Equatable {
  /// A real bridge; nil settings are left as they are.
  public struct Bridge: Sendable, Equatable {
    public var name: InterfaceName
    public var datapathType: String?
    public var rstp: Bool?
    public var rstpPriority: Int?
    /// RSTP is on for ovsvirt's own tunnel mesh (marked, so it can go with the mesh).
    public var meshRSTP: Bool

    public init(
      name: InterfaceName, datapathType: String? = nil, rstp: Bool? = nil, rstpPriority: Int? = nil,
      meshRSTP: Bool = false
    ) {
      self.name = name
      self.datapathType = datapathType
      self.rstp = rstp
      self.rstpPriority = rstpPriority
      self.meshRSTP = meshRSTP
    }
  }

  /// A fake VLAN bridge (ovs-vsctl's `add-br NAME PARENT VLAN`).
  public struct FakeBridge: Sendable, Equatable {
    public var name: InterfaceName
    public var parent: String
    public var vlan: VLANID

    public init(name: InterfaceName, parent: String, vlan: VLANID) {
      self.name = name
      self.parent = parent
      self.vlan = vlan
    }
  }

  /// A port with one interface (system, internal, tunnel, patch) or several (a bond).
  public struct Port: Sendable, Equatable {
    public var name: InterfaceName
    /// A real bridge or one of the fake bridges (whose parent then holds the port).
    public var bridge: String
    public var vlan: VLANSettings
    public var interfaces: [InterfaceSpec]
    public var bondMode: String?
    public var lacp: String?
    /// For a tunnel of a cluster mesh: the host at the other end (`SwitchTables.peerKey`). Marked
    /// tunnels the desired state no longer names are removed even without prune: their host left.
    public var meshPeer: String?

    public init(
      name: InterfaceName, bridge: String, vlan: VLANSettings = .untagged, interfaces: [InterfaceSpec],
      bondMode: String? = nil, lacp: String? = nil, meshPeer: String? = nil
    ) {
      self.name = name
      self.bridge = bridge
      self.vlan = vlan
      self.interfaces = interfaces
      self.bondMode = bondMode
      self.lacp = lacp
      self.meshPeer = meshPeer
    }
  }

  /// One entry of the Open_vSwitch root row's external_ids to set (or, with a nil value, remove);
  /// `detail` says what it records, for the change listed.
  public struct RootMark: Sendable, Equatable {
    public var key: String
    public var value: String?
    public var detail: String

    public init(key: String, value: String?, detail: String) {
      self.key = key
      self.value = value
      self.detail = detail
    }
  }

  public var bridges: [Bridge]
  public var fakeBridges: [FakeBridge]
  public var ports: [Port]
  /// Entries of the root row's external_ids (the networks on record, an OVN chassis's settings).
  public var rootMarks: [RootMark]
  /// The switch's TLS settings (an OVN chassis with an ssl: Southbound); nil leaves them as they are.
  public var ssl: SwitchSSL?
  /// Remove the ovsvirt-owned bridges, fake bridges and ports not named here (never a VM port,
  /// never a bridge holding a VM port or a port ovsvirt did not create).
  public var prune: Bool

  public init(
    bridges: [Bridge] = [], fakeBridges: [FakeBridge] = [], ports: [Port] = [], rootMarks: [RootMark] = [],
    ssl: SwitchSSL? = nil, prune: Bool = false
  ) {
    self.ssl = ssl
    self.bridges = bridges
    self.fakeBridges = fakeBridges
    self.ports = ports
    self.rootMarks = rootMarks
    self.prune = prune
  }

  /// The real bridge that holds ports of `bridge` (itself, or a fake bridge's parent).
  public func realBridge(of bridge: String) -> String {
    fakeBridges.first { $0.name.rawValue == bridge }?.parent ?? bridge
  }

  /// Every OVS name declared: bridges, fake bridges and ports.
  public var declaredNames: Set<String> {
    Set(bridges.map(\.name.rawValue) + fakeBridges.map(\.name.rawValue) + ports.map(\.name.rawValue))
  }

  /// The bridges with RSTP on from which converging takes a mesh tunnel (their host left):
  /// `SwitchPlanner.nudgeRSTP` must follow once ovs-vswitchd has applied the removal.
  public func bridgesLosingMeshTunnels(state: SwitchState) -> [String] {
    let declared = declaredNames
    let bridges = state.ports.values.filter { port in
      port.externalIDs[SwitchTables.peerKey] != nil && !declared.contains(port.name)
    }.map(\.bridge)
    return Set(bridges).sorted().filter { name in
      guard let bridge = state.bridges[name], !bridge.isFake else { return false }
      let desired = self.bridges.first { $0.name.rawValue == name }
      // RSTP that ovsvirt turned on for the mesh goes with it: nothing to re-elect.
      if desired?.rstp == nil, Self.hasMeshRSTP(bridge) { return false }
      return desired?.rstp ?? bridge.rstpEnabled
    }
  }
}

extension SwitchDesiredState {
  /// Whether `bridge` carries the RSTP ovsvirt turned on for a tunnel mesh (marked so in its
  /// external_ids): the only RSTP ovsvirt ever turns off again.
  public static func hasMeshRSTP(_ bridge: BridgeView) -> Bool {
    bridge.externalIDs[SwitchTables.meshRSTPKey] != nil
  }

  /// Whether converging `existing` to `desired` turns its mesh RSTP off (the mesh is gone from the
  /// spec: two hosts, a star, OVN).
  public static func dropsMeshRSTP(_ existing: BridgeView, as desired: Bridge) -> Bool {
    desired.rstp == nil && hasMeshRSTP(existing) && existing.rstpEnabled
  }

  /// The bridges whose mesh RSTP this plan turns off: `SwitchPlanner.reopenTunnels` must follow
  /// once ovs-vswitchd has applied it.
  public func bridgesDroppingMeshRSTP(state: SwitchState) -> [String] {
    bridges.compactMap { desired in
      guard let existing = state.bridges[desired.name.rawValue], !existing.isFake,
        Self.dropsMeshRSTP(existing, as: desired)
      else { return nil }
      return existing.name
    }.sorted()
  }
}

extension SwitchDesiredState.Port {
  /// "tunnel", "bond" or "port", for messages.
  public var kind: String {
    if interfaces.count > 1 { return "bond" }
    return interfaces.first?.kind.isTunnel == true ? "tunnel" : "port"
  }

  /// What an added port is, for the change listed: "on br0 vxlan to 10.0.0.2 key 5 (host b)".
  public var addDetail: String {
    var parts = ["on \(bridge)"]
    if let interface = interfaces.first, interface.kind.isTunnel {
      parts.append(interface.kind.rawValue)
      if let remote = interface.options["remote_ip"] { parts.append("to \(remote)") }
      if let key = interface.options["key"] { parts.append("key \(key)") }
      if let peer = meshPeer { parts.append("(host \(peer))") }
    } else {
      if interfaces.count > 1 { parts.append("members \(interfaces.map(\.name.rawValue).joined(separator: ","))") }
      if let kind = interfaces.first?.kind, kind != .system, interfaces.count == 1 { parts.append(kind.label) }
      parts.append(vlan.summary)
    }
    return parts.joined(separator: " ")
  }
}
