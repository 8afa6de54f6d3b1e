import Foundation
import OVSDB
import Testing
import TestSupport

/// Schema checks, index lookups, lost replies and TCP, each against a real server or a scripted peer.
@Suite struct ReplicaBehaviourTests {
  @Test func badValuesAreRefusedBeforeAnythingIsSent() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "br0")
    let client = ReplicaClient(remote: db.remote, tables: ["Port": ["name", "tag"]])
    _ = try await client.start()
    let before = try db.oracle("ovsdb-client", "dump", "Open_vSwitch")
    for (ops, expected) in [
      (
        [DBOperation.update(table: "Port", where: [.equals("name", "br0")], row: ["tag": 5000])],
        "Port.tag: 5000 is greater than the maximum 4095"
      ),
      (
        [.update(table: "Port", where: [], row: ["vlan_mode": "sideways"])],
        "Port.vlan_mode: \"sideways\" is not one of"
      ),
      ([.update(table: "Port", where: [], row: ["colour": "red"])], "Port.colour: no such column"),
      ([.delete(table: "Ports", where: [])], "Ports: no such table"),
      (
        [.update(table: "Port", where: [], row: ["trunks": .set([1, 4096])])],
        "Port.trunks: 4096 is greater than the maximum 4095"
      ),
    ] {
      do {
        _ = try await client.transact(ops)
        Issue.record("accepted \(ops)")
      } catch let violation as SchemaViolation {
        #expect(violation.description.hasPrefix(expected), "\(violation)")
      }
    }
    #expect(try db.oracle("ovsdb-client", "dump", "Open_vSwitch") == before)
    await client.close()
  }

  /// With the schema's indexes kept, and without them (a one-shot read's replica), where the same
  /// lookups scan: the same rows either way.
  @Test(arguments: [true, false]) func schemaIndexesFindRowsAndFollowChanges(indexed: Bool) async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "br0", "--", "add-br", "br1")
    var options = ReplicaClient.Options()
    options.indexed = indexed
    let client = ReplicaClient(
      remote: db.remote, tables: ["Bridge": ["name"], "Port": ["name", "tag"]], options: options)
    let replica = try await client.start()
    let br0 = try #require(replica.snapshot.row("Bridge", key: ["name": "br0"]))
    #expect(br0.row["name"] == "br0")
    #expect(replica.snapshot.rows("Bridge", where: "name", equals: "br1").count == 1)
    // Deleted and made again: the name now finds the new row.
    _ = try db.oracle("ovs-vsctl", "--no-wait", "del-br", "br0", "--", "add-br", "br0")
    #expect(
      await eventually { (replica.snapshot.row("Bridge", key: ["name": "br0"])?.uuid).map { $0 != br0.uuid } ?? false })
    _ = try db.oracle("ovs-vsctl", "--no-wait", "del-br", "br1")
    #expect(await eventually { replica.snapshot.rows("Bridge", where: "name", equals: "br1").isEmpty })
    // A lookup on columns without a schema index scans instead.
    #expect(replica.snapshot.row("Port", key: ["name": "br0"]) != nil)
    #expect(replica.snapshot.row("Port", key: ["name": "br0", "tag": .empty]) != nil)
    #expect(replica.snapshot.row("Port", key: ["name": "br0", "tag": 7]) == nil)
    await client.close()
  }

  @Test func changeStreamReportsInsertsModifiesAndDeletes() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = ReplicaClient(remote: db.remote, tables: ["Bridge": ["name", "external_ids"]])
    let replica = try await client.start()
    var changes = replica.changes().makeAsyncIterator()
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "watched")
    let added = try #require(await changes.next())
    let uuid = try #require(added.changed["Bridge"]?.first)
    #expect(replica.snapshot.row("Bridge", uuid)?["name"] == "watched")
    _ = try db.oracle("ovs-vsctl", "--no-wait", "br-set-external-id", "watched", "k", "v")
    let modified = try #require(await changes.next())
    #expect(modified.changed["Bridge"] == [uuid])
    #expect(modified.generation == added.generation + 1)
    #expect(replica.snapshot.row("Bridge", uuid)?["external_ids"] == .map(["k": "v"]))
    _ = try db.oracle("ovs-vsctl", "--no-wait", "del-br", "watched")
    let deleted = try #require(await changes.next())
    #expect(deleted.deleted["Bridge"] == [uuid])
    #expect(replica.snapshot.row("Bridge", uuid) == nil)
    await client.close()
  }

  @Test func overTCP() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    // A free loopback port: bind 0, read it back, release it for the server.
    let port = try FreePort.loopback()
    _ = try db.oracle(
      "ovs-appctl", "-t", db.sandbox.directory + "/ovsdb-server.ctl", "ovsdb-server/add-remote",
      "ptcp:\(port):127.0.0.1")
    let client = ReplicaClient(remote: "tcp:127.0.0.1:\(port)", tables: ["Bridge": ["name"]])
    let replica = try await client.start()
    _ = try await client.transact([
      .insert(table: "Bridge", row: ["name": "tcpbr"], uuidName: "b"),
      .mutate(table: "Open_vSwitch", where: [], mutations: [Mutation("bridges", .insert, .set([.namedUUID("b")]))]),
    ])
    #expect(try db.oracle("ovs-vsctl", "list-br") == "tcpbr\n")
    #expect(await eventually { replica.snapshot.row("Bridge", key: ["name": "tcpbr"]) != nil })
    await client.close()
  }

  @Test func lostReplyIsRetriedOnlyWhenIdempotent() async throws {
    let schemaJSON = try JSONParser.parse(
      try String(contentsOfFile: "/usr/share/openvswitch/vswitch.ovsschema", encoding: .utf8))
    let transacts = Counter()
    let dir = try TemporaryDirectory.make("lost")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Every first transact on a connection is "lost" (connection dropped, no reply); later ones succeed.
    let server = try await ScriptedServer(socketPath: dir + "/db.sock") { method, message in
      switch method {
      case "get_schema": return .result(schemaJSON)
      case "monitor_cond_since": return .result([false, "00000000-0000-0000-0000-000000000000", [:]])
      case "transact":
        if transacts.increment() % 2 == 1 { return .rawThenClose([]) }
        let count = (message["params"]?.arrayValue?.count ?? 1) - 1
        return .result(.array(Array(repeating: ["count": 0], count: count)))
      default: return .silence
      }
    }
    var options = ReplicaClient.Options()
    options.probeInterval = nil
    options.backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(20))
    let client = ReplicaClient(remote: "unix:" + server.path, tables: ["Bridge": ["name"]], options: options)
    _ = try await client.start()
    // Idempotent (an update): sent again after reconnecting, succeeds.
    let results = try await client.transact([.update(table: "Bridge", where: [], row: ["name": "x"])])
    #expect(results.count == 1)
    #expect(transacts.value == 2)
    // Not idempotent (an insert): not resent; the caller hears that the outcome is unknown.
    do {
      _ = try await client.transact([.insert(table: "Bridge", row: ["name": "y"])])
      Issue.record("insert with a lost reply reported success")
    } catch let error as OVSDBError {
      #expect(error == .outcomeUnknown("transact"))
    }
    #expect(transacts.value == 3)
    await client.close()
    await server.close()
  }
}
