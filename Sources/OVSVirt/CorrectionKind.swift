import VSwitch

/// What a correction made by `watch` did, as the `kind` label of `ovsvirt_watch_corrections_total`:
/// an admin graphing drift wants to tell a port deleted by hand (added) from a VLAN edited by hand
/// (retagged) or a NIC whose VLAN libvirt no longer knows (parked).
public enum CorrectionKind: String, CaseIterable, Sendable {
  /// A VM port put back on its bridge.
  case added
  /// A VM port moved to the bridge libvirt says.
  case moved
  /// A VM port's VLAN settings put back.
  case retagged
  /// A VM port added or retagged onto the dead VLAN 4095: its VLAN cannot be resolved.
  case parked
  /// The external_ids that tie a port to its VM put back.
  case externalIDs = "external_ids"
  /// Shaping, policing, or an unused QoS/queue row swept.
  case qos
  /// Something the spec asks for created (a bridge, port, tunnel…).
  case specAdded = "spec_added"
  /// Something the spec asks for changed back.
  case specChanged = "spec_changed"
  /// Something the spec no longer has removed.
  case specRemoved = "spec_removed"
  /// A correction of VM ports whose text this classification does not know.
  case other

  /// The kind of one VM port action, from the text the planner reports it with (the planner in
  /// VSwitch describes actions as text for logs; its wording is matched here, with a test).
  public init(action: String) {
    let parkedSummary = VLANSettings(tag: .dead).summary
    if action.hasPrefix("add port ") {
      self = action.contains("(\(parkedSummary)") ? .parked : .added
    } else if action.hasPrefix("move port ") {
      self = .moved
    } else if action.hasPrefix("retag port ") {
      self = action.hasSuffix("→ \(parkedSummary)") ? .parked : .retagged
    } else if action.hasPrefix("set external_ids of ") {
      self = .externalIDs
    } else if [
      "shape ", "reshape ", "remove the QoS ", "delete unused QoS", "delete unused queue", "police ",
      "turn off ingress policing",
    ]
    .contains(where: { action.hasPrefix($0) }) {
      self = .qos
    } else {
      self = .other
    }
  }

  /// The kind of one change made to keep the spec.
  public init(spec change: PlannedChange) {
    switch change.kind {
    case .add: self = .specAdded
    case .change: self = .specChanged
    case .remove: self = .specRemoved
    }
  }
}
