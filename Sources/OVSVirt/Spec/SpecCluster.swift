import Foundation
import OVSDB
import VSwitch

extension SpecBuilder {
  /// `cluster:` — every host's underlay address; this host gets a tunnel to each peer (full mesh)
  /// or, in a star, the hub to every spoke and each spoke to the hub. Tunnel names derive from the
  /// peer's name only, so every host computes the same names on every run.
  mutating func cluster(_ node: SpecNode, host: String?, into spec: inout HostSpec) {
    guard
      let f = reader.fields(
        node, keys: ["bridge", "type", "key", "dst_port", "topology", "hub", "hosts", "underlay_mtu", "engine", "ovn"],
        required: ["bridge", "hosts"])
    else { return }
    let engine = reader.choice(f["engine"], ["tunnels", "ovn"]) ?? "tunnels"
    if engine == "ovn" {
      for key in ["type", "key", "dst_port", "topology", "hub"] where f[key] != nil {
        reader.report(
          f.values[key] ?? node, "'\(key)' is for `engine: tunnels`; with OVN, ovn-controller makes the tunnels",
          fix: "drop it (the encapsulation is `ovn: {encap: geneve}`)")
      }
    } else if f["ovn"] != nil {
      reader.report(f.values["ovn"] ?? node, "'ovn' goes with `engine: ovn`", fix: "add `engine: ovn`, or drop it")
    }
    let kind = InterfaceSpec.Kind(rawValue: reader.choice(f["type"], ["vxlan", "geneve", "gre"]) ?? "vxlan") ?? .vxlan
    let key = f["key"].flatMap { reader.string($0) }
    let dstPort = reader.int(f["dst_port"])
    let topology = reader.choice(f["topology"], ["mesh", "star"]) ?? "mesh"
    var hosts: [(name: String, ip: String, node: SpecNode)] = []
    for entry in reader.list(f["hosts"]) {
      guard let h = reader.fields(entry, keys: ["name", "ip"], required: ["name", "ip"]),
        let name = reader.string(h["name"]), let ip = reader.string(h["ip"])
      else { continue }
      if let other = hosts.first(where: { $0.name == name }) {
        reader.report(
          entry, "host '\(name)' is listed twice (also at line \(other.node.location.line))", fix: "keep one")
        continue
      }
      if let other = hosts.first(where: { $0.ip == ip }) {
        reader.report(
          entry, "host '\(name)' has the same ip as '\(other.name)' (\(ip))",
          fix: "give each host its own underlay address")
        continue
      }
      do {
        try TunnelOptions(remoteIP: ip).validate(port: name, kind: kind)
      } catch {
        reader.report(h["ip"] ?? entry, "host '\(name)': ip '\(ip)' is not an IPv4 or IPv6 address", fix: error.fix)
        continue
      }
      hosts.append((name, ip, entry))
    }
    guard let bridgeName = reader.string(f["bridge"]) else { return }
    guard let bridgeIndex = spec.bridges.firstIndex(where: { $0.name.rawValue == bridgeName }) else {
      reader.report(
        f["bridge"] ?? node, "'\(bridgeName)' is not a (real) bridge of this spec",
        fix: "add `- name: \(bridgeName)` under bridges:")
      return
    }
    let hub = reader.string(f["hub"])
    if topology == "star" {
      guard let hub, hosts.contains(where: { $0.name == hub }) else {
        reader.report(
          f["hub"] ?? node, hub.map { "hub '\($0)' is not one of the hosts" } ?? "a star needs 'hub'",
          fix: "set `hub:` to one of: \(hosts.map(\.name).joined(separator: ", "))")
        return
      }
    } else if hub != nil, let hubNode = f["hub"] {
      reader.report(hubNode, "'hub' only applies to `topology: star`", fix: "drop it, or add `topology: star`")
    }
    let me = host ?? Self.shortHostname()
    guard let mine = hosts.first(where: { $0.name == me }) else {
      reader.report(
        f["hosts"] ?? node, "this host '\(me)' is not in cluster.hosts",
        fix: "pass --host NAME with one of: \(hosts.map(\.name).joined(separator: ", "))")
      return
    }
    spec.host = me
    selfAddress = mine.ip
    let underlayMTU = reader.int(f["underlay_mtu"]) ?? 1500
    if !(1280...65535).contains(underlayMTU), let mtuNode = f["underlay_mtu"] {
      reader.report(mtuNode, "underlay_mtu \(underlayMTU) is outside 1280–65535", fix: "give the hosts' NIC MTU")
    }
    if engine == "ovn" {
      ovnChassis(
        f, me: mine.name, ip: mine.ip, underlayMTU: underlayMTU, bridge: spec.bridges[bridgeIndex], into: &spec)
      return
    }
    let budget = TunnelMTU(
      bridge: bridgeName, kind: kind, underlayMTU: underlayMTU, ipv6: mine.ip.contains(":"), keyed: key != nil)
    spec.tunnelMTU = budget
    spec.notes.append(
      "VMs on VLANs carried by the \(kind.rawValue) tunnels of \(bridgeName) fit at guest MTU ≤ \(budget.guestMTU): underlay MTU \(underlayMTU) minus \(budget.overhead) bytes of \(budget.ipv6 ? "IPv6" : "IPv4") tunnel headers and the inner 802.1Q tag\(budget.guestMTU < 1500 ? "; bigger frames are dropped without notice (raise the underlay MTU to \(1500 + budget.overhead) for guest MTU 1500, or give the networks `mtu: \(budget.guestMTU)`)" : "")"
    )
    let peers = hosts.filter { peer in
      guard peer.name != me else { return false }
      return topology == "mesh" || me == hub || peer.name == hub
    }
    if spec.bridges[bridgeIndex].datapathType == "netdev" {
      spec.tunnelPeers = (mine.ip, peers.map(\.ip))
    }
    for peer in peers {
      let name: InterfaceName
      do {
        name = try Self.tunnelName(kind: kind, peer: peer.name)
      } catch {
        reader.report(peer.node, error.problem, fix: error.fix)
        continue
      }
      let options = TunnelOptions(remoteIP: peer.ip, key: key, dstPort: dstPort)
      guard check(options, kind: kind, at: node, name: name.rawValue) else { return }
      declare(name.rawValue, at: peer.node)
      spec.ports.append(
        HostSpec.Port(
          name: name, bridge: bridgeName, vlan: .untagged,
          interfaces: [InterfaceSpec(name: name, kind: kind, options: options.options)], meshPeer: peer.name,
          location: peer.node.location))
    }
    if topology == "mesh" && hosts.count >= 3 {
      if spec.bridges[bridgeIndex].rstp == false {
        reader.report(
          at: spec.bridges[bridgeIndex].location, path: "bridges",
          "bridge '\(bridgeName)': a full mesh of \(hosts.count) hosts on a MAC-learning bridge loops broadcasts without RSTP",
          fix: "remove `rstp: false`, or use `topology: star` in cluster:")
      } else {
        spec.bridges[bridgeIndex].meshRSTP = spec.bridges[bridgeIndex].rstp == nil
        spec.bridges[bridgeIndex].rstp = true
        // Roles pinned by the hosts' order: the first listed is the root, and so on. Without it
        // the root is whichever bridge MAC is lowest, and which tunnel blocks varies by run.
        let position = hosts.firstIndex { $0.name == me } ?? 0
        let priority = min(61_440, 4096 * (position + 1))
        spec.bridges[bridgeIndex].rstpPriority = priority
        spec.notes.append(
          "RSTP enabled on \(bridgeName): the \(kind.rawValue) full mesh joins \(hosts.count) hosts, which loops broadcasts on a MAC-learning bridge without a spanning tree; priority \(priority) (\(position == 0 ? "the root" : "host \(position + 1) of the list"))"
        )
      }
    } else if topology == "star", let hub {
      spec.notes.append(
        "star topology on \(bridgeName): hub \(hub)\(me == hub ? " (this host)" : ""); spokes reach each other through it"
      )
    }
  }

