import OVSDB
import VSwitch

/// `reconcile --domain`: one VM's ports planned on the slice of the switch they touch (see
/// `SwitchSlice`) rather than on a replica of the whole database, with the same plan, guards and
/// commit as `reconcile(_:client:)` makes for them.
extension Reconciler {
  /// Sends read-only or guarded operations as one transaction and returns their results.
  public typealias Transact = ([DBOperation]) async throws -> [OperationResult]

  /// Reads the slice `desired` touches, round by round through `transact`; nil when it cannot stand
  /// for the whole switch (`SwitchSlice.Unjudgeable`).
  public static func readSlice(of desired: [DesiredPort], transact: Transact) async throws -> SwitchSlice? {
    var slice = SwitchSlice(plugs: desired.map(\.plug), vmIDs: vmIDs(of: desired))
    do {
      while let reads = slice.nextReads() { try slice.take(try await transact(reads)) }
    } catch is SwitchSlice.Unjudgeable {
      return nil
    }
    return slice
  }

  /// Plans `desired` (one VM's ports) on the slice of the switch they touch and commits it guarded
  /// by what was read, rereading and replanning when a guard fails, as `reconcile(_:client:)` does
  /// on its replica. The sweep of unused QoS rows sees this VM's only (those marked with its taps
  /// or vm-id): other VMs' are left to a full reconcile. Returns nil, having written nothing, when
  /// the full read must decide:
  /// - a Queue row of this VM's that no QoS row read uses (`SwitchSlice.hasUnusedQueue`);
  /// - the slice cannot be read as the switch would show (a port on two bridges);
  /// - the server refused the transaction for something other than a guard (a constraint): the
  ///   full path then reports it with today's message.
  public static func reconcile(
    _ desired: [DesiredPort], slice transact: Transact, dryRun: Bool = false, maxConflictRetries: Int = 50
  ) async throws -> Outcome? {
    for _ in 0...maxConflictRetries {
      guard let slice = try await readSlice(of: desired, transact: transact) else { return nil }
      guard !slice.hasUnusedQueue else { return nil }
      let snapshot = slice.snapshot
      let state = SwitchState(snapshot)
      var txn = TransactionBuilder(snapshot: snapshot)
      let (actions, problems) = plan(desired, state: state, in: &txn)
      let count = txn.operations.count
      let outcome = Outcome(actions: actions, problems: problems, operations: count)
      if dryRun || count == 0 { return outcome }
      // The same record in the database's log as the full path's.
      txn.add(.comment("ovsvirt reconcile: \(desired.count) VM ports, \(actions.count) changes"))
      do {
        _ = try await transact(txn.guards + txn.operations)
        return outcome
      } catch let error as TransactionError {
        guard error.isConflict, (error.operationIndex ?? .max) < txn.guards.count else { return nil }
        // A guard found the rows changed since they were read: read them again.
      }
    }
    throw OVSDBError.tooManyConflicts(maxConflictRetries)
  }

  /// The VM ids the ports carry (libvirt's vm-id mark): QoS and Queue rows carrying one are this VM's.
  static func vmIDs(of desired: [DesiredPort]) -> Set<String> {
    Set(desired.compactMap { $0.plug.interfaceExternalIDs["vm-id"] })
  }
}
