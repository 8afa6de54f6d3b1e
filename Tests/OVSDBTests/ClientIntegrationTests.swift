import Foundation
import OVSDB
import Testing
import TestSupport

/// Talks to a real ovsdb-server (fresh database per test) and checks what it reads or writes with
/// OVS's own tools as independent oracles.
@Suite struct ClientIntegrationTests {
  @Test func listDatabasesMatchesOvsdbClient() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = try await OVSDBClient.connect(db.remote)
    let names = try await client.listDatabases()
    await client.close()
    let oracle = try db.oracle("ovsdb-client", "list-dbs").split(separator: "\n").map(String.init)
    #expect(names.sorted() == oracle.sorted())
    #expect(names.contains("Open_vSwitch"))
  }

  @Test func schemaMatchesTheInstalledVSwitchSchema() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = try await OVSDBClient.connect(db.remote)
    let schema = try await client.schemaJSON(of: "Open_vSwitch")
    await client.close()
    let version = try db.oracle("ovsdb-client", "get-schema-version", "Open_vSwitch")
    #expect(schema["name"] == "Open_vSwitch")
    #expect(schema["version"]?.stringValue == version.trimmingCharacters(in: .whitespacesAndNewlines))
    let tables = try #require(schema["tables"]?.objectValue)
    let oracleTables = try db.oracle("ovsdb-client", "list-tables", "Open_vSwitch")
    for name in ["Bridge", "Port", "Interface", "Open_vSwitch", "QoS"] {
      #expect(tables[name] != nil)
      #expect(oracleTables.contains(name))
    }
  }

  @Test func transactWritesWhatOVSToolsThenSee() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = try await OVSDBClient.connect(db.remote)
    let results = try await client.transact(
      "Open_vSwitch",
      [
        .insert(table: "Bridge", row: ["name": "ovsbr0", "datapath_type": "netdev"], uuidName: "br"),
        .mutate(table: "Open_vSwitch", where: [], mutations: [Mutation("bridges", .insert, .set([.namedUUID("br")]))]),
      ])
    await client.close()
    #expect(results.count == 2)
    #expect(results[0].uuid != nil)
    #expect(results[1].count == 1)
    #expect(try db.oracle("ovs-vsctl", "list-br") == "ovsbr0\n")
    #expect(try db.oracle("ovs-vsctl", "get", "Bridge", "ovsbr0", "datapath_type") == "netdev\n")
  }

  @Test func serverErrorsComeBackAsRPCErrors() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = try await OVSDBClient.connect(db.remote)
    await #expect(throws: OVSDBError.self) { _ = try await client.rpc.call("no_such_method") }
    // The connection survives a failed call.
    #expect(try await client.echo(["ping", 1]) == ["ping", 1])
    await client.close()
  }

  @Test func connectingToNothingNamesTheEndpoint() async throws {
    let dir = try TemporaryDirectory.make("nodb")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    do {
      _ = try await OVSDBClient.connect("unix:\(dir)/absent.sock")
      Issue.record("connect to a missing socket succeeded")
    } catch let error as OVSDBError {
      guard case .connectionFailed(let endpoint, _) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(endpoint == "unix:\(dir)/absent.sock")
      #expect(error.description.contains("ovsvirt sandbox"))
    }
  }

  @Test func pendingCallsFailWhenTheServerGoesAway() async throws {
    let db = try await PrivateOVSDB.start()
    let client = try await OVSDBClient.connect(db.remote)
    // A wait with a long timeout that can never be satisfied keeps the call pending on the server.
    let pending = Task {
      try await client.transact(
        "Open_vSwitch",
        [.wait(table: "Bridge", where: [], columns: ["name"], until: .equal, rows: [["name": "never"]], timeout: 60000)]
      )
    }
    try await Task.sleep(for: .milliseconds(200))
    db.stop()
    await #expect(throws: OVSDBError.self) { _ = try await pending.value }
    #expect(client.rpc.isActive == false)
  }
}
