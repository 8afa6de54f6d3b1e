import Libvirt
import OVSDB
import VSwitch

/// The HA path: make Open vSwitch match what libvirt says about running VMs, in one transaction.
public enum Reconciler {
  public struct Outcome: Sendable {
    /// What was changed (empty: nothing to do).
    public var actions: [String]
    /// NICs parked on VLAN 4095, and NICs that could not be placed, with the reason.
    public var problems: [String]
    /// Write operations sent (0 when OVS already matched).
    public var operations: Int
  }

  /// The operations that make OVS hold every desired port, added to `txn` (a pure function of the
  /// snapshot `state` was built from): what was changed, and what could not be (with the reason).
  public static func plan(_ desired: [DesiredPort], state: SwitchState, in txn: inout TransactionBuilder) -> (
    actions: [String], problems: [String]
  ) {
    let planner = SwitchPlanner()
    var actions: [String] = []
    var problems: [String] = []
    for port in desired {
      if let reason = port.parkedBecause {
        problems.append("\(port.domain) \(port.tap): VLAN unknown (\(reason)); parked on VLAN 4095")
      }
      problems += port.problems.map { "\(port.domain) \(port.tap): \($0)" }
      do {
        actions += try planner.ensurePort(port.plug, state: state, in: &txn)
      } catch {
        problems.append("\(port.domain) \(port.tap): \(error)")
      }
    }
    actions += planner.sweepOrphanedQoS(state: state, in: &txn)
    return (actions, problems)
  }

  /// Plans every desired port on one guarded transaction (rerun on conflicts) and commits it.
  /// `prepared`: the switch view, built ahead from the client's replica (e.g. while libvirt was still
  /// being asked); used only while the replica is still at the snapshot it was built from.
  /// `dryRun`: the plan is computed from the replica as it is and reported; no transaction is built.
  public static func reconcile(
    _ desired: [DesiredPort], client: ReplicaClient, prepared: SwitchState? = nil, dryRun: Bool = false
  ) async throws -> Outcome {
    if dryRun {
      guard let replica = await client.replica else { throw OVSDBError.connectionClosed(method: nil) }
      var planned = TransactionBuilder(snapshot: replica.snapshot)
      let (actions, problems) = Self.plan(
        desired, state: SwitchState(planned.snapshot, prepared: prepared), in: &planned)
      return Outcome(actions: actions, problems: problems, operations: planned.operations.count)
    }
    let (planned, _) = try await client.transaction {
      txn -> (actions: [String], problems: [String], operations: Int) in
      let state = SwitchState(txn.snapshot, prepared: prepared)
      let (actions, problems) = Self.plan(desired, state: state, in: &txn)
      let count = txn.operations.count
      if count > 0 {
        // Shows in the database's log (ovsdb-tool show-log), as ovs-vsctl's command lines do.
        txn.add(.comment("ovsvirt reconcile: \(desired.count) VM ports, \(actions.count) changes"))
      }
      return (actions, problems, count)
    }
    return Outcome(actions: planned.actions, problems: planned.problems, operations: planned.operations)
  }
}
