import OVSDB
import OVSVirt
import Testing
import TestSupport
import VSwitch

/// The `kind` label of watch's corrections and problems is read off the text the reconciler reports;
/// these plans are the reconciler's own, so a change of its wording shows here.
@Suite struct CorrectionKindTests {
  func kinds(_ fixture: SwitchFixture, _ ports: [DesiredPort]) throws -> (
    corrections: [CorrectionKind], problems: [WatchProblemKind]
  ) {
    var txn = TransactionBuilder(snapshot: fixture.replica.snapshot)
    let (actions, problems) = Reconciler.plan(ports, state: fixture.state, in: &txn)
    return (actions.map(CorrectionKind.init(action:)), problems.map(WatchProblemKind.init(reconcilerProblem:)))
  }

  func port(_ tap: String, vlan: String = "", bandwidth: String = "") throws -> DesiredPort {
    try ReconcilePlanTests.desired(
      ReconcilePlanTests.live(tap, mac: "52:54:00:00:00:02", vlan: vlan, bandwidth: bandwidth))
  }

  @Test func aDeletedPortIsAdded() throws {
    var fixture = try SwitchFixture()
    _ = fixture.bridge("br0")
    let found = try kinds(fixture, [try port("vnet1", vlan: "<vlan><tag id='120'/></vlan>")])
    #expect(found.corrections == [.added])
    #expect(found.problems.isEmpty)
  }

  @Test func aPortWithAnUnknownVLANIsParked() throws {
    var fixture = try SwitchFixture()
    _ = fixture.bridge("br0")
    let found = try kinds(fixture, [try port("vnet1", vlan: "<vlan><tag id='x'/></vlan>")])
    #expect(found.corrections == [.parked])
    #expect(found.problems == [.parked])
  }

  @Test func aRetaggedPortAndItsLostIDs() throws {
    var fixture = try SwitchFixture()
    _ = fixture.bridge("br0")
    fixture.port("vnet1", on: "br0", port: ["tag": .scalar(.integer(20))])
    let found = try kinds(fixture, [try port("vnet1", vlan: "<vlan><tag id='120'/></vlan>")])
    #expect(Set(found.corrections) == [.retagged, .externalIDs], "\(found.corrections)")
    fixture.update("Port", "vnet1", ["tag": .scalar(.integer(30))])
    let parked = try kinds(fixture, [try port("vnet1", vlan: "<vlan><tag id='x'/></vlan>")])
    #expect(parked.corrections.contains(.parked), "\(parked.corrections)")
    #expect(!parked.corrections.contains(.retagged), "\(parked.corrections)")
  }

  @Test func aPortOnAnotherBridgeIsMoved() throws {
    var fixture = try SwitchFixture()
    fixture.addBridge("br0")
    fixture.addBridge("br1")
    fixture.port("vnet1", on: "br1")
    let found = try kinds(fixture, [try port("vnet1")])
    #expect(found.corrections.contains(.moved), "\(found.corrections)")
  }

  @Test func shapingIsQoS() throws {
    var fixture = try SwitchFixture()
    _ = fixture.bridge("br0")
    fixture.port("vnet1", on: "br0")
    let found = try kinds(fixture, [try port("vnet1", bandwidth: ReconcilePlanTests.bandwidth)])
    #expect(found.corrections.contains(.qos), "\(found.corrections)")
    #expect(!found.corrections.contains(.other), "\(found.corrections)")
  }

  @Test func specChangesByTheirKind() {
    #expect(CorrectionKind(spec: PlannedChange(.add, "bridge br0")) == .specAdded)
    #expect(CorrectionKind(spec: PlannedChange(.change, "port p0", "tag=99 → tag=10")) == .specChanged)
    #expect(CorrectionKind(spec: PlannedChange(.remove, "port p1")) == .specRemoved)
    #expect(CorrectionKind(action: "something new") == .other)
  }
}
