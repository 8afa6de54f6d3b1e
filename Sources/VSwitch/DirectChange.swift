import OVSDB

/// A one-shot change sent without reading the switch first: `wait` guards stating what the command
/// presumes (the bridge is there, the name is free, …), then the writes, as one transaction.
/// ovs-vsctl downloads the whole switch to check such presumptions itself, which at 10,000 ports is
/// nearly all of its time; here the server checks them, atomically with the writes.
///
/// A direct change never refuses anything: when a guard fails, a presumption did not hold, and the
/// caller plans again from a full read with `SwitchPlanner`, whose rules and messages then decide
/// (exactly as without the shortcut). Guards may be stricter than the rules they stand for; that
/// only sends an unusual case down the full path.
public struct DirectChange: Sendable, Equatable {
  /// `wait`s with timeout 0, each failing at once when its presumption does not hold.
  public var guards: [DBOperation]
  /// What the command changes when the presumptions hold: the same rows `SwitchPlanner` writes.
  public var writes: [DBOperation]

  public init(guards: [DBOperation], writes: [DBOperation]) {
    self.guards = guards
    self.writes = writes
  }

  /// Guards first, then writes: the transaction to send.
  public var operations: [DBOperation] { guards + writes }

  /// Whether `error` is one of this change's guards failing: the signal to plan from a full read.
  public func presumptionFailed(_ error: TransactionError) -> Bool {
    guard error.isConflict, let index = error.operationIndex else { return false }
    return index < guards.count
  }
}

/// The `wait` guards of direct changes: whether the rows matching a condition exist.
enum Presume {
  /// No row of `table` matches `conditions`.
  static func absent(_ table: String, _ conditions: [Condition]) -> DBOperation {
    .wait(table: table, where: conditions, columns: ["_uuid"], until: .equal, rows: [], timeout: 0)
  }

  /// Some row of `table` matches `conditions`.
  static func present(_ table: String, _ conditions: [Condition]) -> DBOperation {
    .wait(table: table, where: conditions, columns: ["_uuid"], until: .notEqual, rows: [], timeout: 0)
  }

  /// `name` is free of bridges, ports and interfaces (as `SwitchPlanner.requireFreeName` and the
  /// bridge lookups require for a new bridge).
  static func nameFree(_ name: String) -> [DBOperation] {
    ["Bridge", "Port", "Interface"].map { absent($0, [.equals("name", .string(name))]) }
  }

  /// `name` is a real bridge, and no fake bridge takes that name over (see `SwitchState.bridges`).
  static func realBridge(_ name: String) -> [DBOperation] {
    [
      present("Bridge", [.equals("name", .string(name))]),
      absent("Port", [.equals("name", .string(name)), .equals("fake_bridge", .boolean(true))]),
    ]
  }
}
