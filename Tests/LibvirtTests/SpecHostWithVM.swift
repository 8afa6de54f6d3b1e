import Foundation
import Testing
import TestSupport

/// What the watch tests follow: a spec'd bridge (netdev) with an internal port on VLAN 77, a
/// network on it whose default portgroup is VLAN 120, and a running tiny VM with one NIC there.
struct SpecHostWithVM {
  let bridge: String
  let managementPort: String
  let network: String
  let vm: String

  /// Names start with `short` (bridge and port, ≤ 15 bytes) and `ovsvirt-test-LONG` (libvirt
  /// objects); nothing is made yet, so a `remove` deferred right away also covers a failed `create`.
  init(short: String, long: String) {
    let id = getpid() % 100000
    bridge = "\(short)br\(id)"
    managementPort = "\(short)mgmt\(id)"
    network = "ovsvirt-test-\(long)vl-\(id)"
    vm = "ovsvirt-test-\(long)-\(id)"
  }

  /// Applies the spec and starts the VM; returns the spec's path and the VM NIC's tap (libvirt
  /// plugged it with VLAN 120).
  func create(_ env: VMEnvironment, mac: String) throws -> (spec: String, tap: String) {
    let spec = try env.spec(
      """
      bridges:
        - name: \(bridge)
          datapath_type: netdev
          ports: [{name: \(managementPort), type: internal, access: 77}]
      networks:
        - name: \(network)
          bridge: \(bridge)
          portgroups: [{name: vlan-120, vlan: 120, default: true}]
      """)
    let applied = try CLI.run(["apply", spec, "--db", env.db, "--connect", env.uri], in: env.directory)
    try #require(applied.status == 0, "\(applied.stderr)")
    try env.virsh(
      "create",
      xml: VMEnvironment.tinyVM(
        vm,
        interfaces: [
          "<interface type='network'><mac address='\(mac)'/><source network='\(network)'/>"
            + "<model type='e1000'/></interface>"
        ]))
    return (spec, try #require(try VirtXMLFacade.interfaces(try env.virsh("dumpxml", vm)).first?.target))
  }

  func remove(from env: VMEnvironment) {
    env.remove(domains: [vm], networks: [network], bridges: [bridge])
  }
}
