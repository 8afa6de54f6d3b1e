/// What `apply` did: the OVS changes committed (none for a plan or a dry run), then which libvirt
/// steps are done, which one failed and which were not run.
public struct ApplyReport: Sendable {
  public var plan: ApplyPlan
  /// Whether anything was sent (false: a plan or a dry run).
  public var applied: Bool
  public var ovs: [PlannedChange]
  /// Write operations committed to OVS (or, not applied, that would be).
  public var operations: Int
  /// What the libvirt steps did; nil when none ran.
  public var libvirt: LibvirtConverger.Outcome?
  /// Whom this host asked for, so its userspace tunnels' peers know it (nil: not a netdev cluster,
  /// or nothing applied).
  public var tunnelPeers: TunnelPeerAnnouncer.Outcome?
  /// What the Northbound half did (nil: not an OVN cluster, or not applied).
  public var northbound: NorthboundSync.Outcome?

  /// The report of a plan that is not carried out.
  public init(unapplied plan: ApplyPlan) {
    self.init(plan: plan, applied: false, ovs: plan.ovs, operations: plan.operations, libvirt: nil)
  }

  public init(
    plan: ApplyPlan, applied: Bool, ovs: [PlannedChange], operations: Int, libvirt: LibvirtConverger.Outcome?
  ) {
    self.plan = plan
    self.applied = applied
    self.ovs = ovs
    self.operations = operations
    self.libvirt = libvirt
  }

  /// What is left to do: the plan's problems, and a failed libvirt step with the ones not run.
  public var unfinished: [String] {
    var left = plan.problems
    // The Northbound half's own (ports that did not bind), beyond what the plan already said.
    for problem in northbound?.problems ?? [] where !left.contains(problem) { left.append(problem) }
    if let failed = libvirt?.failed {
      left.insert("libvirt step failed: \(failed.change): \(failed.error)", at: 0)
      for change in libvirt?.notRun ?? [] { left.append("not done: \(change)") }
    }
    return left
  }

  /// The libvirt changes as they stand: done, the failed one, not run; or, before running, planned.
  public var libvirtChanges: [PlannedChange] {
    libvirt.map { $0.done + ($0.failed.map { [$0.change] } ?? []) + $0.notRun } ?? plan.libvirtChanges
  }

  /// The Northbound changes: done, or before applying, planned.
  public var northboundChanges: [String] { (applied ? northbound : plan.northbound)?.changes ?? [] }

  /// Nothing to do: OVS, libvirt (and for OVN the Northbound database) already match the spec.
  public var isEmpty: Bool { ovs.isEmpty && plan.libvirtSteps.isEmpty && northboundChanges.isEmpty }
}
