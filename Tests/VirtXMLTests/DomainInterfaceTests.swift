import Foundation
import Testing
import VirtXML

@Suite struct DomainInterfaceTests {
  /// A running VM as `virsh dumpxml` shows it after libvirt plugged it into OVS (seed 004 style).
  let running = """
    <domain type='kvm' id='3'>
      <name>web1</name>
      <!-- hand-edited: keep this comment -->
      <devices>
        <interface type='bridge'>
          <mac address='52:54:00:AA:00:01'/>
          <source bridge='brlv140'/>
          <vlan><tag id='140'/></vlan>
          <virtualport type='openvswitch'>
            <parameters interfaceid='09cad6a7-489b-42f4-883a-d710ad96c50e'/>
          </virtualport>
          <target dev='vnet0'/>
          <model type='virtio'/>
        </interface>
        <interface type='network'>
          <mac address='52:54:00:aa:00:02'/>
          <source network='ovsvl2' portgroup='vlan-120'/>
          <virtualport type='openvswitch'/>
        </interface>
        <interface type='bridge'>
          <mac address='52:54:00:aa:00:03'/>
          <source bridge='ovsbr0'/>
          <vlan trunk='yes'><tag id='120'/><tag id='130'/></vlan>
        </interface>
      </devices>
    </domain>
    """

  @Test func readsEveryInterface() throws {
    let nics = try DomainInterface.all(inDomainXML: running)
    #expect(nics.count == 3)
    #expect(nics[0].type == "bridge")
    #expect(nics[0].mac == "52:54:00:aa:00:01")
    #expect(nics[0].sourceBridge == "brlv140")
    #expect(nics[0].vlan == .access(140))
    #expect(nics[0].virtualPortType == "openvswitch")
    #expect(nics[0].interfaceID == "09cad6a7-489b-42f4-883a-d710ad96c50e")
    #expect(nics[0].targetDevice == "vnet0")
    #expect(nics[1].sourceNetwork == "ovsvl2")
    #expect(nics[1].portgroup == "vlan-120")
    #expect(nics[1].interfaceID == nil)
    #expect(nics[1].vlan == nil)
    #expect(nics[2].vlan?.isTrunk == true)
    #expect(nics[2].vlan?.allTags == [120, 130])
    #expect(nics[2].virtualPortType == nil)
  }

  @Test func rejectsMalformedAndForeignXML() {
    #expect(throws: XMLError.self) { try DomainInterface.all(inDomainXML: "<domain><devices>") }
    #expect(throws: XMLError.self) { try DomainInterface.all(inDomainXML: "<network><name>x</name></network>") }
    #expect(throws: XMLError.self) { try DomainInterface.all(inDomainXML: "") }
  }

  @Test func serializationKeepsComments() throws {
    let tree = try XMLTree(running)
    let text = tree.serialized()
    #expect(text.contains("<!-- hand-edited: keep this comment -->"))
    #expect(try DomainInterface.all(inDomainXML: text) == DomainInterface.all(inDomainXML: running))
  }

  @Test func externalEntitiesAreRefused() {
    let xml = """
      <?xml version="1.0"?>
      <!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/hostname">]>
      <domain><devices><interface type='bridge'><source bridge='&x;'/></interface></devices></domain>
      """
    do {
      let nics = try DomainInterface.all(inDomainXML: xml)
      Issue.record("external entity accepted: \(nics)")
    } catch {
      #expect(error.message.contains("entity"))
    }
  }
}
