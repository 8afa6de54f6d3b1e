import Foundation
import Libvirt
import NIOConcurrencyHelpers
import OVSDB
import VSwitch
import VirtXML

/// What OVS should hold for one running VM NIC, as libvirt's live XML says.
public struct DesiredPort: Sendable, Equatable {
  public var domain: String
  /// The tap device, which is also the OVS port and interface name.
  public var tap: String
  public var bridge: String
  public var vlan: VLANSettings
  /// Interface.external_ids libvirt sets when it plugs a tap: iface-id, attached-mac, vm-id, iface-status.
  public var externalIDs: [String: String]
  /// Why the VLAN is the dead one, when it could not be determined (fail closed, never untagged).
  public var parkedBecause: String?
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
    let networks = NetworkVLANs(connection: connection)
    return try inParallel(domains) { try ports(of: $0, networks: networks) }.flatMap { $0 }
  }

  /// One domain's OVS-backed NICs, from its live XML; none when the domain went away after it was
  /// listed (VMs stop and migrate out while a reconcile runs: theirs are not ports to restore).
  private static func ports(of domain: Domain, networks: NetworkVLANs) throws -> [DesiredPort] {
    guard let xml = try domain.xmlUnlessGone() else { return [] }
    let nics = try DomainInterface.all(inDomainXML: xml)
    let name = domain.name
    let vmID = domain.uuid
    return nics.compactMap { nic in
      guard nic.virtualPortType == "openvswitch", let tap = nic.targetDevice, let bridge = nic.sourceBridge else {
        return nil
      }
      var parked: String?
      // The live <vlan> is what libvirt applied when it plugged the tap (its own or resolved from
      // the network then), so it wins; but a NIC whose network or portgroup has since vanished
      // fails closed even so: nothing says that VLAN is still meant.
      var tags = nic.vlan
      if let network = nic.sourceNetwork {
        do {
          let resolved = try networks.vlan(of: network, portgroup: nic.portgroup)
          if tags == nil { tags = resolved }
        } catch {
          parked = "network \(network)\(nic.portgroup.map { "/\($0)" } ?? ""): \(error)"
        }
      }
      var ids = ["iface-status": "active"]
      if let id = nic.interfaceID { ids["iface-id"] = id }
      if let mac = nic.mac { ids["attached-mac"] = mac }
      if !vmID.isEmpty { ids["vm-id"] = vmID }
      return DesiredPort(
        domain: name, tap: tap, bridge: bridge, vlan: parked == nil ? VLANSettings(tags) : VLANSettings(tag: .dead),
        externalIDs: ids, parkedBecause: parked)
    }
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

/// Each network's VLAN (or one portgroup's), resolved once per call however many NICs use it: a
/// daemon round trip and a parse of the network's XML.
private final class NetworkVLANs: Sendable {
  private struct Key: Hashable {
    var network: String
    var portgroup: String?
  }

  private let connection: Connection
  private let resolved = NIOLockedValueBox([Key: Result<VLANTags?, any Error>]())

  init(connection: Connection) {
    self.connection = connection
  }

  func vlan(of network: String, portgroup: String?) throws -> VLANTags? {
    // Resolved under the lock: the threads asking for the same network wait for one answer.
    try resolved.withLockedValue { cache in
      let key = Key(network: network, portgroup: portgroup)
      if let known = cache[key] { return known }
      let result = Result { () throws -> VLANTags? in
        try NetworkVLAN.resolve(connection.network(named: network).xml(), portgroup: portgroup)
      }
      cache[key] = result
      return result
    }.get()
  }
}

extension VLANSettings {
  /// The Port columns libvirt itself writes for a `<vlan>`: an access tag; a trunk list; a trunk
  /// with a native VLAN as tag + vlan_mode native-untagged/native-tagged.
  init(_ tags: VLANTags?) {
    guard let tags, !tags.tags.isEmpty || tags.native != nil else {
      self.init()
      return
    }
    let ids = tags.tags.compactMap { try? VLANID($0) }
    if let native = tags.native, let tag = try? VLANID(native.tag) {
      self.init(mode: native.mode == .tagged ? .nativeTagged : .nativeUntagged, tag: tag, trunks: ids)
    } else if tags.trunk || ids.count > 1 {
      self.init(trunks: ids)
    } else {
      self.init(tag: ids.first)
    }
  }
}
