import Foundation
import Libvirt
import Testing
import TestSupport

/// Networks and domains on libvirt's test driver. Its `test:///default` host is shared by every
/// connection of the process, so each test uses names of its own.
@Suite(.blockingWork) struct NetworkDomainTests {
  let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
  var net: String { "ovsvl2-\(suffix)" }
  var vm: String { "tiny-\(suffix)" }

  /// Seed 004's `ovsvl2`: OVS bridge ovsbr0 with a portgroup for VLAN 120.
  var ovsvl2: String {
    """
    <network>
      <name>\(net)</name>
      <forward mode='bridge'/>
      <bridge name='ovsbr0'/>
      <virtualport type='openvswitch'/>
      <portgroup name='vlan-120'>
        <vlan><tag id='120'/></vlan>
      </portgroup>
    </network>
    """
  }

  @Test func networkLifecycle() throws {
    let connection = try Connection(uri: "test:///default")
    let network = try connection.defineNetwork(xml: ovsvl2)
    #expect(network.name == net)
    #expect(try connection.networkNames().contains(net))
    #expect(try network.isPersistent())
    #expect(try network.isActive() == false)
    try network.start()
    #expect(try network.isActive())
    try network.setAutostart(true)
    #expect(try network.autostart())
    let xml = try network.xml()
    #expect(xml.contains("<portgroup name='vlan-120'>"))
    #expect(xml.contains("<virtualport type='openvswitch'/>"))
    try network.stop()
    #expect(try network.isActive() == false)
    try network.undefine()
    #expect(try !connection.networkNames().contains(net))
    do {
      _ = try connection.network(named: net)
      Issue.record("undefined network still found")
    } catch {
      #expect(error.code == 43)  // VIR_ERR_NO_NETWORK
      #expect(error.message.contains(net))
    }
  }

  @Test func portgroupUpdate() throws {
    let connection = try Connection(uri: "test:///default")
    let network = try connection.defineNetwork(xml: ovsvl2)
    try network.start()
    try network.updatePortgroup(
      .add, xml: "<portgroup name='vlan-130'><vlan><tag id='130'/></vlan></portgroup>", live: true, config: true)
    // (The test driver has no separate inactive XML; qemu:///system is checked in SystemLibvirtdTests.)
    #expect(try network.xml().contains("<portgroup name='vlan-130'>"))
    try network.updatePortgroup(.delete, xml: "<portgroup name='vlan-130'/>", live: true, config: true)
    #expect(!(try network.xml()).contains("vlan-130"))
  }

  var tiny: String {
    """
    <domain type='test'>
      <name>\(vm)</name>
      <memory unit='MiB'>64</memory>
      <os><type arch='x86_64'>hvm</type></os>
      <devices>
        <interface type='bridge'>
          <mac address='52:54:00:aa:00:01'/>
          <source bridge='ovsbr0'/>
          <virtualport type='openvswitch'/>
        </interface>
      </devices>
    </domain>
    """
  }

  @Test func domainLifecycleAndDevices() throws {
    let connection = try Connection(uri: "test:///default")
    let domain = try connection.defineDomain(xml: tiny)
    #expect(try connection.domainNames().contains(vm))
    #expect(try domain.isActive() == false)
    #expect(try !connection.domains(activeOnly: true).map(\.name).contains(vm))
    try domain.start()
    #expect(try domain.isActive())
    #expect(try connection.domains(activeOnly: true).map(\.name).contains(vm))
    #expect(try domain.xml().contains("52:54:00:aa:00:01"))
    // Device changes: the test driver refuses them with libvirt's own message (qemu:///system
    // runs them in SystemLibvirtdTests).
    let nic = "<interface type='bridge'><mac address='52:54:00:aa:00:02'/><source bridge='ovsbr0'/></interface>"
    do {
      try domain.attachDevice(nic, [.config])
      Issue.record("test driver attached a device")
    } catch {
      #expect(error.message.contains("not supported"))
    }
    try domain.destroy()
    try domain.undefine()
    #expect(try !connection.domainNames().contains(vm))
    do {
      _ = try connection.domain(named: vm)
      Issue.record("undefined domain still found")
    } catch {
      #expect(error.code == 42)  // VIR_ERR_NO_DOMAIN
    }
  }

  @Test func transientDomain() throws {
    let connection = try Connection(uri: "test:///default")
    let domain = try connection.createDomain(xml: tiny)
    #expect(try domain.isActive())
    try domain.destroy()
    #expect(try !connection.domainNames().contains(vm))
  }

  @Test func badXMLKeepsLibvirtsMessage() throws {
    let connection = try Connection(uri: "test:///default")
    do {
      _ = try connection.defineNetwork(xml: "<network><name>x</name><bridge name='a/b'/></network")
      Issue.record("accepted malformed XML")
    } catch {
      #expect(error.operation == "virNetworkDefineXML")
      #expect(!error.message.isEmpty)
    }
  }
}

@Suite(.blockingWork) struct DomainEventTests {
  @Test func lifecycleEventsArrive() async throws {
    let connection = try Connection(uri: "test:///default")
    let events = try connection.domainEvents()
    let name = "evt-\(UInt32.random(in: 0...UInt32.max))"
    let domain = try connection.defineDomain(
      xml: "<domain type='test'><name>\(name)</name><memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>")
    try domain.start()
    try domain.destroy()
    try domain.undefine()
    var seen: [DomainEvent.Lifecycle] = []
    for await event in events where event.domain == name {
      if case .lifecycle(_, let kind, _) = event { seen.append(kind) }
      if seen.count == 4 { break }
    }
    #expect(seen == [.defined, .started, .stopped, .undefined])
  }
}
