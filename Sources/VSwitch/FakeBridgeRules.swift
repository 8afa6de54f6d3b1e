import OVSDB

/// What the switch says to a fake bridge NAME on PARENT with VLAN: one rule set for `bridge add
/// --parent` and for converge, which word the verdict each for its own user.
public enum FakeBridgeVerdict: Sendable, Equatable {
  /// Neither the name nor the VLAN is taken on the parent: it may be added (the name must still be
  /// free of ports and interfaces, see `SwitchPlanner.requireFreeName`).
  case absent
  /// It is there as asked.
  case present
  /// The name is a real bridge, or a fake bridge on another parent or VLAN (`now` says which).
  case differs(now: String)
  /// Another fake bridge already carries the VLAN on the parent.
  case vlanTaken(by: String)
}

extension SwitchState {
  /// ovs-vsctl's rules for a fake bridge: one per name, one per VLAN on a parent.
  public func fakeBridge(_ name: String, parent: String, vlan: VLANID) -> FakeBridgeVerdict {
    if let existing = bridges[name] {
      return existing.parent == parent && existing.vlan == vlan.value ? .present : .differs(now: existing.role)
    }
    if let other = bridges.values.first(where: { $0.parent == parent && $0.vlan == vlan.value }) {
      return .vlanTaken(by: other.name)
    }
    return .absent
  }
}

extension BridgeView {
  /// "a fake bridge on br0 VLAN 140" or "a real bridge", for messages.
  public var role: String { parent.map { "a fake bridge on \($0) VLAN \(vlan ?? 0)" } ?? "a real bridge" }
}

extension SwitchPlanner {
  /// A fake bridge's own port, as ovs-vsctl makes it: internal, fake_bridge=true, tagged with the
  /// VLAN; returns its uuid-name, for the caller to attach to the parent.
  public func insertFakeBridgePort(_ name: InterfaceName, vlan: VLANID, in txn: inout TransactionBuilder) -> String {
    addInternalPort(name, portColumns: ["fake_bridge": true, "tag": .scalar(.integer(Int64(vlan.value)))], in: &txn)
  }
}
