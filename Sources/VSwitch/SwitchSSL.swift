import OVSDB

/// The switch's TLS settings: the SSL row the Open_vSwitch root row's `ssl` names, which
/// ovs-vswitchd and ovn-controller use for their own `ssl:` connections (what `ovs-vsctl set-ssl`
/// writes). An OVN chassis whose Southbound remote is `ssl:` needs them.
public struct SwitchSSL: Sendable, Equatable {
  public var privateKey: String
  public var certificate: String
  public var caCertificate: String

  public init(privateKey: String, certificate: String, caCertificate: String) {
    self.privateKey = privateKey
    self.certificate = certificate
    self.caCertificate = caCertificate
  }

  static let columns = ["private_key", "certificate", "ca_cert"]

  var row: [String: Datum] {
    [
      "private_key": .scalar(.string(privateKey)), "certificate": .scalar(.string(certificate)),
      "ca_cert": .scalar(.string(caCertificate)),
    ]
  }

  var detail: String { "SSL: private key \(privateKey), certificate \(certificate), CA \(caCertificate)" }

  /// The SSL row the root row names, if any, and what it holds.
  static func current(in snapshot: ReplicaSnapshot) -> (uuid: RowUUID, ssl: SwitchSSL?)? {
    let roots = snapshot.rows("Open_vSwitch")
    guard let root = roots.keys.min(), case .uuid(let uuid)? = roots[root]?["ssl"]?.scalar else { return nil }
    guard let row = snapshot.row("SSL", uuid) else { return (uuid, nil) }
    func text(_ column: String) -> String { row[column]?.scalar?.stringValue ?? "" }
    return (
      uuid, SwitchSSL(privateKey: text("private_key"), certificate: text("certificate"), caCertificate: text("ca_cert"))
    )
  }
}
