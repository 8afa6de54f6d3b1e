#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Interface.options for vxlan / geneve / gre ports, validated before anything is written.
public struct TunnelOptions: Sendable, Equatable {
  public var remoteIP: String
  public var localIP: String?
  /// VNI (vxlan, geneve: 0–16777215) or GRE key (32 bits), or "flow".
  public var key: String?
  public var dstPort: Int?

  public init(remoteIP: String, localIP: String? = nil, key: String? = nil, dstPort: Int? = nil) {
    self.remoteIP = remoteIP
    self.localIP = localIP
    self.key = key
    self.dstPort = dstPort
  }

  public func validate(port: String, kind: InterfaceSpec.Kind) throws(ValidationError) {
    let subject = "tunnel '\(port)'"
    for (option, value) in [("remote_ip", remoteIP), ("local_ip", localIP)] {
      guard let value else { continue }
      guard value == "flow" || Self.isIPAddress(value) else {
        throw ValidationError(
          subject: subject, problem: "\(option) '\(value)' is not an IPv4 or IPv6 address",
          fix: "give an address like 10.43.11.12 or fd00::12, or 'flow'")
      }
    }
    if let key, key != "flow" {
      let limit: UInt64 = kind == .gre ? UInt64(UInt32.max) : 16_777_215
      guard let value = UInt64(key), value <= limit else {
        throw ValidationError(
          subject: subject, problem: "key '\(key)' is not a \(kind == .gre ? "GRE key" : "VNI") (0–\(limit))",
          fix: "use a number from 0 to \(limit), or 'flow'")
      }
    }
    if let dstPort, !(1...65535).contains(dstPort) {
      throw ValidationError(subject: subject, problem: "dst_port \(dstPort) is not a UDP port", fix: "use 1–65535")
    }
  }

  public var options: [String: String] {
    var result = ["remote_ip": remoteIP]
    if let localIP { result["local_ip"] = localIP }
    if let key { result["key"] = key }
    if let dstPort { result["dst_port"] = String(dstPort) }
    return result
  }

  static func isIPAddress(_ text: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
  }
}
