import Foundation
import OVSDB
import OVSVirt
import Testing
import TestSupport
import VSwitch
import VirtXML

/// Daemon-free golden tests of the Reconciler's plan: the libvirt live XML of a NIC in, the exact
/// OVSDB operations out.
@Suite struct ReconcilePlanTests {
  static let vmID = "ebf352a9-b347-4de4-b3a6-b55c3cfa9d9a"

  /// libvirt's live `<interface>` of a running VM, as `virsh dumpxml` prints it.
  static func live(_ tap: String, mac: String, vlan: String = "", bandwidth: String = "") -> String {
    """
    <domain type='qemu'><name>web1</name><devices>
      <interface type='bridge'>
        <mac address='\(mac)'/>
        <source network='net1' portgroup='pg' portid='de874a7a-6526-4ab3-8ed9-0d65c59a287b' bridge='br0'/>
        \(vlan)
        <virtualport type='openvswitch'><parameters interfaceid='76266b5b-6891-4279-8de0-e3043757fac7'/></virtualport>
        \(bandwidth)
        <target dev='\(tap)'/>
      </interface>
    </devices></domain>
    """
  }

  static func desired(_ xml: String) throws -> DesiredPort {
    let nic = try #require(try DomainInterface.all(inDomainXML: xml).first)
    return try #require(
      DesiredPort.desired(nic, domain: "web1", vmID: vmID) { _, _ in NetworkPortSettings(vlan: .access(999)) })
  }

  static let nativeUntagged =
    "<vlan trunk='yes'><tag id='110' nativeMode='untagged'/><tag id='120'/><tag id='130'/></vlan>"
  static let bandwidth =
    "<bandwidth><inbound average='1000' peak='5000' burst='1024'/><outbound average='128' burst='256'/></bandwidth>"

  @Test func aMissingPortIsAddedAsLibvirtPlugsIt() throws {
    var fixture = try SwitchFixture()
    _ = fixture.bridge("br0")
    let port = try Self.desired(
      Self.live("vnet1", mac: "52:54:00:00:00:02", vlan: Self.nativeUntagged, bandwidth: Self.bandwidth))
    let (operations, _) = try fixture.plan { state, txn in _ = Reconciler.plan([port], state: state, in: &txn) }
    let owner = "[\"ovsvirt-owner\",\"ovsvirt\"]"
    let ids = "[\"ifname\",\"vnet1\"],\(owner),[\"vm-id\",\"\(Self.vmID)\"]"
    let config = "[\"burst\",\"8388608\"],[\"max-rate\",\"40000000\"],[\"min-rate\",\"8000000\"]"
    let expected = [
      """
      {"op":"insert","table":"Queue","uuid-name":"queue_vnet1","row":{"other_config":["map",[\(config)]],
       "external_ids":["map",[\(ids)]]}}
      """,
      """
      {"op":"insert","table":"QoS","uuid-name":"qos_vnet1","row":{"type":"linux-htb",
       "other_config":["map",[\(config)]],"queues":["map",[[0,["named-uuid","queue_vnet1"]]]],
       "external_ids":["map",[\(ids)]]}}
      """,
      """
      {"op":"insert","table":"Interface","uuid-name":"iface_vnet1_0","row":{"name":"vnet1",
       "ingress_policing_rate":1024,"ingress_policing_burst":2048,
       "external_ids":["map",[["attached-mac","52:54:00:00:00:02"],["iface-id","76266b5b-6891-4279-8de0-e3043757fac7"],
         ["iface-status","active"],\(owner),["vm-id","\(Self.vmID)"]]]}}
      """,
      """
      {"op":"insert","table":"Port","uuid-name":"port_vnet1","row":{"name":"vnet1","tag":110,
       "trunks":["set",[110,120,130]],"vlan_mode":"native-untagged","qos":["named-uuid","qos_vnet1"],
       "interfaces":["named-uuid","iface_vnet1_0"],"external_ids":["map",[\(ids)]]}}
      """,
    ]
    #expect(operations.count == 5)
    for (index, text) in expected.enumerated() where index < operations.count {
      #expect(operations[index] == (try JSONParser.parse(text)), "operation \(index): \(operations[index])")
    }
    #expect(operations.last?["op"] == "mutate")
    #expect(operations.last?["table"] == "Bridge")
  }

  @Test func aPortAsLibvirtPluggedItNeedsNothing() throws {
    var fixture = try SwitchFixture()
    _ = fixture.bridge("br0")
    let ids: [String: String] = ["ifname": "vnet1", "vm-id": Self.vmID]
    let config: [String: String] = ["burst": "8388608", "max-rate": "40000000", "min-rate": "8000000"]
    // libvirt's own rows: no ovsvirt mark anywhere.
    let queue = fixture.insert("Queue", "q", ["other_config": .map(config), "external_ids": .map(ids)])
    let qos = fixture.insert(
      "QoS", "q",
      [
        "type": "linux-htb", "other_config": .map(config), "queues": .map([(.integer(0), .uuid(queue))]),
        "external_ids": .map(ids),
      ])
    fixture.port(
      "vnet1", on: "br0",
      port: [
        "tag": .scalar(.integer(110)), "trunks": .set([.integer(110), .integer(120), .integer(130)]),
        "vlan_mode": "native-untagged", "qos": .scalar(.uuid(qos)), "external_ids": .map(ids),
      ],
      interface: [
        "ingress_policing_rate": .scalar(.integer(1024)), "ingress_policing_burst": .scalar(.integer(2048)),
        "external_ids": .map([
          "attached-mac": "52:54:00:00:00:02", "iface-id": "76266b5b-6891-4279-8de0-e3043757fac7",
          "iface-status": "active", "vm-id": Self.vmID,
        ]),
      ])
    let port = try Self.desired(
      Self.live("vnet1", mac: "52:54:00:00:00:02", vlan: Self.nativeUntagged, bandwidth: Self.bandwidth))
    let (operations, guards) = try fixture.plan { state, txn in
      let (actions, problems) = Reconciler.plan([port], state: state, in: &txn)
      #expect(actions.isEmpty)
      #expect(problems.isEmpty)
    }
    #expect(operations.isEmpty)
    #expect(guards == 0)
    #expect(port.plug.differences(in: fixture.state).isEmpty)

    // Drift: retagged by hand, policing off, the queue's rate changed.
    fixture.update("Port", "vnet1", ["tag": .scalar(.integer(999))])
    fixture.update("Interface", "vnet1", ["ingress_policing_burst": .scalar(.integer(0))])
    fixture.update("Queue", "q", ["other_config": .map(["burst": "8388608", "min-rate": "8000000"])])
    #expect(port.plug.differences(in: fixture.state).count == 3, "\(port.plug.differences(in: fixture.state))")
    let (fixes, fixGuards) = try fixture.plan { state, txn in _ = Reconciler.plan([port], state: state, in: &txn) }
    let tables = fixes.compactMap { $0["table"]?.stringValue }
    #expect(tables == ["Queue", "QoS", "Port", "Interface"], "\(fixes)")
    #expect(fixes.allSatisfy { $0["op"] == "update" })
    let portUpdate = try #require(fixes.first { $0["table"] == "Port" })
    #expect(portUpdate["row"]?["tag"] == 110)
    #expect(portUpdate["row"]?["vlan_mode"] == "native-untagged")
    #expect(fixGuards > 0)
  }

  @Test func bandwidthWithoutInboundTakesLibvirtsQoSAwayAndOrphansGo() throws {
    var fixture = try SwitchFixture()
    _ = fixture.bridge("br0")
    let ids: [String: String] = ["ifname": "vnet1", "vm-id": Self.vmID]
    let queue = fixture.insert(
      "Queue", "q", ["other_config": .map(["min-rate": "8000000"]), "external_ids": .map(ids)])
    let qos = fixture.insert(
      "QoS", "q",
      ["type": "linux-htb", "queues": .map([(.integer(0), .uuid(queue))]), "external_ids": .map(ids)])
    fixture.port("vnet1", on: "br0", port: ["qos": .scalar(.uuid(qos))])
    // An ovsvirt QoS whose port is gone, and someone else's unused QoS (kept).
    let owned = ["ovsvirt-owner": "ovsvirt", "ifname": "vnet9"]
    let orphanQueue = fixture.insert("Queue", "o", ["external_ids": .map(owned)])
    _ = fixture.insert(
      "QoS", "o",
      ["type": "linux-htb", "queues": .map([(.integer(0), .uuid(orphanQueue))]), "external_ids": .map(owned)])
    _ = fixture.insert("QoS", "foreign", ["type": "linux-hfsc"])
    let port = try Self.desired(
      Self.live("vnet1", mac: "52:54:00:00:00:02", bandwidth: "<bandwidth><outbound average='128'/></bandwidth>"))
    #expect(port.plug.shaping == .none(externalIDs: ids))
    let (operations, _) = try fixture.plan { state, txn in
      let (actions, _) = Reconciler.plan([port], state: state, in: &txn)
      #expect(actions.contains("remove the QoS of port vnet1"), "\(actions)")
      #expect(actions.contains { $0.hasPrefix("delete unused QoS of vnet9") }, "\(actions)")
    }
    let deletes = operations.filter { $0["op"] == "delete" }.compactMap { op -> String? in
      // "where": [["_uuid", "==", ["uuid", "…"]]]
      guard let table = op["table"]?.stringValue, let condition = op["where"]?.arrayValue?.first?.arrayValue,
        condition.count == 3, let uuid = condition[2].arrayValue?.last?.stringValue
      else { return nil }
      return "\(table) \(uuid)"
    }
    #expect(
      Set(deletes)
        == [
          "QoS \(qos)", "Queue \(queue)", "QoS \(try #require(fixture.uuids["QoS o"]))", "Queue \(orphanQueue)",
        ])
    let portUpdate = try #require(operations.first { $0["table"] == "Port" })
    #expect(portUpdate["row"]?["qos"] == (try JSONParser.parse("[\"set\",[]]")))
  }

  @Test func anUnreadableVLANParksThePortAndAMissingNetworkToo() throws {
    var fixture = try SwitchFixture()
    _ = fixture.bridge("br0")
    let bad = try Self.desired(Self.live("vnet1", mac: "52:54:00:00:00:02", vlan: "<vlan><tag id='x'/></vlan>"))
    #expect(bad.vlan == VLANSettings(tag: .dead))
    #expect(bad.parkedBecause != nil)
    let nic = try #require(try DomainInterface.all(inDomainXML: Self.live("vnet2", mac: "52:54:00:00:00:03")).first)
    let gone = try #require(
      DesiredPort.desired(nic, domain: "web1", vmID: Self.vmID) { name, _ in
        throw RefusedInput("network \(name) is gone")
      })
    #expect(gone.vlan == VLANSettings(tag: .dead))
    let (operations, _) = try fixture.plan { state, txn in
      let (_, problems) = Reconciler.plan([bad, gone], state: state, in: &txn)
      #expect(problems.count == 2)
    }
    let tags = operations.filter { $0["table"] == "Port" }.compactMap { $0["row"]?["tag"] }
    #expect(tags == [4095, 4095])
  }

  @Test func libvirtsVLANFormsMapAsItsPlugWritesThem() throws {
    func settings(_ vlan: String) throws -> VLANSettings {
      try Self.desired(Self.live("vnet1", mac: "52:54:00:00:00:02", vlan: vlan)).vlan
    }
    let id = { (n: Int) throws -> VLANID in try VLANID(n) }
    #expect(try settings("<vlan><tag id='120'/></vlan>") == VLANSettings(tag: try id(120)))
    #expect(try settings("<vlan trunk='yes'><tag id='7'/></vlan>") == VLANSettings(trunks: [try id(7)]))
    #expect(
      try settings("<vlan><tag id='130'/><tag id='120'/></vlan>") == VLANSettings(trunks: [try id(120), try id(130)]))
    #expect(
      try settings(Self.nativeUntagged)
        == VLANSettings(mode: .nativeUntagged, tag: try id(110), trunks: [try id(110), try id(120), try id(130)]))
    #expect(
      try settings("<vlan trunk='yes'><tag id='120'/><tag id='110' nativeMode='tagged'/></vlan>")
        == VLANSettings(mode: .nativeTagged, tag: try id(110), trunks: [try id(110), try id(120)]))
    // No <vlan> in the live XML: the network's (resolved by the closure above: 999).
    #expect(try settings("") == VLANSettings(tag: try id(999)))
  }
}
