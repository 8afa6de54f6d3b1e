import Foundation
import Testing

@testable import VirtXML

/// Patching real-world domain XML: only the chosen interface changes, everything else survives.
@Suite struct InterfacePatchTests {
  /// A Virtuozzo-style VM with three NICs, comments and a disk (shapes from `virsh dumpxml`).
  let web1 = """
    <domain type='kvm' id='7' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
      <name>web1</name>
      <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
      <!-- owner: team-web; do not rename -->
      <memory unit='KiB'>1048576</memory>
      <devices>
        <disk type='file' device='disk'>
          <driver name='qemu' type='qcow2' cache='none'/>
          <source file='/vz/vmprivate/web1/harddisk.hdd'/>
          <target dev='vda' bus='virtio'/>
        </disk>
        <!-- front end NIC -->
        <interface type='bridge'>
          <mac address='52:54:00:AA:00:01'/>
          <source bridge='br0'/>
          <vlan><tag id='99'/></vlan>
          <target dev='vnet0'/>
          <model type='virtio'/>
          <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
        </interface>
        <interface type='network'>
          <mac address='52:54:00:aa:00:02'/>
          <source network='default'/>
          <model type='e1000'/>
        </interface>
        <interface type='bridge'>
          <mac address='52:54:00:aa:00:03'/>
          <source bridge='ovsbr0'/>
          <virtualport type='openvswitch'>
            <parameters interfaceid='09cad6a7-489b-42f4-883a-d710ad96c50e' profileid='keep-me'/>
          </virtualport>
          <target dev='vnet2'/>
        </interface>
      </devices>
      <qemu:commandline><qemu:arg value='-no-hpet'/></qemu:commandline>
    </domain>
    """

  /// Everything of the domain except the interface with `mac`, serialized: must not change.
  func untouched(_ xml: String, except mac: String) throws -> [String] {
    let tree = try XMLTree(xml)
    let root = try #require(tree.root)
    var parts = root.attributeNames.map { "\($0)=\(root.attribute($0) ?? "")" }
    for child in root.children() where child.name != "devices" { parts.append(child.serialized()) }
    for devices in root.children(named: "devices") {
      for device in devices.children() where device.firstChild(named: "mac")?.attribute("address")?.lowercased() != mac
      {
        parts.append(device.serialized())
      }
    }
    // Comments anywhere in the document.
    parts += xml.components(separatedBy: "<!--").dropFirst().map {
      "<!--" + ($0.components(separatedBy: "-->").first ?? "")
    }
    return parts
  }

