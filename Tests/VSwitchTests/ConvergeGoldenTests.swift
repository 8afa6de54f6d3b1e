import OVSDB
import Testing
import TestSupport
import VSwitch

/// Daemon-free golden tests of VSwitch's converge and ensurePort: a switch built row by row (no
/// server), the desired state in, the exact operations out as text. Any change in what the
/// planners write (a column, an order, a guard) changes the text.
@Suite struct ConvergeGoldenTests {
  static func name(_ text: String) throws -> InterfaceName { try InterfaceName(text, role: "port") }
  static func vlan(_ value: Int) throws -> VLANID { try VLANID(value) }

  /// br0 (RSTP) with fake bridge brlv140, an access port, a trunk, a port on the fake bridge and a
  /// mesh tunnel.
  static func desired() throws -> SwitchDesiredState {
    SwitchDesiredState(
      bridges: [.init(name: try name("br0"), rstp: true)],
      fakeBridges: [.init(name: try name("brlv140"), parent: "br0", vlan: try vlan(140))],
      ports: [
        .init(
          name: try name("eth1"), bridge: "br0", vlan: VLANSettings(tag: try vlan(20)),
          interfaces: [InterfaceSpec(name: try name("eth1"))]),
        .init(
          name: try name("trunk0"), bridge: "br0", vlan: VLANSettings(trunks: [try vlan(100), try vlan(200)]),
          interfaces: [InterfaceSpec(name: try name("trunk0"))]),
        .init(
          name: try name("p140"), bridge: "brlv140", vlan: VLANSettings(tag: try vlan(140)),
          interfaces: [InterfaceSpec(name: try name("p140"), kind: .internal)]),
        .init(
          name: try name("mesh-b"), bridge: "br0",
          interfaces: [
            InterfaceSpec(name: try name("mesh-b"), kind: .vxlan, options: ["remote_ip": "10.0.0.2", "key": "5"])
          ], meshPeer: "b"),
      ])
  }

  /// The switch as converging `desired()` leaves it.
  static func converged() throws -> SwitchFixture {
    var fixture = try SwitchFixture()
    fixture.addBridge("br0", columns: ["rstp_enable": true])
    let owner = Datum.map(SwitchTables.ownerIDs)
    fixture.port(
      "brlv140", on: "br0", port: ["fake_bridge": true, "tag": 140, "external_ids": owner],
      interface: ["type": "internal", "external_ids": owner])
    fixture.port("eth1", on: "br0", port: ["tag": 20, "external_ids": owner], interface: ["external_ids": owner])
    fixture.port(
      "trunk0", on: "br0", port: ["trunks": .set([100, 200]), "external_ids": owner],
      interface: ["external_ids": owner])
    fixture.port(
      "p140", on: "br0", port: ["tag": 140, "external_ids": owner],
      interface: ["type": "internal", "external_ids": owner])
    fixture.port(
      "mesh-b", on: "br0", port: ["external_ids": .map(["ovsvirt-owner": "ovsvirt", "ovsvirt-peer": "b"])],
      interface: ["type": "vxlan", "options": .map(["remote_ip": "10.0.0.2", "key": "5"]), "external_ids": owner])
    return fixture
  }

  static func converge(_ desired: SwitchDesiredState, _ fixture: SwitchFixture) -> (
    SwitchConvergence, text: String, guards: String
  ) {
    let plan = SwitchConvergence.plan(desired, state: fixture.state)
    let text = OperationText(fixture)
    return (plan, text.render(plan.operations), text.render(plan.guards))
  }

