import OVSDB
import VSwitch

/// The rules of `ovsvirt check`: from what was read (libvirt, OVSDB here and on the peer, the spec,
/// ovs-vswitchd's trace) to one hop after another with a verdict and a fix. Pure: no I/O here.
struct PathRules {
  typealias Hop = CheckReport.Hop

  let request: CheckRequest
  let state: SwitchState
  let peerState: SwitchState?
  let mySpec: HostSpec?
  let peerSpecs: [String: HostSpec]
  let thisHost: String?
  /// The hosts the path leads to (named with --to-host, or every tunnel peer the spec gives).
  let peers: [String]
  let to: CheckedNIC?
  let peerNetworks: [String: PeerNetwork]

  var specName: String { request.specPath ?? "SPEC" }
  var hostArgument: String { thisHost.map { " --host \($0)" } ?? "" }

  func path(for nic: CheckedNIC, trace: FrameTrace?) -> CheckReport.Path {
    var path = CheckReport.Path(
      domain: nic.domain, mac: nic.mac, tap: nic.nic.targetDevice,
      destination: to.map { "\($0.domain)/\($0.mac ?? "?")" } ?? request.toHost.map { "host \($0)" }, hops: [])
    let name = "\(nic.domain) NIC \(nic.mac ?? "?")"
    guard nic.running else {
      path.hops.append(
        Hop("nic", .problem, "\(name): the VM is not running", fix: "start it (virsh start \(nic.domain))"))
      return path
    }
    guard let desired = nic.desired, let tap = nic.nic.targetDevice else {
      path.hops.append(
        Hop(
          "nic", .problem, "\(name) on \(nic.source) is not an Open vSwitch NIC libvirt plugged",
          fix: "put it on an OVS network: ovsvirt attach \(nic.domain) --mac \(nic.mac ?? "MAC") --network NETWORK"))
      return path
    }
    path.hops.append(Hop("nic", .ok, "\(name) → tap \(tap), source \(nic.source)"))
    path.hops.append(vlanHop(nic, desired: desired))
    path.hops += portHops(nic, desired: desired, tap: tap)
    let bridge = bridgeHop(nic, desired: desired, tap: tap)
    path.hops.append(bridge.hop)
    guard let real = bridge.real else { return path }
    let uplinks = Uplinks(state: state, bridge: real)
    let tunnels = peers.map { peerTunnel($0, uplinks: uplinks) }
    path.hops += uplinkHops(nic, desired: desired, uplinks: uplinks, tunnels: tunnels.compactMap(\.port))
    for (peer, found) in zip(peers, tunnels) {
      path.hops += tunnelHops(peer, found: found, vlan: desired.vlan)
      path.hops += peerNetworkHops(peer, nic: nic, desired: desired)
    }
    if let to { path.hops += toHops(nic, desired: desired, to: to) }
    let onPath = peers.isEmpty ? uplinks.tunnels : tunnels.compactMap(\.port)
    if let hop = mtuHop(tap: tap, tunnels: onPath, trace: trace) { path.hops.append(hop) }
    path.hops.append(traceHop(trace, desired: desired, tunnels: tunnels, problemsSoFar: !path.healthy))
    return path
  }

  // MARK: libvirt's side

  func vlanHop(_ nic: CheckedNIC, desired: DesiredPort) -> Hop {
    if let reason = desired.parkedBecause {
      let networkMissing = nic.networkGives.map { if case .failure = $0 { true } else { false } } ?? false
      return Hop(
        "vlan", .problem, "VLAN cannot be determined (\(reason)): libvirt's plug fails closed to VLAN 4095",
        fix: networkMissing
          ? "define the network (and portgroup) on this host: ovsvirt apply \(specName)\(hostArgument), then restart the VM's NIC"
          : "fix the interface's <vlan> (ovsvirt attach \(nic.domain) --mac \(nic.mac ?? "MAC") …)")
    }
    let vlan = Self.describe(desired.vlan)
    switch nic.networkGives {
    case .success(let gives) where gives == desired.vlan:
      return Hop("vlan", .ok, "\(vlan), from \(nic.source)")
    case .success(let gives):
      return Hop(
        "vlan", .info,
        "\(vlan): the interface's own <vlan> (or what \(nic.source) gave when the VM started), while \(nic.source) gives \(Self.describe(gives)) today; libvirt's precedence: interface > portgroup > network"
      )
    case .failure(let failure):
      return Hop("vlan", .info, "\(vlan), as plugged; \(nic.source) cannot be read now: \(failure.reason)")
    case nil:
      return Hop("vlan", .ok, "\(vlan), the interface's own")
    }
  }

