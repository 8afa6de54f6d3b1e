import Foundation
import OVSDB
import Testing
import TestSupport

/// Every transact operation and error path against a real ovsdb-server, checked with OVS's tools.
@Suite struct TransactIntegrationTests {
  @Test func insertWithUUIDNameThenSelectUpdateMutateDelete() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = try await OVSDBClient.connect(db.remote)
    defer { Task { await client.close() } }

    let inserted = try await client.transact("Open_vSwitch", bridgeWithPorts("ovsbr0", count: 2))
    #expect(inserted.count == 6)
    #expect(inserted.allSatisfy { $0.uuid != nil || $0.count != nil })
    #expect(try oracleBridges(db) == ["ovsbr0"])
    #expect(try db.oracle("ovs-vsctl", "get", "Port", "p1", "tag") == "120\n")

    let selected = try await client.transact(
      "Open_vSwitch", [.select(table: "Port", where: [.equals("name", "p0")], columns: ["name", "tag"])])
    #expect(selected[0].rows?.count == 1)
    #expect(selected[0].rows?.first?["tag"] == 120)

    let updated = try await client.transact(
      "Open_vSwitch",
      [.update(table: "Port", where: [.equals("name", "p0")], row: ["tag": .empty, "trunks": .set([120, 130])])])
    #expect(updated[0].count == 1)
    #expect(try db.oracle("ovs-vsctl", "get", "Port", "p0", "trunks") == "[120, 130]\n")
    #expect(try db.oracle("ovs-vsctl", "get", "Port", "p0", "tag") == "[]\n")

    let mutated = try await client.transact(
      "Open_vSwitch",
      [
        .mutate(
          table: "Port", where: [.equals("name", "p0")],
          mutations: [Mutation("trunks", .insert, .set([140])), Mutation("trunks", .delete, .set([120]))]),
        .mutate(
          table: "Interface", where: [], mutations: [Mutation("external_ids", .insert, .map(["ovsvirt-owner": "test"]))]
        ),
      ])
    #expect(mutated[0].count == 1)
    #expect(mutated[1].count == 2)
    #expect(try db.oracle("ovs-vsctl", "get", "Port", "p0", "trunks") == "[130, 140]\n")
    #expect(try db.oracle("ovs-vsctl", "get", "Interface", "p1", "external_ids:ovsvirt-owner") == "test\n")