  @Test func aFreshSwitchGetsEverything() throws {
    var fixture = try SwitchFixture()
    _ = fixture.root()
    let (plan, operations, _) = Self.converge(try Self.desired(), fixture)
    #expect(plan.problems.isEmpty)
    #expect(
      operations == """
        insert Interface @iface_brlv140 {external_ids={"ovsvirt-owner":"ovsvirt"} name="brlv140" type="internal"}
        insert Port @port_brlv140 {external_ids={"ovsvirt-owner":"ovsvirt"} fake_bridge=true interfaces=@iface_brlv140 name="brlv140" tag=140}
        insert Interface @iface_eth1_0 {external_ids={"ovsvirt-owner":"ovsvirt"} name="eth1"}
        insert Port @port_eth1 {external_ids={"ovsvirt-owner":"ovsvirt"} interfaces=@iface_eth1_0 name="eth1" tag=20 trunks=[] vlan_mode=[]}
        insert Interface @iface_trunk0_0 {external_ids={"ovsvirt-owner":"ovsvirt"} name="trunk0"}
        insert Port @port_trunk0 {external_ids={"ovsvirt-owner":"ovsvirt"} interfaces=@iface_trunk0_0 name="trunk0" tag=[] trunks=[100,200] vlan_mode=[]}
        insert Interface @iface_p140_0 {external_ids={"ovsvirt-owner":"ovsvirt"} name="p140" type="internal"}
        insert Port @port_p140 {external_ids={"ovsvirt-owner":"ovsvirt"} interfaces=@iface_p140_0 name="p140" tag=140 trunks=[] vlan_mode=[]}
        insert Interface @iface_mesh_b_0 {external_ids={"ovsvirt-owner":"ovsvirt"} name="mesh-b" options={"key":"5","remote_ip":"10.0.0.2"} type="vxlan"}
        insert Port @port_mesh_b {external_ids={"ovsvirt-owner":"ovsvirt","ovsvirt-peer":"b"} interfaces=@iface_mesh_b_0 name="mesh-b" tag=[] trunks=[] vlan_mode=[]}
        insert Interface @iface_br0 {external_ids={"ovsvirt-owner":"ovsvirt"} name="br0" type="internal"}
        insert Port @port_br0 {external_ids={"ovsvirt-owner":"ovsvirt"} interfaces=@iface_br0 name="br0"}
        insert Bridge @br_br0 {external_ids={"ovsvirt-owner":"ovsvirt"} name="br0" ports=[@port_br0,@port_brlv140,@port_eth1,@port_mesh_b,@port_p140,@port_trunk0] rstp_enable=true}
        mutate Open_vSwitch where(_uuid == <Open_vSwitch >) bridges insert @br_br0
        """)
    #expect(
      plan.changes.map(\.description) == [
        "+ bridge br0: RSTP",
        "+ fake bridge brlv140: on br0 VLAN 140",
        "+ port eth1: on br0 tag=20",
        "+ port trunk0: on br0 trunks=100,200",
        "+ port p140: on brlv140 internal tag=140",
        "+ tunnel mesh-b: on br0 vxlan to 10.0.0.2 key 5 (host b)",
      ])
  }

  @Test func aConvergedSwitchNeedsNothing() throws {
    let fixture = try Self.converged()
    let (plan, operations, _) = Self.converge(try Self.desired(), fixture)
    #expect(plan.problems.isEmpty)
    #expect(plan.changes.isEmpty)
    #expect(operations == "")
  }

  @Test func aRetaggedPortIsTaggedBack() throws {
    var fixture = try Self.converged()
    fixture.update("Port", "eth1", ["tag": 30])
    let (plan, operations, guards) = Self.converge(try Self.desired(), fixture)
    #expect(plan.changes.map(\.description) == ["~ port eth1: tag=30 → tag=20"])
    #expect(operations == "update Port where(_uuid == <Port eth1>) {tag=20 trunks=[] vlan_mode=[]}")
    // What the update depends on (the other names are guarded alike).
    let eth1 = guards.split(separator: "\n").filter { $0.contains("eth1") }.joined(separator: "\n")
    #expect(
      eth1 == """
        wait Bridge where(name == "eth1") [_uuid] == []
        wait Port where(name == "eth1") [_uuid] == [{_uuid=<Port eth1>}]
        wait Interface where(name == "eth1") [_uuid] == [{_uuid=<Interface eth1>}]
        wait Port where(_uuid == <Port eth1>) [tag,trunks,vlan_mode,bond_mode,lacp,interfaces] == [{bond_mode=[] interfaces=<Interface eth1> lacp=[] tag=30 trunks=[] vlan_mode=[]}]
        """)
  }

  @Test func pruneRemovesOwnedObjectsAndKeepsABridgeHoldingAForeignPort() throws {
    var fixture = try Self.converged()
    let owner = Datum.map(SwitchTables.ownerIDs)
    // Owned, not desired: a stray port on br0, a bridge with only its own port, and a bridge that
    // holds a port ovsvirt did not create; a VM port on br0 is never pruned.
    fixture.port("stale1", on: "br0", port: ["external_ids": owner], interface: ["external_ids": owner])
    fixture.port(
      "vnet0", on: "br0", port: ["external_ids": owner],
      interface: ["external_ids": .map(["ovsvirt-owner": "ovsvirt", "vm-id": "ebf352a9"])])
    fixture.addBridge("old0")
    fixture.addBridge("old1")
    fixture.port("foreign1", on: "old1")
    var desired = try Self.desired()
    desired.prune = true
    let (plan, operations, _) = Self.converge(desired, fixture)
    #expect(
      plan.problems.map(\.description) == [
        "bridge 'old1': is not in the spec, but it holds ports ovsvirt did not create (foreign1); it is kept; move or delete those ports yourself, or keep it in the spec"
      ])
    #expect(plan.problems.map(\.origin) == [.removal])
    #expect(
      plan.changes.map(\.description) == [
        "- bridge old0: ovsvirt-owned, not in the spec", "- port stale1: ovsvirt-owned, not in the spec",
      ])
    #expect(
      operations == """
        mutate Open_vSwitch where(_uuid == <Open_vSwitch >) bridges delete <Bridge old0>
        mutate Bridge where(_uuid == <Bridge br0>) ports delete <Port stale1>
        """)
  }

  @Test func ensurePortPlugsAVMTapAsLibvirtDoes() throws {
    var fixture = try SwitchFixture()
    fixture.addBridge("br0")
    let plug = TapPlug(
      name: "vnet3", bridge: "br0", vlan: VLANSettings(tag: try Self.vlan(120)),
      interfaceExternalIDs: [
        "iface-id": "76266b5b-6891-4279-8de0-e3043757fac7", "attached-mac": "52:54:00:aa:00:03",
        "vm-id": "ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a", "iface-status": "active",
      ],
      portExternalIDs: ["vm-id": "ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a", "ifname": "vnet3"],
      policing: TapPlug.Policing(rate: 1024, burst: 2048),
      shaping: .linuxHTB(
        TapPlug.Shaping(
          otherConfig: ["min-rate": "8000000", "max-rate": "40000000", "burst": "8388608"],
          externalIDs: ["vm-id": "ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a", "ifname": "vnet3"])))
    var txn = TransactionBuilder(snapshot: fixture.replica.snapshot)
    let actions = try SwitchPlanner().ensurePort(plug, state: fixture.state, in: &txn)
    #expect(actions == ["add port vnet3 to br0 (tag=120, policing 1024 kbit/s, linux-htb QoS)"])
    #expect(
      OperationText(fixture).render(txn.operations) == """
        insert Queue @queue_vnet3 {external_ids={"ifname":"vnet3","ovsvirt-owner":"ovsvirt","vm-id":"ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a"} other_config={"burst":"8388608","max-rate":"40000000","min-rate":"8000000"}}
        insert QoS @qos_vnet3 {external_ids={"ifname":"vnet3","ovsvirt-owner":"ovsvirt","vm-id":"ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a"} other_config={"burst":"8388608","max-rate":"40000000","min-rate":"8000000"} queues={0:@queue_vnet3} type="linux-htb"}
        insert Interface @iface_vnet3_0 {external_ids={"attached-mac":"52:54:00:aa:00:03","iface-id":"76266b5b-6891-4279-8de0-e3043757fac7","iface-status":"active","ovsvirt-owner":"ovsvirt","vm-id":"ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a"} ingress_policing_burst=2048 ingress_policing_rate=1024 name="vnet3"}
        insert Port @port_vnet3 {external_ids={"ifname":"vnet3","ovsvirt-owner":"ovsvirt","vm-id":"ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a"} interfaces=@iface_vnet3_0 name="vnet3" qos=@qos_vnet3 tag=120 trunks=[] vlan_mode=[]}
        mutate Bridge where(_uuid == <Bridge br0>) ports insert @port_vnet3
        """)
    // Plugged by hand on VLAN 20, without policing or QoS: corrected in place.
    fixture.port(
      "vnet3", on: "br0", port: ["tag": 20, "external_ids": .map(plug.portExternalIDs)],
      interface: ["external_ids": .map(plug.interfaceExternalIDs)])
    var again = TransactionBuilder(snapshot: fixture.replica.snapshot)
    let retag = try SwitchPlanner().ensurePort(plug, state: fixture.state, in: &again)
    #expect(
      retag == [
        "retag port vnet3: tag=20 → tag=120",
        "shape port vnet3: linux-htb burst=8388608 max-rate=40000000 min-rate=8000000",
        "police vnet3 at 1024 kbit/s, burst 2048 kbit",
      ])
    #expect(
      OperationText(fixture).render(again.operations) == """
        insert Queue @queue_vnet3 {external_ids={"ifname":"vnet3","ovsvirt-owner":"ovsvirt","vm-id":"ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a"} other_config={"burst":"8388608","max-rate":"40000000","min-rate":"8000000"}}
        insert QoS @qos_vnet3 {external_ids={"ifname":"vnet3","ovsvirt-owner":"ovsvirt","vm-id":"ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a"} other_config={"burst":"8388608","max-rate":"40000000","min-rate":"8000000"} queues={0:@queue_vnet3} type="linux-htb"}
        update Port where(_uuid == <Port vnet3>) {qos=@qos_vnet3 tag=120 trunks=[] vlan_mode=[]}
        update Interface where(_uuid == <Interface vnet3>) {ingress_policing_burst=2048 ingress_policing_rate=1024}
        """)
  }
}