  // MARK: Open vSwitch here

  func portHops(_ nic: CheckedNIC, desired: DesiredPort, tap: String) -> [Hop] {
    let reconcile = "ovsvirt reconcile --domain \(nic.domain)"
    guard let port = state.ports[tap] else {
      return [Hop("port", .problem, "no OVS port \(tap)", fix: "\(reconcile) (it adds the port as libvirt plugs it)")]
    }
    var hops: [Hop] = []
    let interface = state.interfaces[tap]
    if let error = interface?.error, !error.isEmpty {
      hops.append(
        Hop(
          "port", .problem,
          "ovs-vswitchd could not open interface \(tap)\(interface.map { $0.type.isEmpty ? "" : " (type \($0.type))" } ?? ""): \(error)",
          fix: "re-plug it as libvirt does: ovsvirt port del \(tap) && \(reconcile)"))
    } else if (interface?.ofport ?? -1) < 1 {
      hops.append(
        Hop(
          "port", .problem,
          "interface \(tap) has no OpenFlow port (ofport \(interface?.ofport.map(String.init) ?? "none"))",
          fix: "re-plug it: ovsvirt port del \(tap) && \(reconcile)"))
    }
    let have = port.vlanSettings
    if have.tag == .dead {
      hops.append(
        Hop(
          "port", .problem, "port \(tap) is parked on VLAN 4095: it passes no traffic",
          fix: desired.parkedBecause == nil
            ? "\(reconcile) (libvirt gives it \(Self.describe(desired.vlan)))"
            : "see the VLAN hop: once it resolves, \(reconcile)"))
    } else if have != desired.vlan {
      hops.append(
        Hop(
          "port", .problem, "port \(tap) has \(Self.describe(have)); libvirt gives \(Self.describe(desired.vlan))",
          fix: reconcile))
    }
    if hops.isEmpty {
      hops.append(
        Hop(
          "port", .ok,
          "port \(tap): ofport \(interface?.ofport.map(String.init) ?? "?"), \(Self.describe(have)), no error"))
    }
    return hops
  }

  func bridgeHop(_ nic: CheckedNIC, desired: DesiredPort, tap: String) -> (hop: Hop, real: BridgeView?) {
    guard let wanted = state.bridges[desired.bridge] else {
      return (
        Hop(
          "bridge", .problem, "bridge \(desired.bridge) does not exist (libvirt never creates it)",
          fix: mySpec != nil
            ? "ovsvirt apply \(specName)\(hostArgument)" : "ovsvirt bridge add \(desired.bridge) --datapath-type netdev"
        ),
        nil
      )
    }
    let real = wanted.parent.flatMap { state.bridges[$0] } ?? wanted
    let what =
      wanted.parent.map { "fake bridge \(wanted.name) (VLAN \(wanted.vlan ?? 0) on \($0))" } ?? "bridge \(wanted.name)"
    if let port = state.ports[tap], port.bridgeUUID != real.uuid {
      let actual = state.bridges.values.first { $0.uuid == port.bridgeUUID && !$0.isFake }?.name ?? "?"
      return (
        Hop(
          "bridge", .problem, "port \(tap) is on bridge \(actual); libvirt plugs it into \(what)",
          fix: "ovsvirt reconcile --domain \(nic.domain)"), real
      )
    }
    return (Hop("bridge", .ok, what), real)
  }

