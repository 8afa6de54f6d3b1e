import OVSDB
import VSwitch

extension Watcher {
  /// How long a heal waits for ovs-vswitchd to apply a spec change that a mesh follow-up must come
  /// after. Past it the follow-up goes anyway: a switch daemon that is not running reads both at
  /// its start.
  static let followUpWait: Duration = .seconds(10)

  /// Converges the switch to `spec` from `state`, then, as `apply` does, follows a mesh's change up
  /// once ovs-vswitchd has applied it (`SwitchConverger.meshFollowUps`): RSTP nudged where a host's
  /// tunnel went, tunnels reopened where the mesh's RSTP was turned off, without which broadcasts
  /// stop crossing them. A spec reloaded by SIGHUP that drops a host or makes the mesh a star needs
  /// this as much as `apply`. Returns the corrections made; throws when the spec could not be
  /// applied.
  func healSpec(_ spec: HostSpec, state: SwitchState, client: ReplicaClient) async throws -> [CorrectionKind] {
    let converger = SwitchConverger()
    // A correction asks ovs-vswitchd to acknowledge it (next_cfg, as ovs-vsctl does), so that a
    // follow-up can wait for it; a heal that changes nothing (most of them) works out no follow-up.
    let ((changes, sequence), _) = try await client.transaction { txn -> ([PlannedChange], Int64?) in
      let changes = try converger.plan(spec, prepared: state, in: &txn)
      return (changes, changes.isEmpty ? nil : ConfigSequence.request(in: &txn))
    }
    for change in changes { log("corrected: \(change)", .notice, ["spec": "\(spec.file)"]) }
    guard !changes.isEmpty else { return [] }
    let (nudge, reopen) = SwitchConverger.meshFollowUps(spec, state: state)
    guard !nudge.isEmpty || !reopen.isEmpty else { return changes.map(CorrectionKind.init(spec:)) }
    if let sequence, let replica = await client.replica,
      await !replica.wait(until: .now + Self.followUpWait, for: { ConfigSequence.applied(sequence, in: $0) })
    {
      log(
        "ovs-vswitchd has not applied the spec's change within \(Self.followUpWait); following it up all the same",
        .warning, ["spec": "\(spec.file)"])
    }
    let followed = try await SwitchConverger.followUp(nudge: nudge, reopen: reopen, on: client)
    for change in followed { log("corrected: \(change)", .notice, ["spec": "\(spec.file)"]) }
    return (changes + followed).map(CorrectionKind.init(spec:))
  }
}
