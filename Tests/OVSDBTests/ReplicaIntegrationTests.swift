import Foundation
import OVSDB
import Testing
import TestSupport

/// The replica against a real ovsdb-server: every monitor method, guarded transactions, restarts.
@Suite struct ReplicaIntegrationTests {
  static let tables: [String: [String]?] = [
    "Bridge": ["name", "ports"], "Port": ["name", "tag", "trunks"], "Open_vSwitch": nil,
  ]

  func names(_ replica: Replica, _ table: String) -> [String] {
    replica.snapshot.rows(table).values.compactMap { $0["name"]?.scalar?.stringValue }.sorted()
  }

  @Test(arguments: MonitorMethod.allCases)
  func monitorMethodDumpsThenFollows(method: MonitorMethod) async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "before", "--", "set", "Port", "before", "tag=7")
    var options = ReplicaClient.Options()
    options.methods = [method]
    let client = ReplicaClient(remote: db.remote, tables: Self.tables, options: options)
    let replica = try await client.start()
    #expect(await client.monitorMethod == method)
    #expect(names(replica, "Bridge") == ["before"])
    #expect(replica.snapshot.rows("Port", where: "name", equals: "before").first?.1["tag"] == 7)

    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "after", "--", "set", "Port", "after", "trunks=120,130")
    #expect(await eventually { names(replica, "Bridge") == ["after", "before"] })
    #expect(
      await eventually {
        replica.snapshot.rows("Port", where: "name", equals: "after").first?.1["trunks"] == .set([120, 130])
      })
    // A modify (diff for update2/3, replacement for update) keeps the other columns intact.
    _ = try db.oracle("ovs-vsctl", "--no-wait", "set", "Port", "after", "trunks=130,140")
    #expect(
      await eventually {
        replica.snapshot.rows("Port", where: "name", equals: "after").first?.1["trunks"] == .set([130, 140])
      })
    #expect(replica.snapshot.rows("Port", where: "name", equals: "after").first?.1["tag"] == .empty)
    _ = try db.oracle("ovs-vsctl", "--no-wait", "del-br", "before")
    #expect(await eventually { names(replica, "Bridge") == ["after"] && names(replica, "Port") == ["after"] })
    await client.close()
  }

  @Test func guardConflictRerunsTheBodyOnFreshData() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "br0", "--", "add-port", "br0", "vm1", "tag=100")
    let client = ReplicaClient(remote: db.remote, tables: Self.tables)
    let replica = try await client.start()
    let attempts = Counter()
    let oracle = db
    // Read the port's tag, then (first attempt only) someone else retags it before we commit: the
    // guard must fail, the body rerun on the new value, and the result reflect what we saw last.
    let (seen, _) = try await client.transaction { txn in
      let attempt = attempts.increment()
      guard let (uuid, _) = txn.rows("Port", where: "name", equals: "vm1").first,
        let row = txn.row("Port", uuid, columns: ["tag"])
      else { throw OVSDBError.protocolViolation("vm1 missing") }
      if attempt == 1 { _ = try? oracle.oracle("ovs-vsctl", "--no-wait", "set", "Port", "vm1", "tag=200") }
      let tag = row["tag"]?.scalar?.integerValue ?? -1
      txn.add(.update(table: "Port", where: [.uuid(uuid)], row: ["tag": .scalar(.integer(tag + 1))]))
      return tag
    }
    #expect(attempts.value == 2)
    #expect(seen == 200)
    #expect(await client.conflictReruns == 1)
    #expect(try db.oracle("ovs-vsctl", "get", "Port", "vm1", "tag") == "201\n")
    _ = replica
    await client.close()
  }

  @Test func readOnlyTransactionWritesNothing() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = ReplicaClient(remote: db.remote, tables: Self.tables)
    _ = try await client.start()
    let (count, results) = try await client.transaction { txn in txn.rows("Bridge", where: "name", equals: "x").count }
    #expect(count == 0)
    #expect(results.isEmpty)
    await client.close()
  }

  @Test func serverReplacedWithAnotherDatabaseLeavesNoStaleRows() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "old1", "--", "add-br", "old2")
    var options = ReplicaClient.Options()
    options.backoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(200))
    let client = ReplicaClient(remote: db.remote, tables: Self.tables, options: options)
    let replica = try await client.start()
    #expect(names(replica, "Bridge") == ["old1", "old2"])

    // The other host's fresh state: kill the server, replace the DB, start again on the same socket.
    db.sandbox.stop()
    try FileManager.default.removeItem(atPath: db.sandbox.databaseFile)
    _ = try await db.sandbox.start(vswitchd: false)
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "new1")
    #expect(await eventually { names(replica, "Bridge") == ["new1"] })
    #expect(names(replica, "Port") == ["new1"])
    #expect(await client.syncCount >= 2)
    // A different database cannot know our last transaction id: full resync, old rows purged.
    #expect(await client.lastSyncResumed == false)
    // Still live after the reconnect.
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "new2")
    #expect(await eventually { names(replica, "Bridge") == ["new1", "new2"] })
    await client.close()
  }

  /// After a reconnect the client asks to resume from its last transaction id; Debian's
  /// ovsdb-server 3.1 answers found=false (for standalone and one-server clustered databases alike),
  /// so what is checked is that the full resync converges with nothing stale.
  @Test(arguments: [false, true])
  func connectionLossResumesAndCatchesUp(clustered: Bool) async throws {
    let db = try await PrivateOVSDB.start(clustered: clustered)
    defer { db.stop() }
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "keep", "--", "add-br", "gone")
    var options = ReplicaClient.Options()
    options.backoff = Backoff(initial: .milliseconds(300), maximum: .milliseconds(300))
    let client = ReplicaClient(remote: db.remote, tables: Self.tables, options: options)
    let replica = try await client.start()
    #expect(await client.monitorMethod == .monitorCondSince)
    await client.disconnect()
    // Changes while we are away arrive after the reconnect, whether resumed or resynced.
    _ = try db.oracle("ovs-vsctl", "--no-wait", "del-br", "gone", "--", "add-br", "added")
    #expect(await eventually { names(replica, "Bridge") == ["added", "keep"] })
    #expect(await eventually { await client.syncCount == 2 })
    #expect(names(replica, "Port") == ["added", "keep"])
    #expect(await client.monitorMethod == .monitorCondSince)
    await client.close()
  }

  @Test func tenThousandRowInitialDump() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let writer = try await OVSDBClient.connect(db.remote)
    _ = try await writer.transact("Open_vSwitch", bridgeWithPorts("big", count: 10_000))
    await writer.close()
    let client = ReplicaClient(
      remote: db.remote,
      tables: ["Port": ["name", "tag"], "Interface": ["name", "type"], "Bridge": ["name", "ports"]])
    let replica = try await client.start()
    let snapshot = replica.snapshot
    #expect(snapshot.rows("Port").count == 10_000)
    #expect(snapshot.rows("Interface").count == 10_000)
    #expect(snapshot.rows("Bridge").first?.value["ports"]?.count == 10_000)
    #expect(snapshot.rows("Port").values.filter { $0["tag"] == 120 }.count == 10_000)
    let oracleCount = try db.oracle("ovs-vsctl", "list-ports", "big").split(separator: "\n").count
    #expect(oracleCount == 10_000)
    #expect(snapshot.rows("Interface", where: "name", equals: "p9999").first?.1["type"] == "internal")
    await client.close()
  }

  @Test func updatesInterleavedWithTheInitialDump() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let writer = try await OVSDBClient.connect(db.remote)
    _ = try await writer.transact("Open_vSwitch", bridgeWithPorts("base", count: 3000))
    // Keep committing while replicas start, so updates race with their initial dumps.
    let churn = Task {
      for i in 0..<40 {
        _ = try await writer.transact("Open_vSwitch", bridgeWithPorts("churn\(i)", count: 5, prefix: "c\(i)x"))
      }
    }
    var replicas: [(ReplicaClient, Replica)] = []
    for _ in 0..<4 {
      let client = ReplicaClient(remote: db.remote, tables: Self.tables)
      replicas.append((client, try await client.start()))
    }
    try await churn.value
    await writer.close()
    let expected = try db.oracle("ovs-vsctl", "list-br").split(separator: "\n").map(String.init).sorted()
    #expect(expected.count == 41)
    for (client, replica) in replicas {
      #expect(await eventually { names(replica, "Bridge") == expected })
      #expect(replica.snapshot.rows("Port").count == 3000 + 40 * 5)
      await client.close()
    }
  }
}

/// A thread-safe counter for @Sendable transaction bodies.
final class Counter: @unchecked Sendable {
  private var count = 0
  private let lock = NSLock()
  var value: Int { lock.withLock { count } }
  func increment() -> Int {
    lock.withLock {
      count += 1; return count
    }
  }
}
