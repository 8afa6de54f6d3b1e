import OVSDB

/// Port.vlan_mode values (ovs-vswitchd.conf.db(5)).
public enum VLANMode: String, Sendable, CaseIterable {
  case access, trunk
  case nativeTagged = "native-tagged"
  case nativeUntagged = "native-untagged"
  case dot1qTunnel = "dot1q-tunnel"
}

/// How a port carries VLANs: Port.tag, Port.trunks and Port.vlan_mode, validated together.
public struct VLANSettings: Sendable, Equatable {
  /// nil leaves vlan_mode empty: OVS then treats a tagged port as access, an untagged one as trunk.
  public var mode: VLANMode?
  /// Access VLAN, native VLAN (native-*), or outer VLAN (dot1q-tunnel).
  public var tag: VLANID?
  /// Empty with no tag means "every VLAN".
  public var trunks: [VLANID]

  public init(mode: VLANMode? = nil, tag: VLANID? = nil, trunks: [VLANID] = []) {
    self.mode = mode
    self.tag = tag
    self.trunks = trunks
  }

  public static let untagged = VLANSettings()

  /// Rejects combinations OVS would accept but ignore or misread, naming the port and the fix.
  public func validate(port: String) throws(ValidationError) {
    let subject = "port '\(port)'"
    switch mode {
    case .access?:
      guard trunks.isEmpty else {
        throw ValidationError(
          subject: subject, problem: "an access port cannot have trunks", fix: "drop --trunk or use --vlan-mode trunk")
      }
    case .trunk?:
      guard tag == nil else {
        throw ValidationError(
          subject: subject, problem: "a trunk port ignores its tag",
          fix: "use --native \(tag?.value ?? 0) with --vlan-mode native-untagged or native-tagged")
      }
    case .nativeTagged?, .nativeUntagged?:
      guard tag != nil else {
        throw ValidationError(
          subject: subject, problem: "vlan_mode \(mode?.rawValue ?? "") needs a native VLAN", fix: "add --native N")
      }
    case .dot1qTunnel?:
      guard tag != nil else {
        throw ValidationError(subject: subject, problem: "dot1q-tunnel needs the outer VLAN", fix: "add --access N")
      }
      guard trunks.isEmpty else {
        throw ValidationError(
          subject: subject, problem: "dot1q-tunnel takes no trunks", fix: "drop --trunk (customer VLANs pass through)")
      }
    case nil:
      if tag != nil && !trunks.isEmpty {
        throw ValidationError(
          subject: subject, problem: "both an access tag and trunks without a vlan mode",
          fix: "use --native N --trunk LIST (native-untagged) or choose one of --access / --trunk")
      }
    }
  }

  /// The Port columns these settings write.
  public var columns: [String: Datum] {
    [
      "tag": tag.map { .scalar(.integer(Int64($0.value))) } ?? .empty,
      "trunks": .set(trunks.map { .integer(Int64($0.value)) }),
      "vlan_mode": mode.map { .scalar(.string($0.rawValue)) } ?? .empty,
    ]
  }
}