  @Test func bridgeNICMovesToAPortgroupAndLosesItsStaleVLAN() throws {
    let patched = try InterfacePatcher.patch(
      domainXML: web1, select: .mac("52:54:00:aa:00:01"), to: .network("ovsvl2", portgroup: "vlan-120"),
      interfaceID: "11111111-2222-4333-8444-555555555555")
    #expect(
      try untouched(patched.domainXML, except: "52:54:00:aa:00:01") == untouched(web1, except: "52:54:00:aa:00:01"))
    let nic = try DomainInterface.all(inDomainXML: patched.domainXML)[0]
    #expect(nic.type == "network")
    #expect(nic.sourceNetwork == "ovsvl2")
    #expect(nic.portgroup == "vlan-120")
    #expect(nic.sourceBridge == nil)
    #expect(nic.vlan == nil)
    #expect(nic.virtualPortType == "openvswitch")
    #expect(nic.interfaceID == "11111111-2222-4333-8444-555555555555")
    #expect(nic.targetDevice == "vnet0")
    #expect(
      patched.interfaceXML.contains("<address type=\"pci\"") || patched.interfaceXML.contains("<address type='pci'"))
    #expect(patched.domainXML.contains("<!-- front end NIC -->"))
  }

  @Test func networkNICMovesToAnOVSBridgeWithATrunk() throws {
    let patched = try InterfacePatcher.patch(
      domainXML: web1, select: .mac("52:54:00:AA:00:02"),
      to: .bridge("ovsbr0", vlan: .trunk([120, 130], native: (tag: 110, mode: .untagged))))
    #expect(
      try untouched(patched.domainXML, except: "52:54:00:aa:00:02") == untouched(web1, except: "52:54:00:aa:00:02"))
    let nic = try DomainInterface.all(inDomainXML: patched.domainXML)[1]
    #expect(nic.type == "bridge")
    #expect(nic.sourceBridge == "ovsbr0")
    #expect(nic.sourceNetwork == nil)
    #expect(nic.vlan?.isTrunk == true)
    #expect(nic.vlan?.allTags == [110, 120, 130])
    #expect(
      patched.interfaceXML.contains("nativeMode=\"untagged\"") || patched.interfaceXML.contains("nativeMode='untagged'")
    )
    #expect(nic.virtualPortType == "openvswitch")
    #expect(RowLikeUUID.isUUID(patched.interfaceID))
  }

  @Test func existingInterfaceIDAndParametersAreKept() throws {
    let patched = try InterfacePatcher.patch(
      domainXML: web1, select: .targetDevice("vnet2"), to: .bridge("brlv140", vlan: .access(140)),
      interfaceID: "ignored")
    #expect(patched.interfaceID == "09cad6a7-489b-42f4-883a-d710ad96c50e")
    let nic = try DomainInterface.all(inDomainXML: patched.domainXML)[2]
    #expect(nic.sourceBridge == "brlv140")
    #expect(nic.vlan == .access(140))
    #expect(nic.vlan?.isTrunk == false)
    #expect(patched.interfaceXML.contains("profileid"))
    #expect(
      try untouched(patched.domainXML, except: "52:54:00:aa:00:03") == untouched(web1, except: "52:54:00:aa:00:03"))
  }

  @Test func patchingTwiceIsStable() throws {
    let once = try InterfacePatcher.patch(
      domainXML: web1, select: .mac("52:54:00:aa:00:01"), to: .bridge("ovsbr0", vlan: .access(120)))
    let twice = try InterfacePatcher.patch(
      domainXML: once.domainXML, select: .mac("52:54:00:aa:00:01"), to: .bridge("ovsbr0", vlan: .access(120)))
    #expect(twice.interfaceID == once.interfaceID)
    #expect(twice.domainXML == once.domainXML)
  }

  /// More shapes met in the field: an oVirt-style VM (macvtap, network NIC with bandwidth and a
  /// filter, metadata in foreign namespaces) and a plain KVM guest with an OVS NIC and a trunk.
  static let samples: [(name: String, xml: String, mac: String)] = [
    (
      "ovirt",
      """
      <domain type='kvm' xmlns:ovirt-tune='http://ovirt.org/vm/tune/1.0'>
        <name>db1</name>
        <metadata><ovirt-tune:qos/></metadata>
        <devices>
          <interface type='direct'><mac address='00:1a:4a:16:01:51'/><source dev='ens3f1' mode='bridge'/><model type='virtio'/></interface>
          <interface type='network'>
            <mac address='00:1a:4a:16:01:52'/>
            <source network='vdsm-ovirtmgmt'/>
            <bandwidth><inbound average='1000' peak='5000'/></bandwidth>
            <filterref filter='vdsm-no-mac-spoofing'/>
            <link state='up'/>
            <boot order='2'/>
            <model type='virtio'/>
          </interface>
          <!-- console --><serial type='pty'><target port='0'/></serial>
        </devices>
      </domain>
      """,
      "00:1a:4a:16:01:52"
    ),
    (
      "kvm-trunk",
      """
      <domain type='kvm'>
        <name>router1</name>
        <devices>
          <interface type='bridge'>
            <mac address='52:54:00:11:22:33'/>
            <source bridge='ovsbr0'/>
            <vlan trunk='yes'><tag id='120'/><tag id='130'/></vlan>
            <virtualport type='openvswitch'><parameters interfaceid='5b1e4c6f-1a1d-4b8e-9a8e-2f1a9c0d7e61'/></virtualport>
            <mtu size='2000'/>
            <model type='virtio'/>
          </interface>
          <interface type='bridge'><mac address='52:54:00:11:22:34'/><source bridge='br-ext'/></interface>
        </devices>
      </domain>
      """,
      "52:54:00:11:22:33"
    ),
  ]

  @Test(arguments: [0, 1])
  func onlyTheChosenInterfaceChangesInFieldSamples(index: Int) throws {
    let sample = Self.samples[index]
    for target: InterfaceTarget in [.network("ovsvl2", portgroup: "vlan-120"), .bridge("brlv140", vlan: .access(140))] {
      let patched = try InterfacePatcher.patch(domainXML: sample.xml, select: .mac(sample.mac), to: target)
      #expect(
        try untouched(patched.domainXML, except: sample.mac) == untouched(sample.xml, except: sample.mac),
        "\(sample.name)")
      let nic = try #require(try DomainInterface.all(inDomainXML: patched.domainXML).first { $0.mac == sample.mac })
      #expect(nic.virtualPortType == "openvswitch")
      // What the NIC carried besides its wiring (bandwidth, filter, mtu, boot order…) is still there.
      for kept in ["bandwidth", "filterref", "boot order", "mtu size", "model type"]
      where sample.xml.contains("<\(kept)") {
        #expect(patched.interfaceXML.contains("<\(kept)"), "\(sample.name): lost <\(kept)")
      }
      if sample.name == "kvm-trunk" { #expect(nic.interfaceID == "5b1e4c6f-1a1d-4b8e-9a8e-2f1a9c0d7e61") }
    }
  }

  /// A network's guest MTU goes on the NIC (libvirt takes no `<mtu>` on a bridge-mode network):
  /// set when given, replacing the NIC's own, and left alone when not.
  @Test func mtuIsSetOnlyWhenGiven() throws {
    let sample = Self.samples[1]
    let target = InterfaceTarget.network("ovsvl2", portgroup: "vlan-120")
    let kept = try InterfacePatcher.patch(domainXML: sample.xml, select: .mac(sample.mac), to: target)
    #expect(try DomainInterface.all(inDomainXML: kept.domainXML).first { $0.mac == sample.mac }?.mtu == 2000)
    let set = try InterfacePatcher.patch(domainXML: sample.xml, select: .mac(sample.mac), to: target, mtu: 1446)
    let nics = try DomainInterface.all(inDomainXML: set.domainXML)
    #expect(nics.first { $0.mac == sample.mac }?.mtu == 1446)
    #expect(set.interfaceXML.components(separatedBy: "<mtu ").count == 2, "one <mtu>: \(set.interfaceXML)")
    #expect(nics.first { $0.mac != sample.mac }?.mtu == nil)
    let fresh = try InterfacePatcher.patch(domainXML: web1, select: .mac("52:54:00:aa:00:01"), to: target, mtu: 1400)
    #expect(fresh.interfaceXML.contains("<mtu size=\"1400\"/>") || fresh.interfaceXML.contains("<mtu size='1400'/>"))
    #expect(
      try InterfaceDefinition(mac: "52:54:00:00:00:01", target: target, interfaceID: "x", mtu: 1446).xml()
        .contains("<mtu size='1446'/>"))
  }

  /// libvirt refuses `<mtu>` in a network with `<forward mode='bridge'/>`: the template writes none.
  @Test func networkXMLCarriesNoMTU() throws {
    #expect(!(try NetworkDefinition(name: "n", bridge: "br0", vlan: 10).xml()).contains("<mtu"))
  }

  @Test func selectionErrorsNameTheProblem() {
    #expect(throws: XMLError("no interface matches mac(\"52:54:00:ff:ff:ff\")")) {
      try InterfacePatcher.patch(domainXML: web1, select: .mac("52:54:00:ff:ff:ff"), to: .network("n", portgroup: nil))
    }
    #expect(throws: XMLError("the domain has 3 interfaces: name one with --mac")) {
      try InterfacePatcher.patch(domainXML: web1, select: .only, to: .network("n", portgroup: nil))
    }
    #expect(throws: XMLError.self) {
      try InterfacePatcher.patch(domainXML: "<network/>", select: .only, to: .network("n", portgroup: nil))
    }
  }

  @Test func theOnlyInterfaceWithoutSourceGetsOne() throws {
    let xml =
      "<domain><name>x</name><devices><interface type='user'><mac address='52:54:00:00:00:09'/></interface></devices></domain>"
    let patched = try InterfacePatcher.patch(domainXML: xml, select: .only, to: .network("ovsvl", portgroup: nil))
    let nic = try DomainInterface.all(inDomainXML: patched.domainXML)[0]
    #expect(nic.type == "network")
    #expect(nic.sourceNetwork == "ovsvl")
    #expect(nic.mac == "52:54:00:00:00:09")
  }

  /// Found by fuzzing: of two <vlan> elements only the first was removed, and libvirt would then
  /// read the second as the interface's VLAN.
  @Test func everyVLANElementIsReplaced() throws {
    let xml =
      "<domain><devices><interface type='bridge'><source bridge='br9'/><vlan><tag id='7'/></vlan><vlan trunk='yes'><tag id='42'/></vlan></interface></devices></domain>"
    let network = try InterfacePatcher.patch(domainXML: xml, select: .only, to: .network("n", portgroup: nil))
    #expect(!network.interfaceXML.contains("<vlan"))
    let bridge = try InterfacePatcher.patch(domainXML: xml, select: .only, to: .bridge("br0", vlan: .access(5)))
    #expect(bridge.interfaceXML.components(separatedBy: "<vlan").count == 2)
    #expect(bridge.interfaceXML.contains("<tag id=\"5\"/>"))
    let retagged = try InterfacePatcher.retag(domainXML: xml, select: .only, vlan: nil)
    #expect(!retagged.contains("<vlan"))
  }

  /// Found by fuzzing: entities a DOCTYPE declares were dropped on writing the patched domain back,
  /// leaving `&a;` that nothing defines. Such a document is refused; a bare DOCTYPE still loads.
  @Test func aDoctypeDeclaringEntitiesIsRefused() throws {
    let xml =
      "<!DOCTYPE domain [<!ENTITY a 'x'>]><domain><name>&a;</name><devices><interface type='user'/></devices></domain>"
    #expect(throws: XMLError.self) {
      try InterfacePatcher.patch(domainXML: xml, select: .only, to: .network("n", portgroup: nil))
    }
    let bare = "<!DOCTYPE domain><domain><name>x</name><devices><interface type='user'/></devices></domain>"
    let patched = try InterfacePatcher.patch(domainXML: bare, select: .only, to: .network("n", portgroup: nil))
    #expect(try XMLTree(patched.domainXML).root?.name == "domain")
  }
}

enum RowLikeUUID {
  static func isUUID(_ text: String) -> Bool { UUID(uuidString: text) != nil }
}
