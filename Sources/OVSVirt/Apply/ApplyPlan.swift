import VSwitch

/// What `apply SPEC` would do on this host, computed without changing anything: the OVS half as
/// operations planned from one replica snapshot (printed by `plan` and `--dry-run`, committed as
/// they are by `Applier.apply` unless the switch changed meanwhile), then the libvirt steps.
public struct ApplyPlan: Sendable {
  public var spec: HostSpec
  /// The OVS half: operations, their guards and the changes they make.
  public var switchPlan: SwitchConvergence
  /// The switch the plan was made against (its mesh tunnels tell which RSTP bridges need a nudge).
  public var state: SwitchState
  /// What planned the OVS half (the networks to keep on record included), to plan again on a newer
  /// snapshot when the commit conflicts.
  public var switchConverger: SwitchConverger
  /// Where the libvirt steps run; nil when the spec asks nothing of libvirt.
  public var libvirt: LibvirtConverger?
  public var libvirtSteps: [LibvirtConverger.Step]
  /// What keeps libvirt from matching the spec (e.g. a domain not defined on this host): the OVS half
  /// and the other steps are still applied, and the apply reports itself unfinished.
  public var problems: [String]
  /// The Northbound half of an `engine: ovn` cluster, planned; nil for other clusters.
  public var northbound: NorthboundSync.Outcome? = nil

  /// The OVS changes, in apply's words.
  public var ovs: [PlannedChange] { switchPlan.changes }
  public var libvirtChanges: [PlannedChange] { libvirtSteps.map(\.change) }
  /// Write operations the OVS half takes.
  public var operations: Int { switchPlan.operations.count }
}
