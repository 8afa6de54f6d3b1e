import ArgumentParser
import Foundation
import Libvirt
import OVSDB
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
        let xml = try vm.xml(inactive: try !vm.isActive())
        for nic in try DomainInterface.all(inDomainXML: xml) {
          var expected = nic.vlan
          if expected == nil, let network = nic.sourceNetwork {
            expected = try NetworkVLAN.resolve(try connection.network(named: network).xml(), portgroup: nic.portgroup)
          }
          let port = nic.targetDevice.flatMap { state.ports[$0] }
          let iface = nic.targetDevice.flatMap { state.interfaces[$0] }
          let expectedTag = expected.flatMap { $0.trunk ? nil : $0.tags.first }
          let expectedTrunks = expected.map { $0.trunk ? $0.tags : [] } ?? []
          let ok =
            port != nil && port?.tag == expectedTag && (port?.trunks ?? []) == expectedTrunks
            && iface?.externalIDs["iface-id"] == nic.interfaceID
          var row: [String: JSON] = [
            "mac": nic.mac.map(JSON.string) ?? .null, "tap": nic.targetDevice.map(JSON.string) ?? .null,
            "interfaceid": nic.interfaceID.map(JSON.string) ?? .null, "ok": .bool(ok),
            "expected_trunks": .array(expectedTrunks.map { .int(Int64($0)) }),
            "ovs_trunks": .array((port?.trunks ?? []).map { .int(Int64($0)) }),
            "in_ovs": .bool(port != nil),
          ]
          row["expected_tag"] = expectedTag.map { .int(Int64($0)) } ?? .null
          row["ovs_tag"] = port?.tag.map { .int(Int64($0)) } ?? .null
          row["source"] = .string(
            nic.sourceNetwork.map { "\($0)\(nic.portgroup.map { "/\($0)" } ?? "")" } ?? nic.sourceBridge ?? "")
          rows.append(.object(row))
          let want =
            expectedTag.map { "tag \($0)" } ?? (expectedTrunks.isEmpty ? "untagged" : "trunks \(expectedTrunks)")
          let have =
            port.map { p in p.tag.map { "tag \($0)" } ?? (p.trunks.isEmpty ? "untagged" : "trunks \(p.trunks)") }
            ?? "no port"
          lines.append(
            "\(nic.mac ?? "?")\t\(nic.targetDevice ?? "-")\twant \(want)\thave \(have)\t\(ok ? "ok" : "DIFFERENT")")
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
