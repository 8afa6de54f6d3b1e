import OVSDB
import OVSVirt
import Testing
import TestSupport
import VSwitch

/// Daemon-free golden test of the Reconciler: a VM port someone deleted from OVS (a wiped
/// database, `ovs-vsctl del-port`) is put back from libvirt's word, operation for operation.
@Suite struct ReconcileGoldenTests {
  @Test func aWipedPortIsPutBackAsLibvirtPlugsIt() throws {
    var fixture = try SwitchFixture()
    _ = fixture.bridge("br0")
    // vnet1 is gone from OVS; its VM still runs, on VLAN 120, policed.
    let port = try ReconcilePlanTests.desired(
      ReconcilePlanTests.live(
        "vnet1", mac: "52:54:00:00:00:02", vlan: "<vlan><tag id='120'/></vlan>",
        bandwidth: "<bandwidth><outbound average='128' burst='256'/></bandwidth>"))
    var txn = TransactionBuilder(snapshot: fixture.replica.snapshot)
    let (actions, problems) = Reconciler.plan([port], state: fixture.state, in: &txn)
    #expect(problems.isEmpty)
    #expect(actions == ["add port vnet1 to br0 (tag=120, policing 1024 kbit/s)"])
    #expect(
      OperationText(fixture).render(txn.operations) == """
        insert Interface @iface_vnet1_0 {external_ids={"attached-mac":"52:54:00:00:00:02","iface-id":"76266b5b-6891-4279-8de0-e3043757fac7","iface-status":"active","ovsvirt-owner":"ovsvirt","vm-id":"ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a"} ingress_policing_burst=2048 ingress_policing_rate=1024 name="vnet1"}
        insert Port @port_vnet1 {external_ids={"ovsvirt-owner":"ovsvirt"} interfaces=@iface_vnet1_0 name="vnet1" tag=120 trunks=[] vlan_mode=[]}
        mutate Bridge where(_uuid == <Bridge br0>) ports insert @port_vnet1
        """)
  }
}
