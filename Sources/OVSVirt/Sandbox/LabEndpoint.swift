import Foundation
import OVSDB
import VSwitch

extension HostLab {
  /// A VM stand-in on one lab host: a network namespace whose `eth0` is one end of a veth pair; the
  /// other end, named like the endpoint, is an OVS port plugged the way libvirt plugs a VM's tap
  /// (same columns: VLAN, iface-id, attached-mac, vm-id, iface-status), so reconcile, watch and
  /// `domain ports` treat it as one.
  public struct Endpoint: Sendable, Equatable {
    public var name: String
    public var host: String
    public var namespace: String
    public var mac: String
    public var interfaceID: String
    public var vmID: String
  }

  /// Adds endpoint `name` (1–15 letters, digits, '-' or '_') on `host`, on `bridge` with `vlan`,
  /// addressed `address` (CIDR). `mtu` is the guest side's MTU.
  public func addEndpoint(
    _ name: String, host: String, bridge: String, vlan: VLANSettings, address: String, mac: String? = nil,
    mtu: Int? = nil
  ) async throws -> Endpoint {
    guard let lab = try hosts().first(where: { $0.name == host }) else {
      throw SandboxError.invalid(
        "no host '\(host)' in this sandbox (it has \(try hosts().map(\.name).joined(separator: ", ")))")
    }
    guard !name.isEmpty, name.utf8.count <= 15,
      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    else {
      throw SandboxError.invalid("endpoint name '\(name)': 1–15 letters, digits, '-' or '_' (it names the OVS port)")
    }
    guard address.contains("/") else {
      throw SandboxError.invalid("address '\(address)': give it as CIDR, e.g. 10.140.0.11/24")
    }
    if let mtu, !(68...9000).contains(mtu) { throw SandboxError.invalid("MTU \(mtu) is outside 68–9000") }
    try vlan.validate(port: name)
    let ip = try Executables.require("ip", package: "iproute2")
    let ethtool = try Executables.require("ethtool", package: "ethtool")
    let log = directory + "/ip.out"
    func run(_ program: String, _ arguments: [String]) async throws {
      try await CommandRunner.runOffPool(program, arguments, outputFile: log)
    }
    let namespace = endpointNamespace(name)
    guard !namespaceExists(namespace) else { throw SandboxError.invalid("endpoint '\(name)' exists already") }
    let guestMAC = mac ?? Self.mac(for: directory + "/" + name)
    try await addNamespace(namespace)
    try await quiet(namespace)
    try await run(
      ip, ["-n", lab.namespace, "link", "add", name, "type", "veth", "peer", "name", "eth0", "netns", namespace])
    try await run(ip, ["-n", namespace, "link", "set", "eth0", "address", guestMAC])
    if let mtu {
      try await run(ip, ["-n", namespace, "link", "set", "eth0", "mtu", "\(mtu)"])
      try await run(ip, ["-n", lab.namespace, "link", "set", name, "mtu", "\(mtu)"])
    }
    try await run(ip, ["-n", namespace, "addr", "add", address, "dev", "eth0"])
    try await run(ip, ["-n", namespace, "link", "set", "eth0", "up"])
    try await run(ip, ["-n", namespace, "link", "set", "lo", "up"])
    try await run(ip, ["-n", lab.namespace, "link", "set", name, "up"])
    // Open vSwitch reads frames raw from the veth: a checksum the kernel left for the NIC to fill
    // would cross the switch half done (pings pass, TCP does not).
    try await run(ip, ["netns", "exec", namespace, ethtool, "-K", "eth0", "tx", "off"])
    let interfaceID = UUID().uuidString.lowercased()
    let vmID = UUID().uuidString.lowercased()
    let plug = TapPlug(
      name: name, bridge: bridge, vlan: vlan,
      interfaceExternalIDs: [
        "iface-id": interfaceID, "attached-mac": guestMAC, "vm-id": vmID, "iface-status": "active",
      ])
    let client = ReplicaClient(remote: lab.db, tables: SwitchTables.monitored)
    do {
      _ = try await client.start()
      _ = try await client.transaction { txn in
        try SwitchPlanner().ensurePort(plug, state: SwitchState(txn.snapshot), in: &txn)
      }
    } catch {
      await client.close()
      throw error
    }
    await client.close()
    return Endpoint(
      name: name, host: host, namespace: namespace, mac: guestMAC, interfaceID: interfaceID, vmID: vmID)
  }

  /// A stable, locally administered unicast MAC for `seed`.
  static func mac(for seed: String) -> String {
    var hash: UInt64 = 14_695_981_039_346_656_037
    for byte in seed.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
    let bytes = (0..<3).map { UInt8(truncatingIfNeeded: hash >> (8 * $0)) }
    return "52:54:00:" + bytes.map { String(format: "%02x", $0) }.joined(separator: ":")
  }
}