  func uplinkHops(_ nic: CheckedNIC, desired: DesiredPort, uplinks: Uplinks, tunnels onPath: [PortView]) -> [Hop] {
    let vlans = Self.vlans(of: desired.vlan)
    var hops: [Hop] = []
    for port in uplinks.all {
      let missing = vlans.filter { !Self.carries(port.vlanSettings, $0) }
      let isTunnel = uplinks.tunnels.contains { $0.uuid == port.uuid }
      let relevant = !isTunnel || peers.isEmpty || onPath.contains { $0.uuid == port.uuid }
      let kind = isTunnel ? "tunnel" : "uplink"
      if missing.isEmpty {
        if relevant { hops.append(Hop("uplink", .ok, "\(kind) \(port.name) carries \(Self.list(vlans))")) }
      } else {
        let trunks = Set(port.vlanSettings.trunks.map(\.value) + missing.compactMap { $0 }).sorted()
        hops.append(
          Hop(
            "uplink", relevant ? .problem : .info,
            "\(kind) \(port.name) (\(Self.describe(port.vlanSettings))) does not carry \(Self.list(missing))",
            fix: relevant
              ? "ovsvirt port set \(port.name) --trunk \(trunks.map(String.init).joined(separator: ",")) (or clear its trunks: it then carries every VLAN)"
              : nil))
      }
    }
    if uplinks.all.isEmpty {
      hops.append(
        Hop("uplink", .info, "bridge \(uplinks.bridge.name) has no uplink or tunnel: frames stay on this host"))
    }
    return hops
  }

  // MARK: tunnels and the peer host

  struct FoundTunnel {
    var port: PortView?
    var interface: InterfaceView?
    /// What the spec says this host's tunnel to the peer is.
    var expected: InterfaceSpec?
    var peerIP: String?
  }

  func peerTunnel(_ peer: String, uplinks: Uplinks) -> FoundTunnel {
    let expected = mySpec?.ports.first { $0.meshPeer == peer }?.interfaces.first
    let peerIP = expected?.options["remote_ip"]
    let port = uplinks.tunnels.first { port in
      port.externalIDs[SwitchTables.peerKey] == peer
        || (peerIP != nil && uplinks.interface(of: port)?.options["remote_ip"] == peerIP)
    }
    return FoundTunnel(
      port: port, interface: port.flatMap { uplinks.interface(of: $0) }, expected: expected, peerIP: peerIP)
  }

  func tunnelHops(_ peer: String, found: FoundTunnel, vlan: VLANSettings) -> [Hop] {
    let apply = "ovsvirt apply \(specName)\(hostArgument)"
    guard let port = found.port, let interface = found.interface else {
      let to = found.peerIP.map { " (\($0))" } ?? ""
      return [
        Hop(
          "tunnel", .problem, "no tunnel to \(peer)\(to) on this host",
          fix: mySpec != nil ? apply : "give --spec CLUSTER.yaml, or ovsvirt tunnel add BRIDGE NAME --remote-ip IP")
      ]
    }
    var hops: [Hop] = []
    let summary = Self.describe(tunnel: interface)
    var wrong: [String] = []
    if let error = interface.error, !error.isEmpty { wrong.append("ovs-vswitchd: \(error)") }
    if (interface.ofport ?? -1) < 1 { wrong.append("no OpenFlow port") }
    if let expected = found.expected {
      if interface.type != expected.kind.rawValue {
        wrong.append("type \(interface.type), the spec says \(expected.kind.rawValue)")
      }
      for (option, label) in [("remote_ip", "remote_ip"), ("key", "key (VNI)"), ("dst_port", "dst_port")] {
        let have = Self.normalized(option, interface.options[option], type: interface.type)
        let want = Self.normalized(option, expected.options[option], type: expected.kind.rawValue)
        if have != want { wrong.append("\(label) \(have), the spec says \(want)") }
      }
    }
    if wrong.isEmpty {
      hops.append(Hop("tunnel", .ok, "tunnel \(port.name) to \(peer): \(summary)"))
    } else {
      hops.append(
        Hop(
          "tunnel", .problem, "tunnel \(port.name) to \(peer) (\(summary)): \(wrong.joined(separator: "; "))",
          fix: mySpec != nil ? apply : "correct it with ovsvirt tunnel del/add"))
    }
    let peerExpected = thisHost.flatMap { me in peerSpecs[peer]?.ports.first { $0.meshPeer == me } }?.interfaces.first
    if let peerState {
      hops.append(peerTunnelHop(peer, local: interface, expected: peerExpected, peerState: peerState, vlan: vlan))
    } else if let peerExpected {
      hops.append(
        Hop(
          "peer", .info,
          "\(peer) should have tunnel \(peerExpected.name.rawValue): \(peerExpected.kind.rawValue) to \(peerExpected.options["remote_ip"] ?? "?"), key \(Self.normalized("key", peerExpected.options["key"], type: peerExpected.kind.rawValue)) (per \(specName); give --peer-db to look)"
        ))
    }
    return hops
  }

