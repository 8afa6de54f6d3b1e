import VSwitch

/// What went wrong in a heal, as the `kind` label of `ovsvirt_watch_problems_total`: a parked NIC
/// needs its network fixed in libvirt, a failed transaction points at OVS.
public enum WatchProblemKind: String, CaseIterable, Sendable {
  /// A NIC put on VLAN 4095 because its VLAN cannot be resolved.
  case parked
  /// Any other NIC that could not be placed as libvirt says (bad bandwidth, a port name OVS refuses…).
  case nic
  /// The spec could not be applied (its transaction failed).
  case spec
  /// The VM ports' transaction failed.
  case reconcile

  /// The kind of one problem the reconciler reports, from its text (Reconciler words parked NICs so).
  public init(reconcilerProblem problem: String) {
    self = problem.hasSuffix("parked on VLAN \(VLANID.dead.value)") ? .parked : .nic
  }
}
