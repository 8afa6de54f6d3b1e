import OVSDB

/// The difference between a `SwitchDesiredState` and a switch, as a value: the operations (and the
/// guards on what they were planned from) that converge the switch, the changes they make, and
/// what cannot be converged. `plan` and `--dry-run` print it; nothing is sent.
public struct SwitchConvergence: Sendable {
  /// Something the desired state asks that this switch cannot take (a name held by another kind of
  /// object, a VLAN already carried by another fake bridge, a removal that would take foreign or VM
  /// ports along). Nothing may be committed while there is one.
  public struct Problem: Sendable, Equatable, CustomStringConvertible {
    /// Which desired object the problem is about, for the caller to point at its own source.
    public enum Origin: Sendable, Equatable {
      case bridge(String)
      case fakeBridge(String)
      case port(String)
      /// A removal the desired state asks by no longer naming the object.
      case removal
    }

    public var origin: Origin
    public var error: ValidationError

    public init(_ origin: Origin, _ error: ValidationError) {
      self.origin = origin
      self.error = error
    }

    public var description: String { error.description }
  }

  public var changes: [SwitchChange]
  public var problems: [Problem]
  /// `wait` operations on everything the plan read: committed with `operations`, they make the
  /// transaction fail if the switch changed since (and the plan is made again).
  public var guards: [DBOperation]
  public var operations: [DBOperation]
  /// The generation of the snapshot it was planned from.
  public var generation: Int

  /// Plans `desired` against `state`: a pure function of the snapshot the state was built from.
  public static func plan(_ desired: SwitchDesiredState, state: SwitchState) -> SwitchConvergence {
    var txn = TransactionBuilder(snapshot: state.snapshot)
    let (changes, problems) = SwitchPlanner().converge(desired, state: state, in: &txn)
    return SwitchConvergence(
      changes: changes, problems: problems, guards: txn.guards, operations: txn.operations,
      generation: state.snapshot.generation)
  }

  /// Adds the planned guards and operations to `txn`, when it reads the snapshot they were planned
  /// from; false (and nothing added) otherwise, for the caller to plan again on `txn`.
  public func add(to txn: inout TransactionBuilder) -> Bool {
    guard txn.snapshot.generation == generation, problems.isEmpty else { return false }
    txn.include(guards: guards, operations: operations)
    return true
  }
}