  func peerTunnelHop(
    _ peer: String, local: InterfaceView, expected: InterfaceSpec?, peerState: SwitchState, vlan: VLANSettings
  ) -> Hop {
    let myIP = expected?.options["remote_ip"]
    let back = peerState.ports.values.filter { port in
      port.interfaces.contains { uuid in
        guard let interface = peerState.interfacesByUUID[uuid],
          ["vxlan", "geneve", "gre", "stt"].contains(interface.type)
        else { return false }
        return port.externalIDs[SwitchTables.peerKey] == thisHost
          || (myIP != nil && interface.options["remote_ip"] == myIP)
      }
    }.first
    guard let back, let interface = back.interfaces.first.flatMap({ peerState.interfacesByUUID[$0] }) else {
      return Hop(
        "peer", .problem, "\(peer) has no tunnel back to \(thisHost ?? "this host")\(myIP.map { " (\($0))" } ?? "")",
        fix: "ovsvirt apply \(specName) --host \(peer) (on \(peer))")
    }
    var wrong: [String] = []
    if let error = interface.error, !error.isEmpty { wrong.append("ovs-vswitchd: \(error)") }
    let myKey = Self.normalized("key", local.options["key"], type: local.type)
    let theirKey = Self.normalized("key", interface.options["key"], type: interface.type)
    if myKey != theirKey { wrong.append("its key (VNI) is \(theirKey), this host's is \(myKey): frames are dropped") }
    let myPort = Self.normalized("dst_port", local.options["dst_port"], type: local.type)
    let theirPort = Self.normalized("dst_port", interface.options["dst_port"], type: interface.type)
    if myPort != theirPort { wrong.append("its dst_port is \(theirPort), this host's is \(myPort)") }
    if interface.type != local.type { wrong.append("it is \(interface.type), this host's is \(local.type)") }
    let missing = Self.vlans(of: vlan).filter { !Self.carries(back.vlanSettings, $0) }
    if !missing.isEmpty { wrong.append("it does not carry \(Self.list(missing))") }
    if wrong.isEmpty {
      return Hop("peer", .ok, "\(peer)'s tunnel \(back.name) back: \(Self.describe(tunnel: interface))")
    }
    return Hop(
      "peer", .problem, "\(peer)'s tunnel \(back.name): \(wrong.joined(separator: "; "))",
      fix: mySpec != nil
        ? "ovsvirt apply \(specName) on both hosts (--host \(thisHost ?? "THIS"), --host \(peer))"
        : "give both ends the same key and dst_port")
  }

  func peerNetworkHops(_ peer: String, nic: CheckedNIC, desired: DesiredPort) -> [Hop] {
    guard let network = nic.nic.sourceNetwork else { return [] }
    let applyPeer = "ovsvirt apply \(specName) --host \(peer) --connect URI-OF-\(peer)"
    guard let found = peerNetworks[nic.source] else {
      guard let mySpec else { return [] }
      let inSpec = mySpec.networks.contains { $0.definition.name == network }
      return [
        Hop(
          "peer", .info,
          inSpec
            ? "\(peer) should have libvirt network \(network) (per \(specName); give --peer-connect to look)"
            : "\(specName) does not define network \(network): other hosts may lack it")
      ]
    }
    guard let state = found.state else {
      return [
        Hop(
          "peer", .problem,
          "\(peer) has no libvirt network \(network): this NIC's VLAN has no VMs there, none can start",
          fix: mySpec != nil ? applyPeer : "define \(network) on \(peer) as here (ovsvirt net define …)")
      ]
    }
    if !state.active {
      return [
        Hop(
          "peer", .problem, "\(peer)'s network \(network) is defined but not running",
          fix: mySpec != nil ? applyPeer : "virsh net-start \(network) on \(peer)")
      ]
    }
    switch state.gives {
    case .failure(let failure):
      return [Hop("peer", .problem, "\(peer)'s network \(network): \(failure.reason)", fix: applyPeer)]
    case .success(let gives) where gives != desired.vlan:
      return [
        Hop(
          "peer", .problem,
          "on \(peer), \(nic.source) gives \(Self.describe(gives)); this NIC is on \(Self.describe(desired.vlan))",
          fix: overrideFix(nic, desired: desired) ?? applyPeer)
      ]
    case .success(let gives):
      return [Hop("peer", .ok, "\(peer) has \(nic.source), running, \(Self.describe(gives))")]
    }
  }

