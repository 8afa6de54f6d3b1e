import ArgumentParser
import Foundation
import Libvirt
import OVSVirt
import VirtXML

struct AttachCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "attach", abstract: "Connect a VM's NIC (by MAC) to an OVS network/portgroup or bridge + VLAN.",
    discussion: """
      The NIC is patched in place (virsh edit without the editor): its <source>, <vlan> and
      <virtualport type='openvswitch'> with a stable interfaceid; everything else is kept. A NIC with
      that MAC that does not exist yet is added. Default scope: the running VM and its definition
      for a running VM, the definition for a stopped one. libvirt refuses to move a running NIC to
      another portgroup; ovsvirt then changes the definition and retags the running NIC with the
      portgroup's VLAN, and says so.
        ovsvirt attach web1 --mac 52:54:00:aa:00:01 --network ovsvl
        ovsvirt attach web1 --mac 52:54:00:aa:00:02 --network ovsvl2 --portgroup vlan-120
        ovsvirt attach web1 --mac 52:54:00:aa:00:03 --bridge ovsbr0 --vlan 120
      """)

  @OptionGroup var libvirt: LibvirtOptions
  @Argument(help: "Domain name.") var domain: String
  @Option(help: "MAC address of the NIC.") var mac: String
  @Option(help: "libvirt network to join.") var network: String?
  @Option(help: "Portgroup of that network.") var portgroup: String?
  @Option(help: "OVS bridge to join directly.") var bridge: String?
  @Option(help: "Access VLAN (with --bridge).") var vlan: Int?
  @Option(help: "Trunked VLANs, comma separated (with --bridge).") var trunk: String?
  @Flag(help: "Change the running VM.") var live = false
  @Flag(help: "Change the persistent definition.") var config = false
  @Flag(help: "Print the new interface XML and change nothing.") var dryRun = false

  func run() async throws {
    guard MACAddress.isUnicast(mac) else {
      throw SwitchSession.refuse(
        "--mac '\(mac)' is not a unicast MAC address: write six hex pairs like 52:54:00:aa:00:01 (the first octet even)"
      )
    }
    let target = try self.target()
    let connection = try libvirt.open()
    do {
      let vm = try connection.domain(named: domain)
      let running = try vm.isActive()
      let scope = try DomainChange.scope(live: live, config: config, running: running, domain: domain)
      let outcome = try NICAttacher.attach(
        vm, connection: connection, mac: mac.lowercased(), target: target, scope: scope, dryRun: dryRun,
        templates: try libvirt.templateSet())
      outcome.printed.forEach { print($0) }
      for note in outcome.notes { FileHandle.standardError.write(Data("ovsvirt: \(note)\n".utf8)) }
    } catch {
      throw DomainChange.exitError(error, domain: domain)
    }
  }

  func target() throws -> InterfaceTarget {
    switch (network, bridge) {
    case (let network?, nil):
      guard vlan == nil, trunk == nil else {
        throw SwitchSession.refuse("--vlan/--trunk go with --bridge; a network's VLAN comes from it or its portgroup")
      }
      return .network(network, portgroup: portgroup)
    case (nil, let bridge?):
      guard portgroup == nil else { throw SwitchSession.refuse("--portgroup goes with --network") }
      guard vlan == nil || trunk == nil else { throw SwitchSession.refuse("--vlan and --trunk exclude each other") }
      if let vlan {
        guard (0...4095).contains(vlan) else { throw SwitchSession.refuse("VLAN \(vlan) is outside 0–4095") }
        return .bridge(bridge, vlan: .access(vlan))
      }
      if let trunk {
        let tags = trunk.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !tags.isEmpty, tags.allSatisfy({ $0.map { (0...4095).contains($0) } ?? false }) else {
          throw SwitchSession.refuse("--trunk '\(trunk)': write VLANs 0–4095 separated by commas")
        }
        return .bridge(bridge, vlan: .trunk(tags.compactMap { $0 }))
      }
      return .bridge(bridge, vlan: nil)
    default:
      throw SwitchSession.refuse("give exactly one of --network or --bridge")
    }
  }
}