    // Deleting the port rows needs the bridge's references removed in the same transaction.
    let p1 = try #require(
      selectUUID(
        try await client.transact(
          "Open_vSwitch", [.select(table: "Port", where: [.equals("name", "p1")], columns: ["_uuid"])])))
    let deleted = try await client.transact(
      "Open_vSwitch",
      [
        .mutate(
          table: "Bridge", where: [.equals("name", "ovsbr0")],
          mutations: [Mutation("ports", .delete, .scalar(.uuid(p1)))]),
        .delete(table: "Port", where: [.uuid(p1)]),
      ])
    #expect(deleted[1].count == 1)
    #expect(try db.oracle("ovs-vsctl", "list-ports", "ovsbr0") == "p0\n")
    // The Interface of the deleted port was garbage-collected (non-root, unreferenced).
    #expect(!(try db.oracle("ovs-vsctl", "--columns=name", "list", "Interface").contains("\"p1\"")))
  }

  @Test func waitCommitAbortCommentAndAssert() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = try await OVSDBClient.connect(db.remote)
    defer { Task { await client.close() } }

    // wait that holds, comment, durable commit: all succeed and the comment lands in the log.
    let ok = try await client.transact(
      "Open_vSwitch",
      [
        .wait(table: "Bridge", where: [], columns: ["name"], until: .equal, rows: [], timeout: 0),
        .comment("ovsvirt: test comment"), .commit(durable: true),
      ] + bridgeWithPorts("brw", count: 1, prefix: "w"))
    #expect(ok.count == 7)
    #expect(try oracleBridges(db) == ["brw"])
    let log = try db.oracle("ovsdb-tool", "show-log", db.sandbox.databaseFile)
    #expect(log.contains("ovsvirt: test comment"))

    // wait that fails: "timed out", nothing of the transaction applied.
    do {
      _ = try await client.transact(
        "Open_vSwitch",
        [.wait(table: "Bridge", where: [], columns: ["name"], until: .equal, rows: [], timeout: 0)]
          + bridgeWithPorts("brx", count: 1, prefix: "x"))
      Issue.record("failing wait committed")
    } catch let error as TransactionError {
      #expect(error.isConflict)
      #expect(error.operationIndex == 0)
      #expect(error.operation == "wait on Bridge")
    }
    #expect(try oracleBridges(db) == ["brw"])

    // abort: the server refuses the whole transaction.
    do {
      _ = try await client.transact("Open_vSwitch", bridgeWithPorts("bry", count: 1, prefix: "y") + [.abort])
      Issue.record("abort committed")
    } catch let error as TransactionError {
      #expect(error.error == "aborted")
      #expect(error.operationIndex == 4)
    }
    #expect(try oracleBridges(db) == ["brw"])

    // assert without the lock: "not owner"; with it: commits.
    do {
      _ = try await client.transact(
        "Open_vSwitch", [.assert(lock: "ovsvirt_test")] + bridgeWithPorts("brz", count: 1, prefix: "z"))
      Issue.record("assert without lock committed")
    } catch let error as TransactionError {
      #expect(error.error == "not owner")
    }
    #expect(try await client.lock("ovsvirt_test"))
    _ = try await client.transact(
      "Open_vSwitch", [.assert(lock: "ovsvirt_test")] + bridgeWithPorts("brz", count: 1, prefix: "z"))
    #expect(try oracleBridges(db) == ["brw", "brz"])
    try await client.unlock("ovsvirt_test")
  }

  @Test func constraintAndReferentialErrorsNameTheOperation() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = try await OVSDBClient.connect(db.remote)
    defer { Task { await client.close() } }

    // tag 5000 breaks Port.tag's maxInteger 4095.
    var ops = bridgeWithPorts("br0", count: 1)
    ops[1] = .insert(
      table: "Port", row: ["name": "p0", "tag": 5000, "interfaces": .scalar(.namedUUID("pi0"))], uuidName: "pp0")
    do {
      _ = try await client.transact("Open_vSwitch", ops)
      Issue.record("tag 5000 accepted")
    } catch let error as TransactionError {
      #expect(error.error == "constraint violation")
      #expect(error.operation == "insert on Port")
      #expect(error.operationIndex == 1)
    }

    // A reference to a row that does not exist.
    do {
      _ = try await client.transact(
        "Open_vSwitch",
        [.insert(table: "Port", row: ["name": "px", "interfaces": .scalar(.uuid(RowUUID.random()))])])
      Issue.record("dangling reference accepted")
    } catch let error as TransactionError {
      #expect(error.error == "referential integrity violation")
      #expect(error.operationIndex == nil)  // found at commit: the extra result
    }

    // Two bridges with one name break Bridge's index: reported by the commit itself.
    do {
      _ = try await client.transact(
        "Open_vSwitch", bridgeWithPorts("dup", count: 1, prefix: "a") + bridgeWithPorts("dup", count: 1, prefix: "b"))
      Issue.record("duplicate bridge name accepted")
    } catch let error as TransactionError {
      #expect(error.error == "constraint violation")
      #expect(error.operationIndex == nil)
      #expect(error.details?.contains("dup") == true)
    }
    #expect(try oracleBridges(db) == [])
  }

  @Test func locksCanBeStolenAndTheOwnerIsTold() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let a = try await OVSDBClient.connect(db.remote)
    let b = try await OVSDBClient.connect(db.remote)
    #expect(try await a.lock("leader"))
    #expect(try await b.lock("leader") == false)
    // A queued requester must give up its request before stealing (ovsdb-server's rule).
    try await b.unlock("leader")
    try await b.steal("leader")
    // ovsdb-server may first confirm the grant with "locked"; "stolen" must follow.
    var seen: [RPCEvent] = []
    for await event in a.rpc.events {
      seen.append(event)
      if event == .notification(method: "stolen", params: ["leader"]) || seen.count > 5 { break }
    }
    #expect(seen.last == .notification(method: "stolen", params: ["leader"]))
    try await b.unlock("leader")
    await a.close()
    await b.close()
  }

  @Test func monitorCancelStopsUpdates() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = try await OVSDBClient.connect(db.remote)
    _ = try await client.rpc.call("monitor", ["Open_vSwitch", "m1", ["Bridge": ["columns": ["name"]]]])
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "seen")
    var events = client.rpc.events.makeAsyncIterator()
    let first = await events.next()
    #expect(first.map { "\($0)" }?.contains("seen") == true)
    try await client.cancelMonitor("m1")
    // The server no longer knows the monitor, and sends nothing more for it.
    await #expect(throws: OVSDBError.self) { try await client.cancelMonitor("m1") }
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-br", "unseen")
    #expect(try await client.echo(["sync"]) == ["sync"])
    await client.close()
    var rest: [RPCEvent] = []
    while let event = await events.next() { rest.append(event) }
    #expect(!rest.contains { "\($0)".contains("unseen") })
  }

  @Test func echoAndDatabaseChangeAwareness() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = try await OVSDBClient.connect(db.remote)
    #expect(try await client.echo(["still", "alive"]) == ["still", "alive"])
    try await client.setDatabaseChangeAware()
    await client.close()
  }

  func selectUUID(_ results: [OperationResult]) -> RowUUID? {
    guard case .array(let pair)? = results.first?.rows?.first?["_uuid"], pair.count == 2 else { return nil }
    return pair[1].stringValue.flatMap(RowUUID.init)
  }
}
