import Foundation

/// What Open vSwitch says it does with one frame (`ofproto/trace`), reduced to what a path check
/// needs: where copies of the frame leave, with which VLAN, and which go into a tunnel (to what
/// address, UDP port and VNI). Read from the trace's "Datapath actions" line, whose port numbers
/// are the datapath's: `ports` (from `dpif/show`) names them.
public struct FrameTrace: Sendable, Equatable {
  /// One copy of the frame leaving the switch.
  public struct Output: Sendable, Equatable {
    /// The port's name (or `#N` when the datapath port is unknown).
    public var port: String
    /// The 802.1Q VLAN the copy carries, nil when untagged.
    public var vlan: Int?
  }

  /// One copy going into a tunnel (userspace tunnelling: `tnl_push`).
  public struct TunnelOutput: Sendable, Equatable {
    public var port: String
    public var vlan: Int?
    public var remoteIP: String?
    public var dstPort: Int?
    /// The VXLAN / Geneve VNI (or GRE key) in the pushed header.
    public var key: Int?
  }

  public var outputs: [Output] = []
  public var tunnels: [TunnelOutput] = []
  /// The bridge OVS routes tunnel packets through ("tunneling to IP via BRIDGE"), if it said.
  public var underlayBridge: String?
  /// A native tunnel OVS could not send through yet (no route or no neighbour entry), as it said.
  public var tunnelProblems: [String] = []
  /// The raw "Datapath actions:" text.
  public var datapathActions: String = ""

  public var isDropped: Bool { outputs.isEmpty && tunnels.isEmpty }

  /// Parses `trace` (ofproto/trace's text) with `ports`, datapath port number → name.
  public init(trace: String, ports: [Int: String]) {
    for line in trace.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
      if line.hasPrefix("-> tunneling to "), let via = line.range(of: " via ") {
        underlayBridge = String(line[via.upperBound...]).trimmingCharacters(in: .whitespaces)
      } else if line.contains("native tunnel") && (line.contains("failed") || line.contains("miss")) {
        tunnelProblems.append(line.replacingOccurrences(of: "-> ", with: ""))
      } else if line.hasPrefix("Datapath actions:") {
        datapathActions = String(line.dropFirst("Datapath actions:".count)).trimmingCharacters(in: .whitespaces)
      }
    }
    var vlan: Int?
    walk(Self.split(datapathActions), vlan: &vlan, ports: ports, tunnelled: false)
  }

  /// Follows the actions in order: VLAN pushes and pops change what later outputs carry; outputs
  /// after a `tnl_push` carry the encapsulated packet, so they are the underlay, not the frame.
  private mutating func walk(_ actions: [String], vlan: inout Int?, ports: [Int: String], tunnelled: Bool) {
    var tunnelled = tunnelled
    for action in actions {
      if let number = Int(action) {
        if !tunnelled { outputs.append(Output(port: ports[number] ?? "#\(number)", vlan: vlan)) }
      } else if action.hasPrefix("push_vlan(") {
        vlan = Self.value(of: "vid", in: action).flatMap { Int($0) }
      } else if action == "pop_vlan" {
        vlan = nil
      } else if action.hasPrefix("tnl_push(") {
        let port = Self.value(of: "tnl_port(", in: action, closing: ")").flatMap { Int($0) }
        let ipv4 = Self.group("ipv4(", in: action) ?? Self.group("ipv6(", in: action) ?? ""
        let udp = Self.group("udp(", in: action) ?? ""
        let key = Self.value(of: "vni", in: action) ?? Self.value(of: "key", in: action)
        tunnels.append(
          TunnelOutput(
            port: port.map { ports[$0] ?? "#\($0)" } ?? "?", vlan: vlan, remoteIP: Self.value(of: "dst", in: ipv4),
            dstPort: Self.value(of: "dst", in: udp).flatMap { Int($0) }, key: key.flatMap(Self.number)))
        tunnelled = true
      } else if action.hasPrefix("clone(") {
        var inner = vlan
        walk(
          Self.split(String(action.dropFirst("clone(".count).dropLast())), vlan: &inner, ports: ports,
          tunnelled: tunnelled)
      }
    }
  }

  /// Splits a comma-separated action list at depth 0 of parentheses.
  static func split(_ text: String) -> [String] {
    var parts: [String] = []
    var depth = 0
    var current = ""
    for character in text {
      switch character {
      case "(": depth += 1
      case ")": depth -= 1
      case "," where depth == 0:
        parts.append(current.trimmingCharacters(in: .whitespaces))
        current = ""
        continue
      default: break
      }
      current.append(character)
    }
    if !current.trimmingCharacters(in: .whitespaces).isEmpty {
      parts.append(current.trimmingCharacters(in: .whitespaces))
    }
    return parts
  }

  /// `key=value` (value up to `,` or `)`) in `text`; with `closing`, the text after `key` up to it.
  static func value(of key: String, in text: String, closing: Character? = nil) -> String? {
    if let closing {
      guard let start = text.range(of: key) else { return nil }
      return String(text[start.upperBound...].prefix { $0 != closing })
    }
    var search = text.startIndex
    while let found = text.range(of: key + "=", range: search..<text.endIndex) {
      let before = found.lowerBound == text.startIndex ? nil : text[text.index(before: found.lowerBound)]
      if before == nil || before == "," || before == "(" {
        return String(text[found.upperBound...].prefix { $0 != "," && $0 != ")" })
      }
      search = found.upperBound
    }
    return nil
  }

  /// The text inside `opening…)` (e.g. `ipv4(`), nesting aware.
  static func group(_ opening: String, in text: String) -> String? {
    guard let start = text.range(of: opening) else { return nil }
    var depth = 1
    var result = ""
    for character in text[start.upperBound...] {
      if character == "(" { depth += 1 }
      if character == ")" {
        depth -= 1
        if depth == 0 { return result }
      }
      result.append(character)
    }
    return result
  }

  static func number(_ text: String) -> Int? {
    text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
  }

  /// `dpif/show`'s port lines (`    vnet0 2/5: (system)`) as datapath port → name.
  public static func datapathPorts(fromDpifShow text: String) -> [Int: String] {
    var ports: [Int: String] = [:]
    for line in text.split(separator: "\n") {
      let words = line.split(separator: " ")
      guard words.count >= 2, words[1].hasSuffix(":") || words[1].contains("/"),
        let slash = words[1].firstIndex(of: "/")
      else { continue }
      let odp = words[1][words[1].index(after: slash)...].prefix { $0.isNumber }
      if let number = Int(odp) { ports[number] = String(words[0]) }
    }
    return ports
  }
}