  /// When a NIC's own `<vlan>` overrides what its network gives: how to drop it.
  func overrideFix(_ nic: CheckedNIC, desired: DesiredPort) -> String? {
    guard case .success(let gives) = nic.networkGives, gives != desired.vlan, let network = nic.nic.sourceNetwork else {
      return nil
    }
    return
      "remove \(nic.domain)'s own <vlan> on NIC \(nic.mac ?? "?") (it overrides \(nic.source)): ovsvirt attach \(nic.domain) --mac \(nic.mac ?? "MAC") --network \(network)\(nic.nic.portgroup.map { " --portgroup \($0)" } ?? "") --live --config"
  }

  func toHops(_ nic: CheckedNIC, desired: DesiredPort, to: CheckedNIC) -> [Hop] {
    let name = "\(to.domain) NIC \(to.mac ?? "?")"
    guard to.running, let theirs = to.desired else {
      return [
        Hop(
          "to", .problem,
          to.running ? "\(name) is not an Open vSwitch NIC libvirt plugged" : "\(name): the VM is not running",
          fix: "start \(to.domain) (its host needs its network: \(to.source))")
      ]
    }
    if theirs.vlan != desired.vlan {
      let fix = overrideFix(nic, desired: desired) ?? overrideFix(to, desired: theirs)
      return [
        Hop(
          "to", .problem,
          "the two NICs are in different VLANs: \(nic.domain) on \(Self.describe(desired.vlan)) (\(nic.source)), \(to.domain) on \(Self.describe(theirs.vlan)) (\(to.source))",
          fix: fix ?? "put both NICs in one portgroup")
      ]
    }
    let where_ = request.peer.libvirtURI != nil ? peerState : state
    if let where_, let tap = to.nic.targetDevice {
      guard let port = where_.ports[tap], port.vlanSettings == theirs.vlan else {
        return [
          Hop(
            "to", .problem, "\(name): its port \(tap) is missing or not on \(Self.describe(theirs.vlan))",
            fix: "ovsvirt reconcile --domain \(to.domain) on its host")
        ]
      }
    }
    return [Hop("to", .ok, "\(name) is on \(Self.describe(theirs.vlan)) too (\(to.source))")]
  }

  // MARK: MTU and the trace

  func mtuHop(tap: String, tunnels: [PortView], trace: FrameTrace?) -> Hop? {
    guard !tunnels.isEmpty else { return nil }
    guard let guest = mtu(of: tap, in: state) else {
      return Hop("mtu", .info, "ovs-vswitchd reports no MTU for \(tap)")
    }
    var underlay: (mtu: Int, from: String)?
    if let bridge = trace?.underlayBridge, let real = state.bridges[bridge] {
      let members = state.ports.values.filter { $0.bridgeUUID == real.uuid }.flatMap(\.interfaces)
        .compactMap { state.interfacesByUUID[$0] }.compactMap { interface in
          mtu(of: interface.name, in: state).map { (interface.name, $0) }
        }
      if let lowest = members.min(by: { $0.1 < $1.1 }) {
        underlay = (lowest.1, "\(bridge)'s \(lowest.0)")
      }
    }
    if underlay == nil, let budget = mySpec?.tunnelMTU {
      underlay = (budget.underlayMTU, "underlay_mtu of \(specName)")
    }
    guard let underlay else {
      return Hop(
        "mtu", .info, "guest MTU \(guest) (tap \(tap)); the underlay MTU is unknown: give --spec with underlay_mtu")
    }
    var worst: (budget: TunnelMTU, tunnel: String)?
    for port in tunnels {
      guard let interface = port.interfaces.first.flatMap({ state.interfacesByUUID[$0] }),
        let kind = InterfaceSpec.Kind(rawValue: interface.type)
      else { continue }
      let budget = TunnelMTU(
        bridge: port.bridge, kind: kind, underlayMTU: underlay.mtu,
        ipv6: (interface.options["remote_ip"] ?? "").contains(":"), keyed: interface.options["key"] != nil)
      if worst == nil || budget.guestMTU < (worst?.budget.guestMTU ?? .max) { worst = (budget, port.name) }
    }
    guard let worst else { return nil }
    let stated =
      mySpec?.tunnelMTU.map {
        $0.underlayMTU != underlay.mtu ? "; \(specName) says underlay_mtu \($0.underlayMTU)" : ""
      } ?? ""
    let sum =
      "underlay MTU \(underlay.mtu) (\(underlay.from)) − \(worst.budget.overhead) bytes of \(worst.budget.kind.rawValue) headers and the inner 802.1Q tag = \(worst.budget.guestMTU)\(stated)"
    if guest > worst.budget.guestMTU {
      return Hop(
        "mtu", .problem,
        "guest MTU \(guest) (tap \(tap)) is too big for tunnel \(worst.tunnel): \(sum); bigger frames are dropped without notice",
        fix:
          "lower the guest's MTU to \(worst.budget.guestMTU) (<mtu size='\(worst.budget.guestMTU)'/> on the interface, or inside the guest), or raise the underlay MTU to \(guest + worst.budget.overhead)"
      )
    }
    return Hop("mtu", .ok, "guest MTU \(guest) fits tunnel \(worst.tunnel): \(sum)")
  }

