import Foundation
import OVSDB
import VSwitch

/// Several simulated hypervisors on one machine, for rehearsing a cluster spec with real packets:
/// each host is a network namespace with its own ovsdb-server and ovs-vswitchd (netdev datapath,
/// userspace tunnelling), joined by an underlay — a Linux bridge in a namespace of its own, with an
/// MTU of your choice. Each host's underlay NIC sits on its `br-phy` bridge, whose internal port
/// holds the host's tunnel address (Open vSwitch's userspace-tunnelling layout). Everything lives
/// under one directory and namespaces named after it, so `stop` removes exactly what was started.
public struct HostLab: Sendable {
  public struct Host: Sendable, Equatable {
    public var name: String
    /// Where the host's vswitchd runs (and its VM endpoints' host ends are).
    public var namespace: String
    /// The `--db` for this host.
    public var db: String
    /// The host's tunnel (underlay) address.
    public var underlayIP: String
    public var directory: String
  }

  /// The underlay's network: hosts get .1, .2, … in order.
  public static let underlayPrefix = "172.31.0."
  public static let underlayBridge = "ul"

  public let directory: String
  /// Short, derived from the directory: every namespace of this lab starts with it.
  public let prefix: String

  public init(directory: String) {
    let absolute = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
    self.directory = URL(fileURLWithPath: absolute).standardizedFileURL.path
    var hash: UInt32 = 2_166_136_261
    for byte in self.directory.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
    prefix = "ovl" + String(hash % 0xFFFFF, radix: 36)
  }

  var underlayNamespace: String { prefix + "-ul" }
  func hostNamespace(_ host: String) -> String { prefix + "-" + host }
  func endpointNamespace(_ name: String) -> String { prefix + "-e-" + name }
  var manifest: String { directory + "/lab.json" }
  /// Every namespace the lab made, one per line, written before it is made: whoever cleans up
  /// after a lab that was killed (scripts/test does) deletes exactly these.
  var namespaceList: String { directory + "/namespaces" }

  /// Adds a namespace, recording it first.
  func addNamespace(_ name: String) async throws {
    let ip = try Executables.require("ip", package: "iproute2")
    let line = Data((name + "\n").utf8)
    if let handle = FileHandle(forWritingAtPath: namespaceList) {
      handle.seekToEndOfFile()
      handle.write(line)
      try? handle.close()
    } else {
      try line.write(to: URL(fileURLWithPath: namespaceList))
    }
    try await CommandRunner.runOffPool(ip, ["netns", "add", name], outputFile: directory + "/ip.out")
  }

  /// The hosts of a running lab, as `start` recorded them.
  public func hosts() throws(SandboxError) -> [Host] {
    guard let data = FileManager.default.contents(atPath: manifest),
      let json = try? JSONParser.parse(Array(data)), let entries = json["hosts"]?.arrayValue
    else { throw .notRunning(directory) }
    return entries.compactMap { entry in
      guard let name = entry["name"]?.stringValue, let namespace = entry["namespace"]?.stringValue,
        let db = entry["db"]?.stringValue, let ip = entry["underlay_ip"]?.stringValue,
        let dir = entry["dir"]?.stringValue
      else { return nil }
      return Host(name: name, namespace: namespace, db: db, underlayIP: ip, directory: dir)
    }
  }

