import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Lets the tunnel peers of a userspace-tunnelling host (a netdev bridge) know each other before a
/// VM's traffic needs them.
///
/// ovs-vswitchd's userspace tunnels resolve a peer's MAC themselves: the first frame to a new
/// peer is dropped while it asks (about a second in the sandbox), and the peer learns this host
/// only when it, in turn, asks. It fills its neighbour cache by snooping ARP on the bridge that
/// holds the tunnel address: replies, and gratuitous requests (seen on Open vSwitch 3.1: a
/// gratuitous ARP from one host's br-phy puts that host in every peer's `tnl/neigh/show`; a plain
/// request does not). So after tunnels are applied, this host announces itself with a gratuitous
/// ARP from the interface holding its tunnel address, and asks for each peer, learning it from
/// the reply. The kernel datapath needs none of this (the kernel resolves and queues).
public enum TunnelPeerAnnouncer {
  /// Who asked whom, or why nothing was sent.
  public struct Outcome: Sendable, Equatable, CustomStringConvertible {
    public var device: String?
    public var asked: [String]
    public var skipped: String?

    public var description: String {
      if let skipped { return "tunnel peers not announced: \(skipped); they resolve on first traffic" }
      return "tunnel peers announced: asked \(asked.joined(separator: ", ")) from \(device ?? "?")"
    }
  }

  /// Sends an ARP request for each IPv4 peer from the interface that holds `local`.
  public static func announce(local: String, peers: [String]) -> Outcome {
    guard let localAddress = IPv4(local) else {
      return Outcome(device: nil, asked: [], skipped: "\(local) is not IPv4 (IPv6 neighbour discovery is not sent)")
    }
    let targets = peers.compactMap { peer in IPv4(peer).map { (peer, $0) } }
    guard !targets.isEmpty else { return Outcome(device: nil, asked: [], skipped: "no IPv4 peer") }
    guard let device = interface(holding: localAddress) else {
      return Outcome(
        device: nil, asked: [], skipped: "no interface in this network namespace holds \(local)")
    }
    guard let mac = macAddress(of: device) else {
      return Outcome(device: device, asked: [], skipped: "\(device) has no Ethernet address")
    }
    let interfaceIndex = if_nametoindex(device)
    guard interfaceIndex != 0 else {
      return Outcome(device: device, asked: [], skipped: "\(device) has no interface index")
    }
    let etherTypeARP: UInt16 = 0x0806
    let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(etherTypeARP.bigEndian))
    guard fd >= 0 else {
      return Outcome(
        device: device, asked: [], skipped: "no raw socket (\(String(cString: strerror(errno))); needs CAP_NET_RAW)")
    }
    defer { close(fd) }
    var asked: [String] = []
    // First a gratuitous request (sender and target both this host), which every peer's
    // ovs-vswitchd takes into its cache; then a request for each peer, whose reply this host's
    // takes. (A plain request teaches the peer's kernel, not its ovs-vswitchd.)
    for (index, (text, target)) in ([(local, localAddress)] + targets).enumerated() {
      var frame = [UInt8](repeating: 0xFF, count: 6) + mac + [0x08, 0x06]
      // Ethernet, IPv4, 6-byte and 4-byte addresses, a request.
      frame += [0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01]
      frame += mac + localAddress + [UInt8](repeating: 0, count: 6) + target
      let address = linkAddress(interfaceIndex: Int32(interfaceIndex), protocol: etherTypeARP)
      let sent = frame.withUnsafeBytes { bytes in
        address.withUnsafeBytes { raw in
          sendto(
            fd, bytes.baseAddress, bytes.count, 0, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self),
            socklen_t(raw.count))
        }
      }
      if sent == frame.count, index > 0 { asked.append(text) }
    }
    return Outcome(device: device, asked: asked, skipped: asked.isEmpty ? "sending on \(device) failed" : nil)
  }

  /// A `struct sockaddr_ll` (linux/if_packet.h, which Swift's Glibc module does not import) for
  /// the broadcast address on one interface: family, protocol (network order), ifindex, hatype,
  /// pkttype, halen, addr[8] — 20 bytes.
  static func linkAddress(interfaceIndex: Int32, protocol etherType: UInt16) -> [UInt8] {
    var bytes = withUnsafeBytes(of: UInt16(AF_PACKET)) { Array($0) }
    bytes += withUnsafeBytes(of: etherType.bigEndian) { Array($0) }
    bytes += withUnsafeBytes(of: interfaceIndex) { Array($0) }
    bytes += [0, 0, 0, 6] + [UInt8](repeating: 0xFF, count: 6) + [0, 0]
    return bytes
  }

  /// The four bytes of a dotted IPv4 address.
  static func IPv4(_ text: String) -> [UInt8]? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    let bytes = parts.compactMap { UInt8($0) }
    return bytes.count == 4 ? bytes : nil
  }

  /// The interface of this network namespace that has `address`.
  static func interface(holding address: [UInt8]) -> String? {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0, let first = list else { return nil }
    defer { freeifaddrs(list) }
    var entry: UnsafeMutablePointer<ifaddrs>? = first
    while let current = entry {
      defer { entry = current.pointee.ifa_next }
      guard let raw = current.pointee.ifa_addr, raw.pointee.sa_family == UInt16(AF_INET) else { continue }
      let found = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
        withUnsafeBytes(of: pointer.pointee.sin_addr.s_addr) { Array($0) }
      }
      if found == address { return String(cString: current.pointee.ifa_name) }
    }
    return nil
  }

  /// The device's MAC, from sysfs.
  static func macAddress(of device: String) -> [UInt8]? {
    guard let text = try? String(contentsOfFile: "/sys/class/net/\(device)/address", encoding: .utf8) else {
      return nil
    }
    let bytes = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").compactMap {
      UInt8($0, radix: 16)
    }
    return bytes.count == 6 && bytes != [0, 0, 0, 0, 0, 0] ? bytes : nil
  }
}
