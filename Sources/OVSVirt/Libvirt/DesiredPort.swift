import Foundation
import Libvirt
import NIOConcurrencyHelpers
import OVSDB
import VSwitch
import VirtXML

/// What OVS should hold for one running VM NIC, as libvirt's live XML says.
public struct DesiredPort: Sendable, Equatable {
  public var domain: String
  /// The NIC's MAC (lower case), when it has one.
  public var mac: String?
  /// The port, its VLAN, external_ids, policing and QoS, as libvirt's plug writes them.
  public var plug: TapPlug
  /// Why the VLAN is the dead one, when it could not be determined (fail closed, never untagged).
  public var parkedBecause: String?
  /// What else could not be read (e.g. a `<bandwidth>`): reported, the rest restored.
  public var problems: [String] = []

  /// The tap device, which is also the OVS port and interface name.
  public var tap: String { plug.name }
  public var bridge: String { plug.bridge }
  public var vlan: VLANSettings { plug.vlan }
}

extension DesiredPort {
  /// The OVS-backed NICs of the running domains (or of `only`), VLANs resolved as libvirt does:
  /// the interface's own <vlan>, else its portgroup's (or the default portgroup's), else the
  /// network's. A NIC whose VLAN cannot be resolved is parked on VLAN 4095.
  public static func fromLibvirt(_ connection: Connection, only: String? = nil) throws -> [DesiredPort] {
    let domains: [Domain]
    if let only {
      let domain = try connection.domain(named: only)
      domains = try domain.isActive() ? [domain] : []
    } else {
      // libvirt lists only the running ones: asking each again is one more daemon round trip per domain.
      domains = try connection.domains(activeOnly: true)
    }
    let networks = NetworkPorts(connection: connection)
    return try inParallel(domains) { try ports(of: $0, networks: networks) }.flatMap { $0 }
  }

  /// One domain's OVS-backed NICs, from its live XML; none when the domain went away after it was
  /// listed (VMs stop and migrate out while a reconcile runs: theirs are not ports to restore).
  private static func ports(of domain: Domain, networks: NetworkPorts) throws -> [DesiredPort] {
    guard let xml = try domain.xmlUnlessGone() else { return [] }
    let name = domain.name
    let vmID = domain.uuid
    return try DomainInterface.all(inDomainXML: xml).compactMap { nic in
      desired(nic, domain: name, vmID: vmID) { network, portgroup in
        try networks.settings(of: network, portgroup: portgroup)
      }
    }
  }

  /// The port for one live NIC (nil when it is not an OVS NIC libvirt plugged). `network` resolves
  /// a network (and portgroup) to what it gives a port.
  ///
  /// The live `<vlan>` and `<bandwidth>` are what libvirt applied when it plugged the tap (its own
  /// or resolved from the network then), so they win; but a NIC whose network or portgroup has
  /// since vanished fails closed even so: nothing says that VLAN is still meant.
  public static func desired(
    _ nic: DomainInterface, domain: String, vmID: String,
    network: (String, String?) throws -> NetworkPortSettings
  ) -> DesiredPort? {
    var parked = nic.vlanProblem.map { "its <vlan>: \($0)" }
    var problems: [String] = []
    var vlan = nic.vlan
    var bandwidth = nic.bandwidth
    if let problem = nic.bandwidthProblem { problems.append("\(domain): <bandwidth> left as it is: \(problem)") }
    if let name = nic.sourceNetwork {
      do {
        let resolved = try network(name, nic.portgroup)
        if vlan == nil && nic.vlanProblem == nil { vlan = resolved.vlan }
        if bandwidth == nil && nic.bandwidthProblem == nil { bandwidth = resolved.bandwidth }
      } catch {
        parked = "network \(name)\(nic.portgroup.map { "/\($0)" } ?? ""): \(error)"
      }
    }
    guard
      let plug = LibvirtPlug.plug(
        nic, vmID: vmID, vlan: vlan, bandwidth: nic.bandwidthProblem == nil ? bandwidth : nil, parked: parked != nil)
    else { return nil }
    return DesiredPort(domain: domain, mac: nic.mac, plug: plug, parkedBecause: parked, problems: problems)
  }

  /// `body` of each domain, in list order: a daemon round trip and a parse per domain, independent
  /// of the others, so spread over a few threads. The error thrown is the first failing domain's in
  /// list order, as when they were read one at a time.
  ///
  /// The threads are ovsvirt's own, four whatever the core count (they mostly wait for libvirtd,
  /// which serves at most 5 requests of one connection at a time: max_client_requests). Dispatch's
  /// worker threads would not do: Swift's tasks run on them too, and a worker blocked in libvirt is
  /// one the OVSDB replica, loaded meanwhile, cannot use (on 2 cores it waited for the last XML).
  private static func inParallel<T: Sendable>(
    _ domains: [Domain], _ body: @escaping @Sendable (Domain) throws -> T
  ) throws -> [T] {
    let threads = min(domains.count, 4)
    guard threads > 1 else { return try domains.map(body) }
    let results = NIOLockedValueBox([Result<T, any Error>?](repeating: nil, count: domains.count))
    let done = DispatchGroup()
    for worker in 0..<threads {
      done.enter()
      Thread {
        for index in stride(from: worker, to: domains.count, by: threads) {
          let result = Result { try body(domains[index]) }
          results.withLockedValue { $0[index] = result }
        }
        done.leave()
      }.start()
    }
    done.wait()
    return try results.withLockedValue { $0 }.compactMap { try $0?.get() }
  }
}

/// What each network (or one portgroup) gives a port, resolved once per call however many NICs
/// use it: a daemon round trip and a parse of the network's XML.
private final class NetworkPorts: Sendable {
  private struct Key: Hashable {
    var network: String
    var portgroup: String?
  }

  private let connection: Connection
  private let resolved = NIOLockedValueBox([Key: Result<NetworkPortSettings, any Error>]())

  init(connection: Connection) {
    self.connection = connection
  }

  func settings(of network: String, portgroup: String?) throws -> NetworkPortSettings {
    // Resolved under the lock: the threads asking for the same network wait for one answer.
    try resolved.withLockedValue { cache in
      let key = Key(network: network, portgroup: portgroup)
      if let known = cache[key] { return known }
      let result = Result { () throws -> NetworkPortSettings in
        try NetworkPortSettings.resolve(connection.network(named: network).xml(), portgroup: portgroup)
      }
      cache[key] = result
      return result
    }.get()
  }
}
