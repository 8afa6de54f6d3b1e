import Foundation
import OVSDB
import OVSVirt
import Testing
import TestSupport
import VSwitch
import VirtXML

/// `reconcile --domain` reads only the rows of the switch that VM's ports touch (`SwitchSlice`), on a
/// real ovsdb-server carrying many other VMs' ports, and plans exactly what the full read plans for
/// that VM: the same actions, problems, guards and operations; other VMs' rows are never read or
/// touched.
@Suite(.blockingWork) struct ReconcileSliceTests {
  static let vmID = ReconcilePlanTests.vmID
  static let others = 300

  /// One OVS NIC as libvirt's live XML shows it, plugged into `bridge` (its interfaceid made from
  /// the MAC).
  static func interface(_ tap: String, bridge: String, mac: String, vlan: String = "", bandwidth: String = "")
    -> String
  {
    """
    <interface type='bridge'>
      <mac address='\(mac)'/>
      <source bridge='\(bridge)'/>
      \(vlan)
      <virtualport type='openvswitch'>
        <parameters interfaceid='76266b5b-6891-4279-8de0-\(mac.filter { $0 != ":" })'/>
      </virtualport>
      \(bandwidth)
      <target dev='\(tap)'/>
    </interface>
    """
  }

  /// web1's five NICs, each drifted another way on the switch `drift` makes.
  static func web1Interfaces(tap: String = "vnet") -> [String] {
    let tag = { (id: Int) in "<vlan><tag id='\(id)'/></vlan>" }
    let bandwidth = ReconcilePlanTests.bandwidth
    return [
      interface("\(tap)1", bridge: "br0", mac: "52:54:00:00:01:01", vlan: tag(120), bandwidth: bandwidth),
      interface("\(tap)2", bridge: "br0", mac: "52:54:00:00:01:02", vlan: tag(120)),
      interface("\(tap)3", bridge: "br1", mac: "52:54:00:00:01:03", vlan: tag(130)),
      interface("\(tap)4", bridge: "fk140", mac: "52:54:00:00:01:04"),
      interface("\(tap)5", bridge: "br0", mac: "52:54:00:00:01:05", bandwidth: bandwidth),
    ]
  }

  /// The ports web1's NICs want.
  static func web1(tap: String = "vnet") throws -> [DesiredPort] {
    let xml = "<domain type='qemu'><name>web1</name><devices>\(web1Interfaces(tap: tap).joined())</devices></domain>"
    return try DomainInterface.all(inDomainXML: xml).map { nic in
      try #require(DesiredPort.desired(nic, domain: "web1", vmID: vmID) { _, _ in NetworkPortSettings(vlan: nil) })
    }
  }

  /// br0 (with fake bridge fk140 on VLAN 140) and br1 (with fk999, which no NIC names) carrying
  /// `others` ports of other VMs, a port-less Bridge row named vnet1, and web1's ports as an OVS
  /// restart and careless admins left them:
  /// vnet1 gone, vnet2 on the wrong bridge and VLAN (shown on fk999), vnet3 on fk140's VLAN (shown on
  /// fk140), vnet4 on br0 untagged without its ids, vnet5 with libvirt's QoS at other rates.
  static func drift(_ db: PrivateOVSDB, others: Int = others, tap: String = "vnet") throws {
    var script = ["--no-wait", "add-br", "br0", "--", "add-br", "br1", "--", "add-br", "fk140", "br0", "140"]
    script += ["--", "add-br", "fk999", "br1", "999"]
    // A Bridge row named like vnet1 without a port of its own (written raw): its name is guarded too.
    script += ["--", "--id=@b", "create", "Bridge", "name=\(tap)1", "--", "add", "Open_vSwitch", ".", "bridges", "@b"]
    for index in 0..<others {
      let name = "other\(index)"
      script += [
        "--", "add-port", index % 2 == 0 ? "br0" : "br1", name, "tag=\(100 + index % 50)", "--", "set", "Interface",
        name, "external_ids:vm-id=other-vm-\(index)", "external_ids:iface-id=iface-\(name)",
      ]
    }
    let ids = ["external_ids:ifname=\(tap)5", "external_ids:vm-id=\(vmID)"]
    script += ["--", "add-port", "br1", "\(tap)2", "tag=999"]
    script += ["--", "add-port", "br0", "\(tap)3", "tag=140"]
    script += ["--", "add-port", "br0", "\(tap)4", "--", "set", "Interface", "\(tap)4", "external_ids:iface-id=wrong"]
    script += ["--", "add-port", "br0", "\(tap)5", "--", "set", "Port", "\(tap)5", "qos=@q"]
    script += ["--", "--id=@q", "create", "QoS", "type=linux-htb", "other_config:max-rate=1000", "queues:0=@u"] + ids
    script += ["--", "--id=@u", "create", "Queue", "other_config:max-rate=1000"] + ids
    _ = try db.oracle("ovs-vsctl", arguments: script)
  }