  /// `engine: ovn`: this host's chassis settings from `ovn: {southbound, northbound, encap, ssl}`.
  mutating func ovnChassis(
    _ f: SpecFields, me: String, ip: String, underlayMTU: Int, bridge: HostSpec.Bridge, into spec: inout HostSpec
  ) {
    guard let ovnNode = f["ovn"] else {
      reader.report(
        f.node, "`engine: ovn` needs the central databases",
        fix: "add `ovn: {southbound: tcp:IP:6642, northbound: tcp:IP:6641}` (several for a clustered database)")
      return
    }
    guard
      let o = reader.fields(
        ovnNode, keys: ["southbound", "northbound", "encap", "ssl", "ofctrl_wait_before_clear"],
        required: ["southbound"])
    else {
      return
    }
    func remotes(_ node: SpecNode?) -> [String] {
      guard let node else { return [] }
      let all: [String]
      if node.isSequence {
        all = reader.list(node).compactMap { reader.string($0) }
      } else {
        all = reader.string(node)?.split(separator: ",").map(String.init) ?? []
      }
      for remote in all where !(remote.hasPrefix("tcp:") || remote.hasPrefix("ssl:") || remote.hasPrefix("unix:")) {
        reader.report(node, "'\(remote)' is not an OVSDB remote", fix: "write tcp:IP:PORT, ssl:IP:PORT or unix:PATH")
      }
      return all
    }
    let encap = reader.choice(o["encap"], ["geneve", "vxlan"]) ?? "geneve"
    let northbound = remotes(o["northbound"])
    let southbound = remotes(o["southbound"])
    let tls = ovnTLS(
      o["ssl"], northbound: northbound.contains { $0.hasPrefix("ssl:") } ? o["northbound"] : nil,
      southbound: southbound.contains { $0.hasPrefix("ssl:") } ? o["southbound"] : nil)
    spec.ovn = OVNChassis(
      hostname: me, southbound: southbound, northbound: northbound, encapType: encap,
      encapIP: ip, physicalNetwork: "physnet-" + bridge.name.rawValue, bridge: bridge.name.rawValue,
      datapathType: bridge.datapathType == "netdev" ? "netdev" : nil)
    spec.ovn?.underlayMTU = underlayMTU
    if let node = o["ofctrl_wait_before_clear"], let wait = reader.int(node) {
      if (0...600_000).contains(wait) {
        spec.ovn?.ofctrlWaitBeforeClear = wait
      } else {
        reader.report(
          node, "ofctrl_wait_before_clear \(wait) is not between 0 and 600000 (milliseconds)",
          fix: "give about twice the time ovn-controller takes to compute its flows (ovn-controller(8)), e.g. 8000")
      }
    }
    spec.ovn?.tls = tls
    spec.notes.append(
      "OVN chassis \(me): ovn-controller joins \(spec.ovn?.southbound.joined(separator: ",") ?? "") and tunnels by \(encap) from \(ip); VLAN networks leave through \(bridge.name.rawValue) (physnet-\(bridge.name.rawValue))"
    )
  }

