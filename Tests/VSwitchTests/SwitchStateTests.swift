import Foundation
import OVSDB
import Testing
import TestSupport
import VSwitch

/// The typed views, read from a real database that ovs-vsctl wrote, agree with ovs-vsctl's own view.
@Suite struct SwitchStateTests {
  func state(_ db: PrivateOVSDB) async throws -> SwitchState {
    let client = ReplicaClient(remote: db.remote, tables: SwitchTables.monitored)
    let replica = try await client.start()
    let state = SwitchState(replica.snapshot)
    await client.close()
    return state
  }

  @Test func bridgesPortsAndFakeBridgesAsOVSVsctlSeesThem() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    for step in [
      ["add-br", "ovsbr0"], ["add-br", "brlv140", "ovsbr0", "140"], ["add-br", "brlv150", "ovsbr0", "150"],
      ["add-port", "brlv140", "vm1"], ["add-port", "ovsbr0", "up1", "trunks=140,150"],
      ["add-port", "ovsbr0", "acc", "tag=150"],
      ["add-bond", "ovsbr0", "bond0", "e1", "e2", "lacp=active", "bond_mode=balance-tcp"],
    ] {
      _ = try db.oracle("ovs-vsctl", arguments: ["--no-wait"] + step)
    }
    let state = try await state(db)
    #expect(
      state.bridges.keys.sorted() == (try db.oracle("ovs-vsctl", "list-br")).split(separator: "\n").map(String.init))
    for port in ["vm1", "up1", "acc", "bond0"] {
      let oracle = try db.oracle("ovs-vsctl", "port-to-br", port).trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(state.ports[port]?.bridge == oracle, "\(port)")
    }
    for bridge in ["ovsbr0", "brlv140", "brlv150"] {
      let oracle = try db.oracle("ovs-vsctl", "list-ports", bridge).split(separator: "\n").map(String.init)
      #expect(state.ports(of: bridge).map(\.name) == oracle, "\(bridge)")
    }
    #expect(state.bridges["brlv140"]?.parent == "ovsbr0")
    #expect(state.bridges["brlv140"]?.vlan == 140)
    #expect(state.ports["bond0"]?.interfaces.count == 2)
    #expect(state.ports["bond0"]?.lacp == "active")
    #expect(state.ports["bond0"]?.bondMode == "balance-tcp")
    #expect(state.ports["up1"]?.trunks == [140, 150])
  }

  @Test func qosWithQueues() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    _ = try db.oracle(
      "ovs-vsctl", "--no-wait", "add-br", "ovsbr0", "--", "add-port", "ovsbr0", "up1", "--", "set", "port", "up1",
      "qos=@q",
      "--", "--id=@q", "create", "qos", "type=linux-htb", "other-config:max-rate=1000000000", "queues:0=@q0",
      "queues:1=@q1",
      "--", "--id=@q0", "create", "queue", "other-config:max-rate=400000000",
      "--", "--id=@q1", "create", "queue", "other-config:min-rate=100000000", "dscp=46")
    let state = try await state(db)
    let port = try #require(state.ports["up1"])
    let qos = try #require(port.qos.flatMap { state.qos[$0] })
    #expect(qos.type == "linux-htb")
    #expect(qos.otherConfig["max-rate"] == "1000000000")
    #expect(qos.queues.keys.sorted() == [0, 1])
    #expect(qos.queues[0]?.otherConfig["max-rate"] == "400000000")
    #expect(qos.queues[1]?.dscp == 46)
  }

  @Test func showJSONNamesEverything() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    for step in [
      ["bridge", "add", "ovsbr0"], ["bridge", "add", "brlv140", "--parent", "ovsbr0", "--vlan", "140"],
      ["tunnel", "add", "ovsbr0", "vx0", "--remote-ip", "10.0.0.2", "--key", "42"],
    ] {
      _ = try CLI.run(step + ["--db", db.remote], in: db.sandbox.directory)
    }
    let shown = try CLI.run(["show", "--json", "--db", db.remote], in: db.sandbox.directory)
    #expect(shown.status == 0)
    let json = try JSONParser.parse(shown.stdout)
    let bridges = try #require(json["bridges"]?.arrayValue)
    #expect(bridges.compactMap { $0["name"]?.stringValue } == ["brlv140", "ovsbr0"])
    #expect(bridges.first?["vlan"] == 140)
    let ports = try #require(bridges.last?["ports"]?.arrayValue)
    let tunnel = try #require(ports.first { $0["name"] == "vx0" })
    #expect(tunnel["interfaces"]?.arrayValue?.first?["options"] == ["key": "42", "remote_ip": "10.0.0.2"])
  }
}
