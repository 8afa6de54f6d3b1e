import OVSDB
import Testing
import TestSupport
import VSwitch

/// `reopenTunnels`: each tunnel on the bridge gets a new OpenFlow port number past those its ports
/// use (never the bridge's own, 65534), other ports are left alone.
@Suite struct ReopenTunnelsTests {
  @Test func tunnelsGetNumbersPastTheBridgesAndNothingElseChanges() throws {
    var fixture = try SwitchFixture()
    _ = fixture.bridge("ovsbr0")
    fixture.update("Interface", "ovsbr0", ["ofport": 65534])
    fixture.port("vnet0", on: "ovsbr0", interface: ["ofport": 7])
    fixture.port("vx-h2", on: "ovsbr0", interface: ["type": "vxlan", "ofport": 2])
    fixture.port("gn-h3", on: "ovsbr0", interface: ["type": "geneve", "ofport": 3])
    let state = SwitchState(fixture.replica.snapshot)
    var txn = TransactionBuilder(snapshot: fixture.replica.snapshot)
    let changes = SwitchPlanner().reopenTunnels(["ovsbr0"], state: state, in: &txn)
    #expect(changes.count == 2)
    let requested = txn.operations.compactMap { operation -> (RowUUID, Datum)? in
      guard case .update(let table, let conditions, let row) = operation, table == "Interface",
        let value = row["ofport_request"], let uuid = conditions.first?.value.scalar?.uuidValue
      else { return nil }
      return (uuid, value)
    }
    let byUUID = Dictionary(uniqueKeysWithValues: requested)
    #expect(byUUID.count == 2)
    #expect(byUUID[try #require(fixture.uuids["Interface gn-h3"])] == 8)
    #expect(byUUID[try #require(fixture.uuids["Interface vx-h2"])] == 9)
    #expect(byUUID[try #require(fixture.uuids["Interface vnet0"])] == nil)
  }
}
