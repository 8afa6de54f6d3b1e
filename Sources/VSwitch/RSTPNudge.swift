import OVSDB

extension SwitchPlanner {
  /// Open vSwitch 3.1 (Debian 12's) leaves a bridge's RSTP stuck when its root port's tunnel is
  /// deleted: "unknown root port", no alternate takes over, the host stays cut off (seen in the
  /// multi-host sandbox, and for over a minute). Changing any bridge timer re-runs role selection, so
  /// once the removal is applied each such bridge (`SwitchDesiredState.bridgesLosingMeshTunnels`)
  /// has its rstp-max-age moved between 20 (the default) and 21 s. In the removal's own transaction
  /// it does not help.
  public func nudgeRSTP(_ bridges: [String], state: SwitchState, in txn: inout TransactionBuilder) -> [SwitchChange] {
    bridges.compactMap { name -> SwitchChange? in
      guard let bridge = state.bridges[name], !bridge.isFake else { return nil }
      var config = bridge.otherConfig
      let now = Int(config["rstp-max-age"] ?? "20") ?? 20
      config["rstp-max-age"] = now == 21 ? "20" : "21"
      _ = txn.row("Bridge", bridge.uuid, columns: ["other_config"])
      txn.add(.update(table: "Bridge", where: [.uuid(bridge.uuid)], row: ["other_config": .map(config)]))
      return SwitchChange(
        .change, "bridge \(name)",
        "RSTP max-age \(config["rstp-max-age"] ?? "") s: re-elects the root port a departed tunnel held (Open vSwitch 3.1)"
      )
    }
  }
}
