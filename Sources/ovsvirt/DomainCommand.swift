import ArgumentParser
import Foundation
import OVSDB
import OVSVirt
import VSwitch

struct DetachCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "detach", abstract: "Remove a VM's NIC (by MAC); default scope as for attach.")
  @OptionGroup var libvirt: LibvirtOptions
  @Argument var domain: String
  @Option(help: "MAC address of the NIC.") var mac: String
  @Flag(help: "Change the running VM.") var live = false
  @Flag(help: "Change the persistent definition.") var config = false

  func run() async throws {
    do {
      try DomainNICs.detach(libvirt.access, domain: domain, mac: mac, live: live, config: config)
    } catch {
      throw SwitchSession.translate(error)
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
      let state = try await SwitchSession(options: options).read()
      let report: DomainPortsReport
      do {
        report = try DomainPortsReport.read(libvirt.access, domain: domain, state: state)
      } catch {
        throw SwitchSession.translate(error)
      }
      if options.json {
        print(JSON.array(report.nics.map(Self.json)))
      } else {
        for nic in report.nics {
          let have = nic.actual?.summary ?? "no port"
          let verdict = nic.ok ? "ok" : "DIFFERENT: " + nic.differences.joined(separator: "; ")
          print("\(nic.mac ?? "?")\t\(nic.tap ?? "-")\twant \(nic.expected.summary)\thave \(have)\t\(verdict)")
        }
      }
    }

    static func json(_ nic: DomainPortsReport.NIC) -> JSON {
      func optional(_ value: Int?) -> JSON { value.map { .int(Int64($0)) } ?? .null }
      return .object([
        "mac": nic.mac.map(JSON.string) ?? .null, "tap": nic.tap.map(JSON.string) ?? .null,
        "interfaceid": nic.interfaceID.map(JSON.string) ?? .null, "ok": .bool(nic.ok), "source": .string(nic.source),
        "in_ovs": .bool(nic.actual != nil), "differences": .array(nic.differences.map(JSON.string)),
        "expected_tag": optional(nic.expected.tag?.value), "ovs_tag": optional(nic.actual?.tag?.value),
        "expected_trunks": .array(nic.expected.trunks.map { .int(Int64($0.value)) }),
        "ovs_trunks": .array((nic.actual?.trunks ?? []).map { .int(Int64($0.value)) }),
        "expected_vlan_mode": nic.expected.mode.map { .string($0.rawValue) } ?? .null,
        "ovs_vlan_mode": nic.actual?.mode.map { .string($0.rawValue) } ?? .null,
      ])
    }
  }
}