  func traceHop(_ trace: FrameTrace?, desired: DesiredPort, tunnels: [FoundTunnel], problemsSoFar: Bool) -> Hop {
    guard let trace else {
      return Hop("trace", .info, "not traced: the NIC has no OVS port with an OpenFlow port number")
    }
    let summary = Self.describe(trace)
    let seeAbove = problemsSoFar ? "the ✗ hops above say why" : "look at the bridge's flows (ovs-ofctl dump-flows)"
    let vlan = desired.vlan.tag?.value ?? desired.vlan.trunks.first?.value
    if let to, request.peer.libvirtURI == nil, let tap = to.nic.targetDevice, state.ports[tap] != nil {
      if trace.outputs.contains(where: { $0.port == tap }) { return Hop("trace", .ok, "Open vSwitch: \(summary)") }
      return Hop("trace", .problem, "Open vSwitch: \(summary); the frame does not reach \(tap)", fix: seeAbove)
    }
    if !peers.isEmpty {
      var missing: [String] = []
      for (peer, found) in zip(peers, tunnels) {
        let reached = trace.tunnels.contains { out in
          out.port == found.port?.name && (vlan == nil || out.vlan == vlan || desired.vlan.mode == .nativeUntagged)
        }
        if !reached { missing.append("the tunnel to \(peer)") }
      }
      if missing.isEmpty { return Hop("trace", .ok, "Open vSwitch: \(summary)") }
      return Hop(
        "trace", .problem, "Open vSwitch: \(summary); the frame does not leave by \(missing.joined(separator: ", "))",
        fix: seeAbove)
    }
    if trace.isDropped { return Hop("trace", .problem, "Open vSwitch drops the frame", fix: seeAbove) }
    return Hop("trace", .ok, "Open vSwitch: \(summary)")
  }

  // MARK: words and small rules

  func mtu(of interface: String, in state: SwitchState) -> Int? {
    guard let uuid = state.interfaces[interface]?.uuid else { return nil }
    return state.snapshot.row("Interface", uuid)?["mtu"]?.scalar?.integerValue.map(Int.init)
  }

  /// The VLANs a NIC's frames are in on the bridge; nil is untagged (every VLAN, on a trunk NIC).
  static func vlans(of settings: VLANSettings) -> [Int?] {
    if settings.mode == nil || settings.mode == .access, let tag = settings.tag { return [tag.value] }
    let trunks = settings.trunks.map { Optional($0.value) }
    return trunks.isEmpty ? [nil] : trunks
  }

