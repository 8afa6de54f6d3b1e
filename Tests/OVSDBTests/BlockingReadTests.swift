import Foundation
import OVSDB
import Testing
import TestSupport

/// `BlockingConnection.readReplica`, the read of `show` and the list commands: against a real
/// ovsdb-server it holds what `ReplicaClient`'s first sync holds; a server that cannot do it says
/// so in a way the caller can fall back on.
@Suite(.blockingWork) struct BlockingReadTests {
  static let tables: [String: [String]?] = [
    "Open_vSwitch": nil, "Bridge": ["name", "ports", "datapath_type"],
    "Port": ["name", "interfaces", "tag", "trunks", "vlan_mode", "fake_bridge"],
    "Interface": ["name", "type", "options", "no_such_column"],
  ]

  static func connect(_ remote: String) throws -> BlockingConnection {
    try #require(BlockingConnection.connect(to: try Endpoint(remote), by: .now + .seconds(10)))
  }

  @Test func itHoldsWhatTheReplicaClientsFirstSyncHolds() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    _ = try db.oracle(
      "ovs-vsctl", "--no-wait", "add-br", "br0", "--", "add-port", "br0", "vm1", "tag=100", "--",
      "add-port", "br0", "vm2", "trunks=10,20", "vlan_mode=trunk", "--", "add-br", "brv", "br0", "140", "--",
      "add-port", "br0", "vx1", "--", "set", "Interface", "vx1", "type=vxlan", "options:remote_ip=10.0.0.2")
    let client = ReplicaClient(remote: db.remote, tables: Self.tables)
    let expected = try await client.start()
    await client.close()
    let connection = try Self.connect(db.remote)
    defer { connection.close() }
    let replica = try connection.readReplica(
      of: "Open_vSwitch", tables: Self.tables, indexed: false, timeout: .seconds(10), deadline: .now + .seconds(10))
    // A column this server lacks is left out, as the client leaves it out.
    #expect(replica.columns == expected.columns)
    #expect(replica.snapshot.rows("Port").count == 5)
    for table in Self.tables.keys.sorted() {
      #expect(replica.snapshot.rows(table) == expected.snapshot.rows(table), "\(table)")
    }
    #expect(
      replica.snapshot.rows("Interface").values.first { $0["name"] == "vx1" }?["options"]?.stringMap
        == ["remote_ip": "10.0.0.2"])
  }

  @Test func aTableTheSchemaLacksIsRefusedAsTheClientRefusesIt() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let connection = try Self.connect(db.remote)
    defer { connection.close() }
    #expect {
      try connection.readReplica(
        of: "Open_vSwitch", tables: ["Nowhere": nil], indexed: false, timeout: .seconds(10),
        deadline: .now + .seconds(10))
    } throws: { error in
      guard case OVSDBError.protocolViolation(let message) = error else { return false }
      return message.contains("table Nowhere is not in the Open_vSwitch schema")
    }
  }

  /// An older server (or another implementation) without monitor_cond_since answers with an error:
  /// the caller reads the ordinary way then, whose client falls back to monitor_cond.
  @Test func aServerWithoutMonitorCondSinceAnswersWithAnRPCError() async throws {
    let dir = try TemporaryDirectory.make("brd")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let server = try await ScriptedServer(socketPath: dir + "/db.sock", script: try BlockingReadFixtures.oldServer())
    let connection = try Self.connect("unix:" + server.path)
    defer { connection.close() }
    #expect {
      try connection.readReplica(
        of: "Open_vSwitch", tables: ["Bridge": ["name"]], indexed: false, timeout: .seconds(10),
        deadline: .now + .seconds(10))
    } throws: { error in
      guard case OVSDBError.rpcError(let method, _) = error else { return false }
      return method == "monitor_cond_since"
    }
    await server.close()
  }
}