  /// Starts `names` as hosts (up to 200, names of letters and digits), the underlay at `mtu`; with
  /// `libvirt`, each host also gets a libvirtd of its own (`HostLibvirt`) for real guests; with
  /// `ovn`, the lab gets OVN's central databases and ovn-northd, and each host an ovn-controller and
  /// a second NIC, `pn0`, on the same segment: the physical network of VLAN (localnet) traffic.
  public func start(
    hosts names: [String], underlayMTU mtu: Int = 1500, libvirt: Bool = false, ovn: Bool = false
  ) async throws -> [Host] {
    guard !names.isEmpty, names.count <= 200 else { throw SandboxError.invalid("give 1 to 200 host names") }
    for name in names {
      guard !name.isEmpty, name.utf8.count <= 8, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
        throw SandboxError.invalid("host name '\(name)': 1–8 letters or digits (it names namespaces and devices)")
      }
    }
    guard Set(names).count == names.count else { throw SandboxError.invalid("a host is named twice") }
    guard (1280...9000).contains(mtu) else { throw SandboxError.invalid("underlay MTU \(mtu) is outside 1280–9000") }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let ip = try Executables.require("ip", package: "iproute2")
    let log = directory + "/ip.out"
    func run(_ arguments: [String]) async throws {
      try await CommandRunner.runOffPool(ip, arguments, outputFile: log)
    }
    if !namespaceExists(underlayNamespace) {
      try await addNamespace(underlayNamespace)
      try await quiet(underlayNamespace)
      try await run(["-n", underlayNamespace, "link", "add", Self.underlayBridge, "type", "bridge"])
      try await run(["-n", underlayNamespace, "link", "set", Self.underlayBridge, "mtu", "\(mtu)", "up"])
    }
    if ovn { try await LabOVN(labDirectory: directory).startCentral() }
    var hosts: [Host] = []
    for (index, name) in names.enumerated() {
      let namespace = hostNamespace(name)
      let hostDirectory = directory + "/" + name
      let sandbox = Sandbox(directory: hostDirectory, networkNamespace: namespace)
      let fresh = !namespaceExists(namespace)
      if fresh {
        try await addNamespace(namespace)
        try await quiet(namespace)
        // The host's NIC (ul0) and its port on the underlay bridge.
        let peer = "\(prefix)-\(index)".suffix(15)
        try await run([
          "-n", namespace, "link", "add", "ul0", "mtu", "\(mtu)", "type", "veth", "peer", "name", String(peer), "netns",
          underlayNamespace,
        ])
        try await run([
          "-n", underlayNamespace, "link", "set", String(peer), "mtu", "\(mtu)", "master", Self.underlayBridge, "up",
        ])
        try await run(["-n", namespace, "link", "set", "ul0", "up"])
        try await run(["-n", namespace, "link", "set", "lo", "up"])
        if ovn {
          let provider = "\(prefix)-p\(index)".suffix(15)
          try await run([
            "-n", namespace, "link", "add", "pn0", "mtu", "\(mtu)", "type", "veth", "peer", "name", String(provider),
            "netns", underlayNamespace,
          ])
          try await run([
            "-n", underlayNamespace, "link", "set", String(provider), "mtu", "\(mtu)", "master", Self.underlayBridge,
            "up",
          ])
          try await run(["-n", namespace, "link", "set", "pn0", "up"])
        }
      }
      _ = try await sandbox.start()
      try namespace.write(toFile: sandbox.createdNamespaceMarker, atomically: true, encoding: .utf8)
      let address = Self.underlayPrefix + "\(index + 1)"
      try await plugUnderlay(sandbox, namespace: namespace, address: address, mtu: mtu, ip: ip, log: log)
      let host = Host(
        name: name, namespace: namespace, db: sandbox.remote, underlayIP: address, directory: hostDirectory)
      if libvirt { try await HostLibvirt(host: host).start() }
      if ovn { try await LabOVN(labDirectory: directory).startController(host) }
      hosts.append(host)
    }
    try write(hosts)
    return hosts
  }

  /// br-phy (netdev) holding ul0, with ul0's MAC, and the tunnel address on br-phy's internal port:
  /// ovs-vswitchd then routes tunnel traffic out of ul0 by itself.
  func plugUnderlay(
    _ sandbox: Sandbox, namespace: String, address: String, mtu: Int, ip: String, log: String
  ) async throws {
    let mac = try await macAddress("ul0", in: namespace, ip: ip)
    let client = ReplicaClient(remote: sandbox.remote, tables: SwitchTables.monitored)
    do {
      _ = try await client.start()
      let planner = SwitchPlanner(mayExist: true)
      // Two transactions: a port is planned against the bridge as the database has it.
      _ = try await client.transaction { txn in
        try planner.addBridge(
          try InterfaceName("br-phy", role: "bridge"), datapathType: "netdev", otherConfig: ["hwaddr": mac], in: &txn)
      }
      // The reply can come before the update that shows the bridge: wait for the replica.
      let deadline = ContinuousClock.now + .seconds(5)
      while await client.replica.map({ SwitchState($0.snapshot).bridges["br-phy"] == nil }) ?? true,
        ContinuousClock.now < deadline
      {
        try await Task.sleep(for: .milliseconds(5))
      }
      _ = try await client.transaction { txn in
        let nic = try InterfaceName("ul0", role: "port")
        try planner.addPort(nic, bridge: "br-phy", interfaces: [InterfaceSpec(name: nic)], in: &txn)
      }
    } catch {
      await client.close()
      throw error
    }
    await client.close()
    // ovs-vswitchd creates br-phy's tap device in the namespace once it has the bridge.
    let deadline = ContinuousClock.now + .seconds(10)
    while !(try await linkExists("br-phy", in: namespace, ip: ip)) {
      guard ContinuousClock.now < deadline else {
        throw SandboxError.commandFailed(
          command: "ovs-vswitchd", status: 0, output: "br-phy did not appear in \(namespace)")
      }
      try await Task.sleep(for: .milliseconds(20))
    }
    _ = try? await CommandRunner.runOffPool(
      ip, ["-n", namespace, "addr", "add", address + "/24", "dev", "br-phy"], outputFile: log)
    try await CommandRunner.runOffPool(
      ip, ["-n", namespace, "link", "set", "br-phy", "mtu", "\(mtu)", "up"], outputFile: log)
  }

  /// Stops every host's daemons and deletes every namespace of the lab; returns what went.
  @discardableResult
  public func stop() -> [String] {
    var gone: [String] = []
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for entry in entries.sorted() {
      let hostDirectory = directory + "/" + entry
      guard FileManager.default.fileExists(atPath: hostDirectory + "/conf.db") else { continue }
      gone += HostLibvirt(directory: hostDirectory, name: entry).stop()
      if let pid = LabOVN.controller(hostDirectory: hostDirectory).stop() {
        gone.append("ovn-controller \(pid) (\(entry))")
      }
      for stopped in Sandbox(directory: hostDirectory).stop() {
        gone.append("\(stopped.program) \(stopped.pid) (\(entry))")
      }
    }
    gone += LabOVN(labDirectory: directory).stopCentral()
    if let ip = Executables.find("ip") {
      for namespace in namespaces() {
        if (try? CommandRunner.run(ip, ["netns", "delete", namespace], outputFile: directory + "/ip.out")) != nil {
          gone.append("namespace \(namespace)")
        }
      }
    }
    try? FileManager.default.removeItem(atPath: manifest)
    try? FileManager.default.removeItem(atPath: namespaceList)
    // The guests went with their libvirtds: a later lab in this folder starts without them.
    try? FileManager.default.removeItem(atPath: guestDirectory)
    return gone
  }

  /// The namespaces of this lab that exist now.
  public func namespaces() -> [String] {
    let all = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
    return all.filter { $0.hasPrefix(prefix + "-") }.sorted()
  }

  func namespaceExists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: "/run/netns/" + name) }

  /// No IPv6 (duplicate address detection and MLD add traffic of their own, and can loop).
  func quiet(_ namespace: String) async throws {
    let ip = try Executables.require("ip", package: "iproute2")
    let sysctl = Executables.find("sysctl") ?? "/usr/sbin/sysctl"
    try await CommandRunner.runOffPool(
      ip,
      [
        "netns", "exec", namespace, sysctl, "-qw", "net.ipv6.conf.all.disable_ipv6=1",
        "net.ipv6.conf.default.disable_ipv6=1",
      ],
      outputFile: directory + "/sysctl.out")
  }

  func macAddress(_ device: String, in namespace: String, ip: String) async throws -> String {
    let out = directory + "/mac.out"
    try await CommandRunner.runOffPool(ip, ["-n", namespace, "-o", "link", "show", device], outputFile: out)
    let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    guard let range = text.range(of: #"link/ether ([0-9a-f:]{17})"#, options: .regularExpression) else {
      throw SandboxError.commandFailed(command: ip, status: 0, output: "no MAC address for \(device): \(text)")
    }
    return String(text[range].dropFirst("link/ether ".count))
  }

  func linkExists(_ device: String, in namespace: String, ip: String) async throws -> Bool {
    (try? await CommandRunner.runOffPool(
      ip, ["-n", namespace, "link", "show", device], outputFile: directory + "/link.out")) != nil
  }

  private func write(_ hosts: [Host]) throws {
    let json = JSON.object([
      "hosts": .array(
        hosts.map {
          .object([
            "name": .string($0.name), "namespace": .string($0.namespace), "db": .string($0.db),
            "underlay_ip": .string($0.underlayIP), "dir": .string($0.directory),
          ])
        }),
      "underlay_namespace": .string(underlayNamespace),
    ])
    try "\(json)\n".write(toFile: manifest, atomically: true, encoding: .utf8)
  }
}
