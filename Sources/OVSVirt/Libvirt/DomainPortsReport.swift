import Libvirt
import VSwitch
import VirtXML

/// `ovsvirt domain ports`: each NIC of a VM, what libvirt's plug gives it (through the same mapping
/// reconcile uses, so "ok" means reconcile would change nothing for it) against its OVS port.
public struct DomainPortsReport: Sendable {
  public struct NIC: Sendable {
    public var mac: String?
    public var tap: String?
    public var interfaceID: String?
    /// "network/portgroup", or the bridge.
    public var source: String
    public var expected: VLANSettings
    /// The OVS port's VLAN columns, nil when there is no port.
    public var actual: VLANSettings?
    /// What differs, in words; empty when the NIC is as libvirt plugs it.
    public var differences: [String]
    public var ok: Bool { differences.isEmpty }
  }

  public var nics: [NIC]

  /// Reads the domain (live when it runs) and compares each NIC with `state`.
  public static func read(_ libvirt: LibvirtAccess, domain: String, state: SwitchState) throws(CommandFailure)
    -> DomainPortsReport
  {
    let connection = try libvirt.open()
    do {
      let vm = try connection.domain(named: domain)
      let running = try vm.isActive()
      let xml = try vm.xml(inactive: !running)
      let vmID = vm.uuid
      let resolve = { (network: String, portgroup: String?) throws -> NetworkPortSettings in
        try NetworkPortSettings.resolve(try connection.network(named: network).xml(), portgroup: portgroup)
      }
      let nics = try DomainInterface.all(inDomainXML: xml).map { nic in
        let desired = DesiredPort.desired(nic, domain: domain, vmID: vmID, network: resolve)
        let expected: VLANSettings
        if let desired {
          expected = desired.vlan
        } else if nic.vlanProblem != nil {
          expected = VLANSettings(tag: .dead)
        } else {
          let fromNetwork = nic.vlan == nil ? nic.sourceNetwork.flatMap { try? resolve($0, nic.portgroup).vlan } : nil
          expected = LibvirtPlug.vlanSettings(nic.vlan ?? fromNetwork)
        }
        var differences = desired.map { $0.plug.differences(in: state) } ?? []
        if !running {
          differences.append("the VM is not running")
        } else if desired == nil {
          differences.append("not an OVS NIC libvirt plugged")
        }
        if let reason = desired?.parkedBecause { differences.append("VLAN unknown (\(reason)): belongs on 4095") }
        let source = nic.sourceNetwork.map { "\($0)\(nic.portgroup.map { "/\($0)" } ?? "")" } ?? nic.sourceBridge ?? ""
        return NIC(
          mac: nic.mac, tap: nic.targetDevice, interfaceID: nic.interfaceID, source: source, expected: expected,
          actual: nic.targetDevice.flatMap { state.ports[$0] }.map(\.vlanSettings), differences: differences)
      }
      return DomainPortsReport(nics: nics)
    } catch {
      throw CommandFailure.classify(error, subject: "domain '\(domain)'")
    }
  }
}
