import OVSDB
import VSwitch

/// The OVS half of a spec: says what the spec wants of the switch (a `SwitchDesiredState`) and lets
/// VSwitch converge the switch to it (`SwitchPlanner.converge`); problems come back located in the
/// spec file. The libvirt networks `apply` defined are recorded on the switch, so that prune knows
/// which ones are ovsvirt's.
public struct SwitchConverger: Sendable {
  public var prune: PruneScope
  /// libvirt networks to keep on record although the spec no longer names them (prune refused).
  public var keptNetworks: Set<String>

  public init(prune: PruneScope = .off, keptNetworks: Set<String> = []) {
    self.prune = prune
    self.keptNetworks = keptNetworks
  }

  /// Open_vSwitch external_ids key listing the libvirt networks `apply` defined, comma-separated:
  /// libvirt 9.0 networks have no metadata element to mark them, and prune must know what is ours.
  public static let networksKey = "ovsvirt-networks"

  /// The libvirt networks earlier applies defined on this host.
  public static func recordedNetworks(in snapshot: ReplicaSnapshot) -> Set<String> {
    guard let list = SwitchState.rootExternalIDs(in: snapshot)[networksKey] else { return [] }
    return Set(list.split(separator: ",").map(String.init))
  }

  /// What `spec` wants of the switch `state` shows (the networks on record are read from it).
  public func desiredState(_ spec: HostSpec, state: SwitchState) -> SwitchDesiredState {
    SwitchDesiredState(
      bridges: spec.bridges.map {
        SwitchDesiredState.Bridge(
          name: $0.name, datapathType: $0.datapathType, rstp: $0.rstp, rstpPriority: $0.rstpPriority,
          meshRSTP: $0.meshRSTP)
      },
      fakeBridges: spec.fakeBridges.map {
        SwitchDesiredState.FakeBridge(name: $0.name, parent: $0.parent, vlan: $0.vlan)
      },
      ports: spec.ports.map(\.desired),
      rootMarks: [networksMark(spec, recorded: Self.recordedNetworks(in: state.snapshot))].compactMap { $0 }
        + (spec.ovn?.marks(current: state.rootExternalIDs) ?? []),
      ssl: spec.ovn?.controllerSSL,
      prune: prune.isOn)
  }

  /// The networks on record after this apply: spec networks are added; with --prune the ones the
  /// spec dropped leave it (unless their removal was refused). Nil when the record stays as it is.
  func networksMark(_ spec: HostSpec, recorded: Set<String>) -> SwitchDesiredState.RootMark? {
    let named = Set(spec.networks.map(\.definition.name))
    let wanted = prune.isOn ? named.union(keptNetworks.intersection(recorded)) : recorded.union(named)
    guard wanted != recorded else { return nil }
    return SwitchDesiredState.RootMark(
      key: Self.networksKey, value: wanted.isEmpty ? nil : wanted.sorted().joined(separator: ","),
      detail: "libvirt networks defined by ovsvirt: \(wanted.sorted().joined(separator: ", "))")
  }

  /// The plan for `spec` on the switch `state` shows, as a value: a pure function of its snapshot.
  public func plan(_ spec: HostSpec, state: SwitchState) throws(SpecError) -> SwitchConvergence {
    // Checked here too, so no caller can prune every bridge with a spec that names none.
    try prune.check(spec)
    let convergence = SwitchConvergence.plan(desiredState(spec, state: state), state: state)
    guard convergence.problems.isEmpty else { throw Self.error(convergence.problems, in: spec) }
    return convergence
  }

  /// Plans `spec` on `txn` (e.g. inside a transaction that reruns on conflicts). `prepared`: the
  /// switch view, already built from the replica (watch builds one per wake-up for this and
  /// reconcile); used only while the transaction's snapshot is the one it was built from.
  public func plan(
    _ spec: HostSpec, prepared: SwitchState? = nil, in txn: inout TransactionBuilder
  ) throws(SpecError) -> [PlannedChange] {
    try prune.check(spec)
    let state = SwitchState(txn.snapshot, prepared: prepared)
    let (changes, problems) = SwitchPlanner().converge(desiredState(spec, state: state), state: state, in: &txn)
    guard problems.isEmpty else { throw Self.error(problems, in: spec) }
    return changes
  }

  /// Converge problems, each at the line of the spec that asks for the object.
  static func error(_ problems: [SwitchConvergence.Problem], in spec: HostSpec) -> SpecError {
    SpecError(
      problems.map { problem in
        SpecProblem(
          location: spec.location(of: problem.origin), path: problem.error.subject, problem: problem.error.problem,
          fix: problem.error.fix)
      })
  }

  /// What must follow `spec`'s plan once ovs-vswitchd has applied it: the RSTP bridges it takes a
  /// mesh tunnel from (their host left the cluster), for `nudgeRSTP`, and the bridges whose mesh
  /// RSTP it turns off, for `reopenTunnels`.
  public static func meshFollowUps(_ spec: HostSpec, state: SwitchState) -> (nudge: [String], reopen: [String]) {
    let desired = SwitchConverger().desiredState(spec, state: state)
    return (desired.bridgesLosingMeshTunnels(state: state), desired.bridgesDroppingMeshRSTP(state: state))
  }

  /// The follow-up transaction of `meshFollowUps`, once ovs-vswitchd has applied the plan: RSTP
  /// nudged on `nudge`, tunnels reopened on `reopen`. Returns what it changed (nothing when both
  /// are empty, and then nothing is sent).
  public static func followUp(nudge: [String], reopen: [String], on client: ReplicaClient) async throws
    -> [PlannedChange]
  {
    guard !nudge.isEmpty || !reopen.isEmpty else { return [] }
    let (followed, _) = try await client.transaction { txn in
      let state = SwitchState(txn.snapshot)
      return nudgeRSTP(nudge, state: state, in: &txn) + reopenTunnels(reopen, state: state, in: &txn)
    }
    return followed
  }

  /// See `SwitchPlanner.reopenTunnels`.
  public static func reopenTunnels(_ bridges: [String], state: SwitchState, in txn: inout TransactionBuilder)
    -> [PlannedChange]
  {
    SwitchPlanner().reopenTunnels(bridges, state: state, in: &txn)
  }

  /// See `SwitchPlanner.nudgeRSTP`.
  public static func nudgeRSTP(_ bridges: [String], state: SwitchState, in txn: inout TransactionBuilder)
    -> [PlannedChange]
  {
    SwitchPlanner().nudgeRSTP(bridges, state: state, in: &txn)
  }
}

extension HostSpec {
  /// Where the spec asks for the object a converge problem is about; removals (objects the spec
  /// no longer names) point at the top of the file.
  func location(of origin: SwitchConvergence.Problem.Origin) -> SpecLocation {
    let found: SpecLocation?
    switch origin {
    case .bridge(let name): found = bridges.first { $0.name.rawValue == name }?.location
    case .fakeBridge(let name): found = fakeBridges.first { $0.name.rawValue == name }?.location
    case .port(let name): found = ports.first { $0.name.rawValue == name }?.location
    case .removal: found = nil
    }
    return found ?? SpecLocation(file: file, line: 1, column: 1)
  }
}

extension HostSpec.Port {
  /// The port as the switch is asked to hold it.
  var desired: SwitchDesiredState.Port {
    SwitchDesiredState.Port(
      name: name, bridge: bridge, vlan: vlan, interfaces: interfaces, bondMode: bondMode, lacp: lacp,
      meshPeer: meshPeer)
  }
}
