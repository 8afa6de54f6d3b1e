import ArgumentParser
import Foundation
import OVSDB
import OVSVirt

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
      On an `engine: ovn` cluster, --spec CLUSTER.yaml [--host H] also writes the NIC's logical port (with
      those of the other VMs running here) to the Northbound database, and returns once they are up
      (bound by this host's ovn-controller), within --timeout; exit 3 names a port that is not, and why.
        ovsvirt attach web1 --mac 52:54:00:aa:00:04 --network tenant --spec cluster-ovn.yaml --host h1
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
  @Option(
    help:
      "A cluster spec with `engine: ovn`: write this host's VM ports to the Northbound database and wait until they are up."
  )
  var spec: String?
  @Option(help: "This host's name in the spec's cluster (default: the short hostname).") var host: String?
  @Option(help: "Seconds to wait for the Northbound database and the binding (with --spec).") var timeout: Double = 10

  func validate() throws { try SwitchOptions.check(timeout: timeout) }

  func run() async throws {
    let cluster = try ovnCluster()
    do {
      let outcome = try DomainNICs.attach(
        libvirt.access, domain: domain, mac: mac, to: try target(), live: live, config: config, dryRun: dryRun)
      outcome.printed.forEach { print($0) }
      for note in outcome.notes { FileHandle.standardError.write(Data("ovsvirt: \(note)\n".utf8)) }
    } catch {
      throw SwitchSession.translate(error)
    }
    guard let cluster, !dryRun else { return }
    let options = SwitchOptions.clientOptions(timeout: timeout)
    guard
      let northbound = try await NorthboundSync.run(
        cluster, libvirt: libvirt.access, prune: false, commit: true, options: options,
        bindWithin: .seconds(timeout))
    else { return }
    northbound.changes.forEach { print("Northbound: \($0)") }
    guard northbound.problems.isEmpty else {
      throw CommandFailure(
        .partial, "the NIC is attached, but not every logical port of this host is up yet",
        details: northbound.problems)
    }
  }

  /// The spec of `--spec`, loaded before anything changes: it must be an `engine: ovn` cluster.
  func ovnCluster() throws -> HostSpec? {
    guard let spec else { return nil }
    let loaded: HostSpec
    do throws(SpecError) {
      loaded = try SpecLoader.load(path: spec, host: host)
    } catch {
      throw CommandFailure.refused(error, in: spec)
    }
    guard loaded.ovn != nil else {
      throw CommandFailure.refused("--spec \(spec): not an `engine: ovn` cluster; attach needs no spec otherwise")
    }
    return loaded
  }

  func target() throws -> NICTarget {
    switch (network, bridge) {
    case (let network?, nil):
      guard vlan == nil, trunk == nil else {
        throw CommandFailure.refused("--vlan/--trunk go with --bridge; a network's VLAN comes from it or its portgroup")
      }
      return .network(network, portgroup: portgroup)
    case (nil, let bridge?):
      guard portgroup == nil else { throw CommandFailure.refused("--portgroup goes with --network") }
      guard let trunk else { return .bridge(bridge, access: vlan) }
      let tags = trunk.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !tags.isEmpty, tags.allSatisfy({ $0 != nil }) else {
        throw CommandFailure.refused("--trunk '\(trunk)': write VLANs 0–4095 separated by commas")
      }
      return .bridge(bridge, access: vlan, trunk: tags.compactMap { $0 })
    default:
      throw CommandFailure.refused("give exactly one of --network or --bridge")
    }
  }
}
