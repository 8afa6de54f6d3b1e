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
    var ports: [DesiredPort] = []
    // Many NICs share a few networks: each network's XML is fetched once per call.
    var networkXML: [String: String] = [:]
    let domains: [Domain]
    if let only {
      let domain = try connection.domain(named: only)
      domains = try domain.isActive() ? [domain] : []
    } else {
      // libvirt lists only the running ones: asking each again is one more daemon round trip per domain.
      domains = try connection.domains(activeOnly: true)
    }
    for (domain, vmID, nics) in try described(domains) {
      let name = domain.name
      for nic in nics {
        guard nic.virtualPortType == "openvswitch", let tap = nic.targetDevice, let bridge = nic.sourceBridge else {
          continue
        }
        var parked: String?
        // The live <vlan> is what libvirt applied when it plugged the tap (its own or resolved from
        // the network then), so it wins; but a NIC whose network or portgroup has since vanished
        // fails closed even so: nothing says that VLAN is still meant.
        var tags: VLANTags? =
          nic.vlanTags.isEmpty ? nil : VLANTags(tags: nic.vlanTags, trunk: nic.vlanTrunk, native: nil)
        if let network = nic.sourceNetwork {
          do {
            let xml = try networkXML[network] ?? connection.network(named: network).xml()
            networkXML[network] = xml
            let resolved = try NetworkVLAN.resolve(xml, portgroup: nic.portgroup)
            if tags == nil { tags = resolved }
          } catch {
            parked = "network \(network)\(nic.portgroup.map { "/\($0)" } ?? ""): \(error)"
          }
        }
        var ids = ["iface-status": "active"]
        if let id = nic.interfaceID { ids["iface-id"] = id }
        if let mac = nic.mac { ids["attached-mac"] = mac }
        if !vmID.isEmpty { ids["vm-id"] = vmID }
        ports.append(
          DesiredPort(
            domain: name, tap: tap, bridge: bridge, vlan: parked == nil ? VLANSettings(tags) : VLANSettings(tag: .dead),
            externalIDs: ids, parkedBecause: parked))
      }
    }
    return ports
  }

  /// Each domain's UUID and NICs, from its live XML: a daemon round trip and a parse per domain,
  /// independent of the others, so spread over a few threads. The error thrown is the first failing
  /// domain's in list order, as when they were read one at a time.
  ///
  /// The threads are ovsvirt's own, four whatever the core count (they mostly wait for libvirtd,
  /// which serves at most 5 requests of one connection at a time: max_client_requests). Dispatch's
  /// worker threads would not do: Swift's tasks run on them too, and a worker blocked in libvirt is
  /// one the OVSDB replica, loaded meanwhile, cannot use (on 2 cores it waited for the last XML).
  private static func described(_ domains: [Domain]) throws -> [Described] {
    let threads = min(domains.count, 4)
    guard threads > 1 else { return try domains.map(describe) }
    let results = NIOLockedValueBox([Result<Described, any Error>?](repeating: nil, count: domains.count))
    let done = DispatchGroup()
    for worker in 0..<threads {
      done.enter()
      Thread {
        for index in stride(from: worker, to: domains.count, by: threads) {
          let result = Result { try describe(domains[index]) }
          results.withLockedValue { $0[index] = result }
        }
        done.leave()
      }.start()
    }
    done.wait()
    return try results.withLockedValue { $0 }.compactMap { try $0?.get() }
  }

  private typealias Described = (domain: Domain, vmID: String, nics: [DomainInterface])

  @Sendable private static func describe(_ domain: Domain) throws -> Described {
    (domain, domain.uuid, try DomainInterface.all(inDomainXML: try domain.xml()))
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