  /// `ovn: {ssl: {private_key, certificate, ca_cert}}`: the PEM files ovsvirt uses for the central
  /// databases' `ssl:` remotes, as ovn-nbctl's -p / -c / -C, and, with an ssl: Southbound, the ones
  /// ovn-controller uses (written to the switch's SSL table). `northbound` / `southbound`: the
  /// remotes' node when one of them is ssl:.
  mutating func ovnTLS(_ node: SpecNode?, northbound: SpecNode?, southbound: SpecNode?) -> TLSFiles? {
    guard let node else {
      if let remotesNode = northbound ?? southbound {
        reader.report(
          remotesNode,
          "an ssl: \(northbound != nil ? "Northbound" : "Southbound") remote needs keys and the CA certificate",
          fix: "add `ssl: {private_key: FILE, certificate: FILE, ca_cert: FILE}` under ovn:")
      }
      return nil
    }
    guard let f = reader.fields(node, keys: ["private_key", "certificate", "ca_cert"], required: ["ca_cert"]) else {
      return nil
    }
    let files = TLSFiles(
      privateKey: reader.string(f["private_key"]), certificate: reader.string(f["certificate"]),
      caCertificate: reader.string(f["ca_cert"]))
    if (files.privateKey == nil) != (files.certificate == nil) {
      reader.report(node, "give both private_key and certificate, or neither", fix: "add the missing one")
    } else if southbound != nil, files.privateKey == nil {
      reader.report(
        node, "ovn-controller's ssl: Southbound connection needs a private_key and certificate",
        fix: "add private_key and certificate (this host's, signed by the CA the Southbound server trusts)")
    }
    for (key, path) in [
      ("private_key", files.privateKey), ("certificate", files.certificate), ("ca_cert", files.caCertificate),
    ] {
      guard let path, !FileManager.default.isReadableFile(atPath: path) else { continue }
      reader.report(f[key] ?? node, "ssl \(key) '\(path)' cannot be read", fix: "give the path of a readable PEM file")
    }
    return files
  }

  /// `vx-PEER` (gnv-, gre-) when that is a valid interface name, else the prefix and a stable hash
  /// of the peer's name, so long host names still give ≤ 15-byte names.
  static func tunnelName(kind: InterfaceSpec.Kind, peer: String) throws(ValidationError) -> InterfaceName {
    let prefix = kind == .geneve ? "gnv-" : kind == .gre ? "gre-" : "vx-"
    if let plain = try? InterfaceName(prefix + peer) { return plain }
    var hash: UInt32 = 2_166_136_261
    for byte in peer.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
    let hex = String(hash, radix: 16)
    return try InterfaceName(prefix + String(repeating: "0", count: 8 - hex.count) + hex)
  }

  static func shortHostname() -> String {
    let full = ProcessInfo.processInfo.hostName
    return String(full.split(separator: ".").first ?? Substring(full))
  }
}
