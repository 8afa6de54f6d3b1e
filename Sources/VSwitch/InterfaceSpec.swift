import OVSDB

/// One interface of a port: a system NIC, an internal port, a tunnel or a patch port.
public struct InterfaceSpec: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    case system = ""
    case `internal`, vxlan, geneve, gre, patch
  }

  public var name: InterfaceName
  public var kind: Kind
  /// Interface.options (remote_ip, local_ip, key, dst_port, peer, …).
  public var options: [String: String]
  public var mtuRequest: Int?

  public init(name: InterfaceName, kind: Kind = .system, options: [String: String] = [:], mtuRequest: Int? = nil) {
    self.name = name
    self.kind = kind
    self.options = options
    self.mtuRequest = mtuRequest
  }

  /// The Interface row this spec writes (ownership marked by the caller).
  public var columns: [String: Datum] {
    var row: [String: Datum] = ["name": .scalar(.string(name.rawValue))]
    if kind != .system { row["type"] = .scalar(.string(kind.rawValue)) }
    if !options.isEmpty { row["options"] = .map(options) }
    if let mtuRequest { row["mtu_request"] = .scalar(.integer(Int64(mtuRequest))) }
    return row
  }
}
