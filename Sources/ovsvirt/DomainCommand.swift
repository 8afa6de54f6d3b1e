import ArgumentParser
import Foundation
import Libvirt
import OVSDB
import OVSVirt
import VSwitch
import VirtXML

struct DetachCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "detach", abstract: "Remove a VM's NIC (by MAC); default scope as for attach.")
  @OptionGroup var libvirt: LibvirtOptions
  @Argument var domain: String
  @Option(help: "MAC address of the NIC.") var mac: String
  @Flag(help: "Change the running VM.") var live = false
  @Flag(help: "Change the persistent definition.") var config = false

  func run() async throws {
    let connection = try libvirt.open()
    do {
      let vm = try connection.domain(named: domain)
      let running = try vm.isActive()
      let scope = try DomainChange.scope(live: live, config: config, running: running, domain: domain)
      let xml = try vm.xml(inactive: !scope.contains(.live))
      let (nic, _) = try InterfacePatcher.interface(select: .mac(mac), in: xml)
      try vm.detachDevice(nic, scope)
    } catch {
      throw DomainChange.exitError(error, domain: domain)
    }
  }
}

struct DomainCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "domain", abstract: "Look at VMs from the switch's side.", subcommands: [Ports.self])

  struct Ports: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "ports",
      abstract: "Each NIC of a VM: the VLAN libvirt says it should have, and what its OVS port has.",
      discussion: """
        The expected VLAN follows libvirt's precedence: the interface's own <vlan>, else its portgroup's
        (or the network's default portgroup's), else the network's. A running VM is read live.
        """)
    @OptionGroup var options: SwitchOptions
    @OptionGroup var libvirt: LibvirtOptions
    @Argument var domain: String

    func run() async throws {
      let connection = try libvirt.open()
      var rows: [JSON] = []
      var lines: [String] = []
      let state = try await SwitchSession(options: options).read()
      do {
        let vm = try connection.domain(named: domain)
        let running = try vm.isActive()
        let xml = try vm.xml(inactive: !running)
        let vmID = vm.uuid
        for nic in try DomainInterface.all(inDomainXML: xml) {
          // The same mapping reconcile uses, so `domain ports` says "ok" exactly when reconcile
          // would change nothing for this NIC.
          let desired = DesiredPort.desired(nic, domain: domain, vmID: vmID) { network, portgroup in
            try NetworkPortSettings.resolve(try connection.network(named: network).xml(), portgroup: portgroup)
          }
          let expected: VLANSettings
          if let desired {
            expected = desired.vlan
          } else {
            var tags = nic.vlan
            if tags == nil, nic.vlanProblem == nil, let network = nic.sourceNetwork {
              tags = try? NetworkVLAN.resolve(try connection.network(named: network).xml(), portgroup: nic.portgroup)
            }
            expected = nic.vlanProblem == nil ? LibvirtPlug.vlanSettings(tags) : VLANSettings(tag: .dead)
          }
          let port = nic.targetDevice.flatMap { state.ports[$0] }
          var differences = desired.map { $0.plug.differences(in: state) } ?? []
          if desired == nil && running { differences.append("not an OVS NIC libvirt plugged") }
          if !running { differences.append("the VM is not running") }
          if let reason = desired?.parkedBecause { differences.append("VLAN unknown (\(reason)): belongs on 4095") }
          let ok = differences.isEmpty
          var row: [String: JSON] = [
            "mac": nic.mac.map(JSON.string) ?? .null, "tap": nic.targetDevice.map(JSON.string) ?? .null,
            "interfaceid": nic.interfaceID.map(JSON.string) ?? .null, "ok": .bool(ok),
            "expected_trunks": .array(expected.trunks.map { .int(Int64($0.value)) }),
            "ovs_trunks": .array((port?.trunks ?? []).map { .int(Int64($0)) }),
            "in_ovs": .bool(port != nil), "differences": .array(differences.map(JSON.string)),
          ]
          row["expected_tag"] = expected.tag.map { .int(Int64($0.value)) } ?? .null
          row["ovs_tag"] = port?.tag.map { .int(Int64($0)) } ?? .null
          row["expected_vlan_mode"] = expected.mode.map { .string($0.rawValue) } ?? .null
          row["ovs_vlan_mode"] = port?.vlanMode.map(JSON.string) ?? .null
          row["source"] = .string(
            nic.sourceNetwork.map { "\($0)\(nic.portgroup.map { "/\($0)" } ?? "")" } ?? nic.sourceBridge ?? "")
          rows.append(.object(row))
          let have = port.map { $0.vlanSettings.summary } ?? "no port"
          let verdict = ok ? "ok" : "DIFFERENT: " + differences.joined(separator: "; ")
          lines.append(
            "\(nic.mac ?? "?")\t\(nic.targetDevice ?? "-")\twant \(expected.summary)\thave \(have)\t\(verdict)")
        }
      } catch let error as LibvirtError {
        throw SwitchSession.fail("\(error)", code: error.isNoDomain ? 1 : 2)
      }
      if options.json {
        print(JSON.array(rows))
      } else {
        lines.forEach { print($0) }
      }
    }
  }
}
