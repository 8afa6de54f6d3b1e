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

  /// One NIC of VM web1 as libvirt's live XML shows it, plugged into `bridge`.
  static func nic(_ tap: String, bridge: String, mac: String, vlan: String = "", bandwidth: String = "") throws
    -> DesiredPort
  {
    let xml = """
      <domain type='qemu'><name>web1</name><devices>
        <interface type='bridge'>
          <mac address='\(mac)'/>
          <source bridge='\(bridge)'/>
          \(vlan)
          <virtualport type='openvswitch'><parameters interfaceid='iface-\(tap)'/></virtualport>
          \(bandwidth)
          <target dev='\(tap)'/>
        </interface>
      </devices></domain>
      """
    let interface = try #require(try DomainInterface.all(inDomainXML: xml).first)
    return try #require(
      DesiredPort.desired(interface, domain: "web1", vmID: vmID) { _, _ in NetworkPortSettings(vlan: nil) })
  }

  /// web1's five NICs, each drifted another way on the switch `drift` makes.
  static func web1() throws -> [DesiredPort] {
    let tag = { (id: Int) in "<vlan><tag id='\(id)'/></vlan>" }
    return [
      try nic(
        "vnet1", bridge: "br0", mac: "52:54:00:00:01:01", vlan: tag(120), bandwidth: ReconcilePlanTests.bandwidth),
      try nic("vnet2", bridge: "br0", mac: "52:54:00:00:01:02", vlan: tag(120)),
      try nic("vnet3", bridge: "br1", mac: "52:54:00:00:01:03", vlan: tag(130)),
      try nic("vnet4", bridge: "fk140", mac: "52:54:00:00:01:04"),
      try nic("vnet5", bridge: "br0", mac: "52:54:00:00:01:05", bandwidth: ReconcilePlanTests.bandwidth),
    ]
  }

  /// br0 (with fake bridge fk140 on VLAN 140) and br1 carrying `others` ports of other VMs, and
  /// web1's ports as an OVS restart and careless admins left them: vnet1 gone, vnet2 on the wrong
  /// bridge and VLAN, vnet3 on fk140's VLAN (shown on fk140), vnet4 on br0 without its ids, vnet5
  /// with libvirt's QoS at other rates.
  static func drift(_ db: PrivateOVSDB, others: Int = others) throws {
    var script = ["--no-wait", "add-br", "br0", "--", "add-br", "br1", "--", "add-br", "fk140", "br0", "140"]
    for index in 0..<others {
      let name = "other\(index)"
      script += [
        "--", "add-port", index % 2 == 0 ? "br0" : "br1", name, "tag=\(100 + index % 50)", "--", "set", "Interface",
        name, "external_ids:vm-id=other-vm-\(index)", "external_ids:iface-id=iface-\(name)",
      ]
    }
    let ids = ["external_ids:ifname=vnet5", "external_ids:vm-id=\(vmID)"]
    script += ["--", "add-port", "br1", "vnet2", "tag=999"]
    script += ["--", "add-port", "br0", "vnet3", "tag=140"]
    script += ["--", "add-port", "br0", "vnet4", "--", "set", "Interface", "vnet4", "external_ids:iface-id=wrong"]
    script += ["--", "add-port", "br0", "vnet5", "--", "set", "Port", "vnet5", "qos=@q"]
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
      #expect(names.count <= 8, "\(table): \(names)")
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
        "move port vnet2 from br1 to br0", "retag port vnet2: tag=999 → tag=120", "set external_ids of vnet2",
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

  @Test func orphansOfThisVMGoToTheFullReadAndOtherVMsOrphansAreLeft() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    try Self.drift(db, others: 20)
    let owner = "external_ids:\(SwitchTables.ownerKey)=\(SwitchTables.ownerValue)"
    // Another VM's unused QoS row of ovsvirt's: the full read sweeps it, one VM's reconcile never
    // touches it.
    _ = try db.oracle(
      "ovs-vsctl", "--no-wait", "create", "QoS", "type=linux-htb", "external_ids:ifname=other3", owner)
    let desired = try Self.web1()
    let (_, fullActions, _) = try await Self.fullPlan(desired, db: db)
    #expect(fullActions.contains { $0.hasPrefix("delete unused QoS of other3") }, "\(fullActions)")
    let direct = try await OVSDBClient.connect(db.remote)
    let transact: Reconciler.Transact = { try await direct.transact("Open_vSwitch", $0) }
    let planned = try #require(try await Reconciler.reconcile(desired, slice: transact, dryRun: true))
    #expect(planned.actions == fullActions.filter { !$0.hasPrefix("delete unused QoS of other3") })

    // One of web1's own (its tap renamed since): whether anything else uses it only the full read
    // can tell, so the slice declines and nothing is written.
    _ = try db.oracle(
      "ovs-vsctl", "--no-wait", "create", "QoS", "type=linux-htb", "external_ids:ifname=vnet9",
      "external_ids:vm-id=\(Self.vmID)", owner)
    #expect(try await Reconciler.reconcile(desired, slice: transact) == nil)
    await direct.close()
    let (_, stillDrifted, _) = try await Self.fullPlan(desired, db: db)
    #expect(stillDrifted.count == fullActions.count + 1, "\(stillDrifted)")
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