  /// The full read's plan, as `reconcile` makes it from its replica.
  static func fullPlan(_ desired: [DesiredPort], db: PrivateOVSDB) async throws -> (
    TransactionBuilder, [String], [String]
  ) {
    let client = ReplicaClient(remote: db.remote, tables: SwitchTables.monitored)
    let replica = try await client.start()
    await client.close()
    var txn = TransactionBuilder(snapshot: replica.snapshot)
    let (actions, problems) = Reconciler.plan(desired, state: SwitchState(replica.snapshot), in: &txn)
    return (txn, actions, problems)
  }

  @Test func oneVMsSliceHoldsOnlyItsRowsAndPlansWhatTheFullReadPlans() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    try Self.drift(db)
    let desired = try Self.web1()
    let (full, fullActions, fullProblems) = try await Self.fullPlan(desired, db: db)

    let direct = try await OVSDBClient.connect(db.remote)
    var reads = 0
    let slice = try #require(
      try await Reconciler.readSlice(of: desired) { operations in
        reads += 1
        return try await direct.transact("Open_vSwitch", operations)
      })
    let snapshot = slice.snapshot
    // Nothing of the other VMs: their ports and interfaces are not read, and the bridges' rows come
    // without the ports column that lists them all.
    for table in ["Port", "Interface"] {
      let names = snapshot.rows(table).values.compactMap { $0["name"]?.scalar?.stringValue }.sorted()
      #expect(names.allSatisfy { !$0.hasPrefix("other") }, "\(table): \(names)")
      #expect(names.count <= 9, "\(table): \(names)")
    }
    #expect(snapshot.rows("Bridge").values.allSatisfy { ($0["ports"]?.count ?? 0) <= 6 })
    // Two rounds: the rows named (vnet5's QoS and queue among them, by their marks), then the ports'
    // bridges.
    #expect(reads == 2)

    var part = TransactionBuilder(snapshot: snapshot)
    let (actions, problems) = Reconciler.plan(desired, state: SwitchState(snapshot), in: &part)
    #expect(actions == fullActions)
    #expect(problems == fullProblems)
    #expect(part.operations == full.operations)
    #expect(part.guards == full.guards)
    #expect(
      Set(actions) == [
        "add port vnet1 to br0 (tag=120, policing 1024 kbit/s, linux-htb QoS)",
        "move port vnet2 from fk999 to br0", "retag port vnet2: tag=999 → tag=120", "set external_ids of vnet2",
        "move port vnet3 from fk140 to br1", "retag port vnet3: tag=140 → tag=130", "set external_ids of vnet3",
        "retag port vnet4: untagged → tag=140", "set external_ids of vnet4",
        "set external_ids of port vnet5", "set external_ids of vnet5", "police vnet5 at 1024 kbit/s, burst 2048 kbit",
        "reshape port vnet5: linux-htb burst=8388608 max-rate=40000000 min-rate=8000000",
      ], "\(actions)")

    // Committed through the slice: the full read then finds web1's ports right, and every other
    // VM's rows as they were.
    let before = try Self.otherRows(db)
    let outcome = try #require(
      try await Reconciler.reconcile(desired, slice: { try await direct.transact("Open_vSwitch", $0) }))
    await direct.close()
    #expect(outcome.operations == full.operations.count)
    #expect(outcome.actions == fullActions)
    let (after, afterActions, _) = try await Self.fullPlan(desired, db: db)
    #expect(afterActions.isEmpty, "\(afterActions)")
    #expect(after.operations.isEmpty)
    #expect(try Self.otherRows(db) == before)
  }

  @Test func unusedQoSRowsOfThisVMAreSweptAsTheFullReadSweepsThemOtherVMsAreLeft() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    try Self.drift(db, others: 20)
    let owner = "external_ids:\(SwitchTables.ownerKey)=\(SwitchTables.ownerValue)"
    let web1 = "external_ids:vm-id=\(Self.vmID)"
    _ = try db.oracle(
      "ovs-vsctl",
      arguments: [
        // Another VM's unused QoS row of ovsvirt's: the full read sweeps it, one VM's reconcile never
        // reads it.
        "--no-wait", "create", "QoS", "type=linux-htb", "external_ids:ifname=other3", owner,
        // One of web1's, its tap renamed since, with its queue: unused, swept by both.
        "--", "create", "QoS", "type=linux-htb", "external_ids:ifname=vnet9", web1, owner, "queues:0=@u",
        "--", "--id=@u", "create", "Queue", "external_ids:ifname=vnet9", web1, owner,
        // One of web1's that another VM's port uses (set by hand): kept by both.
        "--", "set", "Port", "other2", "qos=@q",
        "--", "--id=@q", "create", "QoS", "type=linux-htb", "external_ids:ifname=vnet7", web1, owner,
      ])
    let desired = try Self.web1()
    let (full, fullActions, _) = try await Self.fullPlan(desired, db: db)
    let theirs = fullActions.filter { $0.hasPrefix("delete unused QoS of other3") }
    #expect(theirs.count == 1, "\(fullActions)")
    #expect(fullActions.contains { $0.hasPrefix("delete unused QoS of vnet9") }, "\(fullActions)")
    #expect(!fullActions.contains { $0.contains("vnet7") }, "\(fullActions)")

    let direct = try await OVSDBClient.connect(db.remote)
    let transact: Reconciler.Transact = { try await direct.transact("Open_vSwitch", $0) }
    let slice = try #require(try await Reconciler.readSlice(of: desired, transact: transact))
    let portsRead = slice.snapshot.rows("Port").values.compactMap { $0["name"]?.scalar?.stringValue }
    #expect(portsRead.contains("other2"), "\(portsRead)")
    let planned = try #require(try await Reconciler.reconcile(desired, slice: transact, dryRun: true))
    #expect(planned.actions == fullActions.filter { !theirs.contains($0) })
    #expect(planned.operations == full.operations.count - 1)
    let done = try #require(try await Reconciler.reconcile(desired, slice: transact))
    #expect(done.actions == planned.actions)
    let (_, after, _) = try await Self.fullPlan(desired, db: db)
    #expect(after == theirs)

    // A Queue row of web1's that no QoS row read uses: only the whole switch shows whether some
    // other QoS does (OVSDB cannot select a map by value), so the slice declines, writing nothing.
    _ = try db.oracle("ovs-vsctl", "--no-wait", "create", "Queue", "external_ids:ifname=vnet8", web1, owner)
    #expect(try await Reconciler.reconcile(desired, slice: transact) == nil)
    await direct.close()
    let (_, still, _) = try await Self.fullPlan(desired, db: db)
    #expect(still.count == 2 && still.contains { $0.hasPrefix("delete unused queue") }, "\(still)")
  }

  /// The command itself, on libvirt's test driver (a file of running domains each process reads):
  /// `reconcile --domain web1` next to web2, whose ports are drifted too, prints what a full
  /// `reconcile` of a host running only web1 prints, commits it, and leaves web2's ports alone.
  @Test func theCommandDoesForOneDomainWhatTheFullReadDoes() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    // libvirt keeps vnet* target names for those it makes: the test driver would rename them.
    try Self.drift(db, others: 200, tap: "bnet")
    _ = try db.oracle("ovs-vsctl", "--no-wait", "add-port", "br0", "cnet1", "tag=999")
    let dir = try TemporaryDirectory.make("slicecli")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let domain = Self.testDriverDomain
    let web1 = domain("web1", Self.vmID, Self.web1Interfaces(tap: "bnet"))
    let web2 = domain(
      "web2", "0b5a4c1e-9d3f-4f6a-8e2b-7c1d0e9f8a7b",
      [Self.interface("cnet1", bridge: "br0", mac: "52:54:00:00:02:01", vlan: "<vlan><tag id='300'/></vlan>")])
    try "<node>\(web1)</node>".write(toFile: dir + "/web1.xml", atomically: true, encoding: .utf8)
    try "<node>\(web1)\(web2)</node>".write(toFile: dir + "/both.xml", atomically: true, encoding: .utf8)
    func reconcile(_ arguments: [String], host: String) throws -> CLI.Result {
      try CLI.run(["reconcile", "--db", db.remote, "--connect", "test://\(dir)/\(host).xml"] + arguments, in: dir)
    }

    let full = try reconcile(["--dry-run", "--json"], host: "web1")
    try #require(full.status == 0, "\(full.stderr)")
    // ovsdb-server logs each request and reply of the one-domain run: no monitor, nothing of the
    // 200 other VMs' rows.
    let log = db.sandbox.directory + "/ovsdb-server.log"
    let control = db.sandbox.directory + "/ovsdb-server.ctl"
    _ = try db.oracle("ovs-appctl", "-t", control, "vlog/set", "jsonrpc:file:dbg")
    let logged = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0
    let one = try reconcile(["--domain", "web1", "--dry-run", "--json"], host: "both")
    _ = try db.oracle("ovs-appctl", "-t", control, "vlog/set", "jsonrpc:file:info")
    #expect(one.status == 0, "\(one.stderr)")
    let traffic = String(
      decoding: try #require(FileManager.default.contents(atPath: log)).dropFirst(logged), as: UTF8.self)
    #expect(traffic.contains("method=\"transact\""), "\(traffic)")
    // Requests only: ovsdb-server's own memory report ("monitors:0") may fall in the same stretch.
    #expect(!traffic.contains("method=\"monitor"), "\(traffic)")
    #expect(!traffic.contains("other-vm-") && !traffic.contains("other1"), "\(traffic.prefix(3000))")
    #expect(one.stdout == full.stdout)
    #expect(try JSONParser.parse(full.stdout)["ports"] == 5)
    #expect((try JSONParser.parse(full.stdout)["operations"]?.intValue ?? 0) > 10, "\(full.stdout)")

    let done = try reconcile(["--domain", "web1"], host: "both")
    #expect(done.status == 0, "\(done.stderr)")
    let actions = try #require(try JSONParser.parse(full.stdout)["actions"]?.arrayValue?.compactMap(\.stringValue))
    #expect(done.stdout == actions.map { $0 + "\n" }.joined())
    let again = try reconcile(["--json"], host: "web1")
    #expect(try JSONParser.parse(again.stdout)["operations"] == 0, "\(again.stdout)")
    #expect(try db.oracle("ovs-vsctl", "get", "Port", "cnet1", "tag") == "999\n")
    let quiet = try reconcile(["--domain", "web1"], host: "both")
    #expect(quiet.status == 0 && quiet.stdout.isEmpty)
    #expect(quiet.stderr == "ovsvirt: 5 VM ports already right, nothing to do\n")
  }

  /// The bare connection drops at the slice's first read (as when ovsdb-server restarts then): the
  /// full path takes over on a connection of its own and commits what it would have committed from
  /// the start, instead of failing the command.
  @Test func aConnectionDroppedDuringTheSliceFallsBackToTheFullRead() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    try Self.drift(db, others: 20, tap: "bnet")
    let dir = try TemporaryDirectory.make("slicedrop")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let web1 = Self.testDriverDomain("web1", Self.vmID, Self.web1Interfaces(tap: "bnet"))
    try "<node>\(web1)</node>".write(toFile: dir + "/web1.xml", atomically: true, encoding: .utf8)
    let (_, expected, _) = try await Self.fullPlan(try Self.web1(tap: "bnet"), db: db)
    // Closes the connection on the first request it reads, before answering.
    let dropping = try await ScriptedServer(socketPath: dir + "/drop.sock") { _, _ in .rawThenClose([]) }
    let run = ReconcileRun()
    let result: ReconcileRun.Result
    do {
      result = try await run.run(
        LibvirtAccess(uri: "test://\(dir)/web1.xml"), only: "web1", dryRun: false,
        connect: {
          let client = ReplicaClient(remote: db.remote, tables: SwitchTables.monitored)
          _ = try await client.start()
          return client
        },
        connectDirect: { try await OVSDBClient.connect("unix:" + dir + "/drop.sock") })
    } catch {
      await run.finish()
      await dropping.close()
      throw error
    }
    await run.finish()
    await dropping.close()
    #expect(dropping.received.first?["method"] == "transact", "\(dropping.received)")
    #expect(result.ports == 5)
    #expect(result.outcome.actions.sorted() == expected.sorted())
    #expect(try db.oracle("ovs-vsctl", "get", "Port", "bnet2", "tag") == "120\n")
    let (txn, again, _) = try await Self.fullPlan(try Self.web1(tap: "bnet"), db: db)
    #expect(again.isEmpty && txn.operations.isEmpty, "\(again)")
  }

  /// A running domain of libvirt's test driver (its file form: `<node>` of these) with `interfaces`.
  static func testDriverDomain(_ name: String, _ uuid: String, _ interfaces: [String]) -> String {
    """
    <domain type='test'><name>\(name)</name><uuid>\(uuid)</uuid><memory>8192</memory><vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os><devices>\(interfaces.joined())</devices></domain>
    """
  }

  /// The other VMs' Port and Interface rows, as ovsdb-client dumps them.
  static func otherRows(_ db: PrivateOVSDB) throws -> [String] {
    let dump = try ["Port", "Interface"].map {
      try db.oracle("ovsdb-client", "dump", "--format=csv", "Open_vSwitch", $0)
    }
    let rows = dump.joined(separator: "\n").split(separator: "\n").filter { $0.contains("other") }.map(String.init)
    #expect(rows.count > 2 * 20)
    return rows.sorted()
  }
}