  /// Whether a port with `settings` lets frames of `vlan` (nil: untagged) through.
  static func carries(_ settings: VLANSettings, _ vlan: Int?) -> Bool {
    let trunks = settings.trunks.map(\.value)
    switch settings.mode {
    case .access?, .dot1qTunnel?: return settings.tag?.value == vlan
    case .nativeTagged?, .nativeUntagged?:
      return vlan == nil || settings.tag?.value == vlan || trunks.isEmpty || trunks.contains(vlan ?? -1)
    case .trunk?: return vlan != nil && (trunks.isEmpty || trunks.contains(vlan ?? -1))
    case nil:
      if let tag = settings.tag { return tag.value == vlan }
      return vlan == nil ? trunks.isEmpty : trunks.isEmpty || trunks.contains(vlan ?? -1)
    }
  }

  static func describe(_ settings: VLANSettings) -> String {
    let trunks = settings.trunks.map(\.description).joined(separator: ",")
    switch (settings.mode, settings.tag, trunks.isEmpty) {
    case (.nativeTagged?, let tag?, _), (.nativeUntagged?, let tag?, _):
      return "\(settings.mode?.rawValue ?? "") VLAN \(tag) + trunks \(trunks.isEmpty ? "all" : trunks)"
    case (_, let tag?, _): return "VLAN \(tag)"
    case (_, nil, false): return "trunks \(trunks)"
    default: return "untagged (every VLAN)"
    }
  }

  static func list(_ vlans: [Int?]) -> String {
    vlans.map { $0.map { "VLAN \($0)" } ?? "untagged frames" }.joined(separator: ", ")
  }

  static func describe(tunnel interface: InterfaceView) -> String {
    let type = interface.type
    return
      "\(type) to \(interface.options["remote_ip"] ?? "?"), key \(normalized("key", interface.options["key"], type: type)), dst_port \(normalized("dst_port", interface.options["dst_port"], type: type))"
  }

  /// A tunnel option as the datapath uses it: no key is key 0, no dst_port the type's IANA port.
  static func normalized(_ option: String, _ value: String?, type: String) -> String {
    switch option {
    case "key": return value.flatMap { $0.isEmpty ? nil : $0 } ?? "0"
    case "dst_port":
      if let value, !value.isEmpty { return value }
      return type == "vxlan" ? "4789" : type == "geneve" ? "6081" : "-"
    default: return value ?? "-"
    }
  }

  static func describe(_ trace: FrameTrace) -> String {
    if trace.isDropped {
      return "dropped\(trace.tunnelProblems.isEmpty ? "" : " (\(trace.tunnelProblems.joined(separator: "; ")))")"
    }
    var parts = trace.outputs.map { "\($0.port)\($0.vlan.map { " (VLAN \($0))" } ?? "")" }
    parts += trace.tunnels.map { out in
      "\(out.port) → \(out.remoteIP ?? "?"):\(out.dstPort.map(String.init) ?? "?") VNI \(out.key.map(String.init) ?? "?")\(out.vlan.map { " (VLAN \($0) inside)" } ?? "")"
    }
    return "out to " + parts.joined(separator: ", ")
  }
}

/// The ports of a real bridge that lead off the host: tunnels, and uplinks (system NICs, bonds,
/// patch ports) — not VM ports, not the bridge's own or fake bridges' internal ports.
struct Uplinks {
  let state: SwitchState
  let bridge: BridgeView
  let all: [PortView]
  let tunnels: [PortView]

  static let tunnelTypes: Set<String> = ["vxlan", "geneve", "gre", "stt", "erspan", "ip6gre", "ip6erspan"]

  init(state: SwitchState, bridge: BridgeView) {
    self.state = state
    self.bridge = bridge
    let candidates = state.ports.values.filter { port in
      guard port.bridgeUUID == bridge.uuid, !port.fakeBridge, port.name != bridge.name else { return false }
      let interfaces = port.interfaces.compactMap { state.interfacesByUUID[$0] }
      let isVM = interfaces.contains { $0.externalIDs["attached-mac"] != nil || $0.externalIDs["vm-id"] != nil }
      return !isVM && !interfaces.contains { $0.type == "internal" }
    }.sorted { $0.name < $1.name }
    all = candidates
    tunnels = candidates.filter { port in
      port.interfaces.contains { Self.tunnelTypes.contains(state.interfacesByUUID[$0]?.type ?? "") }
    }
  }

  func interface(of port: PortView) -> InterfaceView? {
    port.interfaces.lazy.compactMap { state.interfacesByUUID[$0] }.first
  }
}
