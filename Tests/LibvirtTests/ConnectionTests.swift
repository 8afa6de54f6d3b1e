import Foundation
import Libvirt
import Testing
import TestSupport

@Suite(.blockingWork) struct TestDriverTests {
  @Test func testDriverHasItsDefaultObjects() throws {
    let connection = try Connection(uri: "test:///default")
    #expect(try connection.driverType().uppercased() == "TEST")
    // Other suites add their own objects to the shared test host; the defaults are always there.
    #expect(try connection.domainNames().contains("test"))
    #expect(try connection.networkNames().contains("default"))
    #expect(try connection.canonicalURI() == "test:///default")
  }

  /// A domain that went away after it was listed (a transient VM stopped): its XML is nil, not an
  /// error that would fail a whole reconcile or apply.
  @Test func xmlOfADomainThatIsGoneIsNil() throws {
    let connection = try Connection(uri: "test:///default")
    let name = "ovsvirt-gone-\(getpid())"
    let domain = try connection.createDomain(
      xml: "<domain type='test'><name>\(name)</name><memory>8192</memory><os><type>hvm</type></os></domain>")
    #expect(try domain.xmlUnlessGone()?.contains("<name>\(name)</name>") == true)
    try domain.destroy()
    #expect(try domain.xmlUnlessGone() == nil)
    do {
      _ = try domain.xml()
      Issue.record("the XML of a destroyed transient domain was read")
    } catch {
      #expect(error.isNoDomain, "\(error)")
    }
  }

  @Test func badURIKeepsLibvirtsMessage() {
    do {
      _ = try Connection(uri: "nosuchdriver:///x")
      Issue.record("opened a bogus URI")
    } catch {
      #expect(error.code != 0)
      #expect(!error.message.isEmpty)
      #expect(error.description.contains("virConnectOpen(nosuchdriver:///x)"))
    }
  }
}

/// Against the libvirtd that scripts/test started (qemu:///system), with virsh as the oracle.
@Suite(.blockingWork) struct SystemLibvirtdTests {
  @Test func readsWhatVirshReads() async throws {
    let uri = try Integration.environment("OVSVIRT_LIBVIRT_URI")
    let lease = try await HostLease.acquire()
    defer { lease.release() }
    let virsh = try Integration.program("virsh")
    let connection: Connection
    do {
      connection = try Connection(uri: uri)
    } catch {
      try Integration.unavailable("libvirtd at \(uri) does not answer: \(error)")
    }
    #expect(try connection.driverType() == "QEMU")
    let version = try connection.libraryVersion()
    #expect(version.major >= 8)
    let oracle = try CLI.runProgram(
      virsh, ["-c", uri, "net-list", "--all", "--name"], in: try TemporaryDirectory.make("virsh"))
    let expected = oracle.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    // Other suites define and delete ovsvirt-test-* networks meanwhile; the rest must agree.
    let stable = { (names: [String]) in names.filter { !$0.hasPrefix("ovsvirt-test-") }.sorted() }
    #expect(stable(try connection.networkNames()) == stable(expected))
  }

  /// Device changes and network definitions against the real daemon, on a defined (stopped) VM.
  @Test func devicesAndNetworksOnTheRealDaemon() async throws {
    let uri = try Integration.environment("OVSVIRT_LIBVIRT_URI")
    let lease = try await HostLease.acquire()
    defer { lease.release() }
    let connection: Connection
    do {
      connection = try Connection(uri: uri)
    } catch {
      try Integration.unavailable("libvirtd at \(uri) does not answer: \(error)")
    }
    let name = "ovsvirt-test-dev-\(getpid())"
    let domain = try connection.defineDomain(
      xml: """
        <domain type='qemu'>
          <name>\(name)</name>
          <memory unit='MiB'>64</memory>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
        </domain>
        """)
    defer { try? domain.undefine() }
    let nic = """
      <interface type='bridge'><mac address='52:54:00:de:00:01'/><source bridge='ovsbr0'/>\
      <vlan><tag id='120'/></vlan><virtualport type='openvswitch'/><model type='e1000'/></interface>
      """
    try domain.attachDevice(nic, [.config])
    #expect(try domain.xml(inactive: true).contains("52:54:00:de:00:01"))
    try domain.updateDevice(nic.replacingOccurrences(of: "id='120'", with: "id='130'"), [.config])
    #expect(try domain.xml(inactive: true).contains("<tag id='130'/>"))
    try domain.detachDevice(nic, [.config])
    #expect(!(try domain.xml(inactive: true)).contains("52:54:00:de:00:01"))

    let netName = "ovsvirt-test-net-\(getpid())"
    let network = try connection.defineNetwork(
      xml: """
        <network><name>\(netName)</name><forward mode='bridge'/><bridge name='ovsbr0'/>\
        <virtualport type='openvswitch'/><portgroup name='vlan-120'><vlan><tag id='120'/></vlan></portgroup></network>
        """)
    defer { try? network.undefine() }
    try network.updatePortgroup(
      .add, xml: "<portgroup name='vlan-130'><vlan><tag id='130'/></vlan></portgroup>", live: false, config: true)
    #expect(try network.xml(inactive: true).contains("vlan-130"))
    #expect(try !network.isActive())
  }
}
