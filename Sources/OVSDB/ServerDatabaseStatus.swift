/// What an ovsdb-server says about one of its databases in its `_Server` database (ovsdb-server(7)):
/// the `Database` row's model and, for a clustered one, whether this server is connected to the
/// cluster and is its leader. A leader-only client (as OVS's IDL by default) uses a clustered
/// database only through its leader, whose data is never behind the cluster's.
public struct ServerDatabaseStatus: Sendable, Equatable {
  /// "standalone", "clustered" or "relay".
  public var model: String
  public var connected: Bool
  public var leader: Bool

  public init(model: String, connected: Bool, leader: Bool) {
    self.model = model
    self.connected = connected
    self.leader = leader
  }

  /// From a `Database` row as the server sends it (only the columns named in `columns`).
  init?(row: JSON) {
    guard let model = row["model"]?.stringValue, case .bool(let connected)? = row["connected"],
      case .bool(let leader)? = row["leader"]
    else { return nil }
    self.init(model: model, connected: connected, leader: leader)
  }

  /// Why a leader-only client must not use this server for the database; nil when it may. A
  /// standalone database is the only copy, and a relay forwards writes: both do.
  public var refusal: String? {
    guard model == "clustered" else { return nil }
    if !connected { return "not connected to its cluster" }
    if !leader { return "a follower, not the cluster leader" }
    return nil
  }

  /// The `_Server` columns read.
  static let columns: [JSON] = ["name", "model", "connected", "leader"]
  /// The id of the `_Server` monitor, so its updates are told from the database's own.
  static let monitorID = "ovsvirt-server"

  /// `monitor` params for the `_Server` database's `Database` table (RFC 7047 `monitor`, which every
  /// ovsdb-server with `_Server` offers; the table is a handful of rows, so no condition).
  static var monitorParams: [JSON] {
    ["_Server", .string(monitorID), ["Database": ["columns": .array(columns)]]]
  }

  /// The status of `database` in a `monitor` reply or `update` notification's table updates:
  /// `.some(nil)` when its row was deleted (the database was removed), nil when they do not name it.
  static func find(_ database: String, in updates: JSON) -> ServerDatabaseStatus?? {
    guard let rows = updates["Database"]?.objectValue else { return nil }
    for (_, change) in rows.sorted(by: { $0.key < $1.key }) {
      let old = change["old"], new = change["new"]
      guard new?["name"]?.stringValue == database || old?["name"]?.stringValue == database else { continue }
      // A plain `monitor` sends only the changed columns in "old" but every one in "new".
      guard let new else { return .some(nil) }
      return .some(ServerDatabaseStatus(row: new))
    }
    return nil
  }

  /// Whether an `update` notification's params belong to the `_Server` monitor: looked up in the raw
  /// bytes, so the database's own (possibly large) updates are not parsed twice.
  static func isServerUpdate(_ params: RawJSON) -> Bool {
    let id = Array("\"\(monitorID)\"".utf8)
    var bytes = params.bytes[...].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") }
    guard bytes.first == UInt8(ascii: "[") else { return false }
    bytes = bytes.dropFirst().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") }
    return bytes.starts(with: id)
  }
}
