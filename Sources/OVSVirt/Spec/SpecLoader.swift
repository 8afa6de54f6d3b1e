import Foundation
import VSwitch
import VirtXML

/// Reads a spec file (YAML) into a validated `HostSpec`, reporting every problem with file:line.
///
/// Three passes over the bytes, none of which copies them: `SpecPreflight` (size, bad bytes where
/// they are, complex keys), `YAMLComposer` (libyaml's events into a compact `YAMLDocument`, with
/// aliases and keys bounded) and `SpecBuilder` (every setting checked, through `SpecReader`).
public enum SpecLoader {
  /// Loads `path`; `host` picks this machine in a cluster spec (default: the short hostname).
  public static func load(path: String, host: String? = nil) throws(SpecError) -> HostSpec {
    try build(try compose(path: path), file: path, host: host)
  }

  /// The file's document. Its bytes are not needed once the document holds its scalars: read here,
  /// they are freed before the spec is built (a 4 MiB file is 4 MiB less at the peak).
  static func compose(path: String) throws(SpecError) -> YAMLDocument? {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SpecError([
        SpecProblem(
          location: SpecLocation(file: path, line: 1, column: 1), path: "", problem: "cannot read the file",
          fix: "check the path and permissions")
      ])
    }
    let result = data.withUnsafeBytes { raw in
      Result { () throws(SpecError) -> YAMLDocument? in try compose(raw.assumingMemoryBound(to: UInt8.self), file: path)
      }
    }
    return try result.get()
  }

  public static func parse(_ text: String, file: String, host: String? = nil) throws(SpecError) -> HostSpec {
    func run(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<YAMLDocument?, SpecError> {
      Result { () throws(SpecError) -> YAMLDocument? in try compose(bytes, file: file) }
    }
    let result = text.utf8.withContiguousStorageIfAvailable(run) ?? Array(text.utf8).withUnsafeBufferPointer(run)
    return try build(try result.get(), file: file, host: host)
  }

  /// The YAML document in `bytes` once the preflight passed (nil: no document, e.g. only comments).
  static func compose(_ input: UnsafeBufferPointer<UInt8>, file: String) throws(SpecError) -> YAMLDocument? {
    // A UTF-8 byte order mark is not part of the text (as Foundation's String(data:) read it before):
    // libyaml, told the encoding, would read it as a character of the first line.
    let bytes = input.starts(with: [0xEF, 0xBB, 0xBF]) ? UnsafeBufferPointer(rebasing: input[3...]) : input
    let preflight = SpecPreflight.check(bytes, file: file)
    guard preflight.isEmpty else { throw SpecError(preflight) }
    let document: YAMLDocument?
    do throws(YAMLFailure) {
      document = try YAMLComposer.compose(bytes)
    } catch {
      throw SpecError([
        SpecProblem(
          location: SpecLocation(file: file, line: error.line, column: error.column), path: "",
          problem: error.problem, fix: error.fix)
      ])
    }
    return document
  }

  static func build(_ document: YAMLDocument?, file: String, host: String?) throws(SpecError) -> HostSpec {
    let reader = SpecReader()
    var spec = HostSpec(file: file)
    if let document {
      var builder = SpecBuilder(reader: reader, file: file)
      builder.build(SpecNode(document, 0, path: "", file: file), host: host, into: &spec)
    }
    guard reader.problems.isEmpty else { throw SpecError(reader.problems) }
    return spec
  }
}

/// Walks the YAML tree section by section; every check reports through the reader.
struct SpecBuilder {
  let reader: SpecReader
  let file: String
  /// Every OVS name declared so far (bridges, ports, interfaces) and its line, for duplicates.
  var names: [String: Int] = [:]
  /// This host's underlay address when the spec has a cluster.
  var selfAddress: String?

  init(reader: SpecReader, file: String) {
    self.reader = reader
    self.file = file
  }

  mutating func build(_ root: SpecNode, host: String?, into spec: inout HostSpec) {
    guard let top = reader.fields(root, keys: ["bridges", "networks", "domains", "cluster"]) else { return }
    spec.bridgeStatement = Self.bridgeStatement(top.values["bridges"])
    let bridges = reader.list(top["bridges"])
    reserve(for: bridges, into: &spec)
    for node in bridges { bridge(node, into: &spec) }
    for (index, fake) in spec.fakeBridges.enumerated() {
      guard spec.bridges.contains(where: { $0.name.rawValue == fake.parent }) else {
        let isFake = spec.fakeBridges.contains { $0.name.rawValue == fake.parent }
        reader.report(
          at: fake.location, path: "bridges",
          "fake bridge '\(fake.name)': parent '\(fake.parent)' is "
            + (isFake ? "itself a fake bridge" : "not a bridge of this spec"),
          fix: isFake ? "use that fake bridge's parent" : "add `- name: \(fake.parent)` under bridges:")
        continue
      }
      if let other = spec.fakeBridges[..<index].first(where: { $0.parent == fake.parent && $0.vlan == fake.vlan }) {
        reader.report(
          at: fake.location, path: "bridges",
          "fake bridge '\(fake.name)': VLAN \(fake.vlan) on \(fake.parent) is already fake bridge '\(other.name)' (line \(other.location.line))",
          fix: "one fake bridge per VLAN and parent")
      }
    }
    if let node = top["cluster"] { cluster(node, host: host, into: &spec) }
    for port in spec.ports where port.interfaces.first?.kind.isTunnel == true {
      checkNotToSelf(port)
    }
    for node in reader.list(top["networks"]) { network(node, into: &spec) }
    for node in reader.list(top["domains"]) { domain(node, into: &spec) }
  }

  /// Room for every port and name at once: grown by doubling, the arrays and the name table of a
  /// large spec would take up to twice their size, and three times while copying.
  mutating func reserve(for bridges: [SpecNode], into spec: inout HostSpec) {
    var ports = 0
    for bridge in bridges where bridge.kind == .mapping {
      let children = bridge.document.children(bridge.index)
      for pair in stride(from: 0, to: children.count - 1, by: 2) {
        let key = bridge.document.string(children[pair])
        guard key == "ports" || key == "tunnels" else { continue }
        ports += bridge.document.count(bridge.document.resolved(children[pair + 1]))
      }
    }
    spec.ports.reserveCapacity(ports)
    names.reserveCapacity(ports + bridges.count)
  }

  static func bridgeStatement(_ node: SpecNode?) -> HostSpec.BridgeStatement {
    guard let node, !node.isNull else { return .absent }
    if node.isSequence && node.count == 0 { return .emptyList }
    return .listed
  }

  // MARK: bridges and ports

  mutating func bridge(_ node: SpecNode, into spec: inout HostSpec) {
    guard
      let f = reader.fields(
        node, keys: ["name", "datapath_type", "rstp", "parent", "vlan", "ports", "tunnels"], required: ["name"])
    else { return }
    guard let name = interfaceName(f["name"], role: "bridge") else { return }
    declare(name.rawValue, at: node)
    if f["parent"] != nil || f["vlan"] != nil {
      for key in ["datapath_type", "rstp", "tunnels"] where f[key] != nil {
        reader.report(
          f.values[key] ?? node, "a fake bridge takes no '\(key)'", fix: "set it on the parent bridge instead")
      }
      guard let parentNode = f["parent"], let parent = reader.string(parentNode) else {
        reader.report(node, "a fake bridge needs 'parent' with its 'vlan'", fix: "add `parent: BRIDGE`")
        return
      }
      guard let vlanNode = f["vlan"] else {
        reader.report(node, "fake bridge '\(name)' needs 'vlan'", fix: "add `vlan: N` (1–4094)")
        return
      }
      guard let vlan = vlanID(vlanNode), (1...4094).contains(vlan.value) else {
        if let value = reader.int(vlanNode) {
          reader.report(vlanNode, "VLAN \(value) cannot carry a fake bridge", fix: "use a VLAN from 1 to 4094")
        }
        return
      }
      spec.fakeBridges.append(HostSpec.FakeBridge(name: name, parent: parent, vlan: vlan, location: node.location))
      for port in reader.list(f["ports"]) { self.port(port, bridge: name.rawValue, fakeVLAN: vlan, into: &spec) }
      return
    }
    let datapath = reader.choice(f["datapath_type"], ["system", "netdev"])
    spec.bridges.append(
      HostSpec.Bridge(name: name, datapathType: datapath, rstp: reader.bool(f["rstp"]), location: node.location))
    for port in reader.list(f["ports"]) { self.port(port, bridge: name.rawValue, fakeVLAN: nil, into: &spec) }
    for tunnel in reader.list(f["tunnels"]) { self.tunnel(tunnel, bridge: name.rawValue, into: &spec) }
  }

  mutating func port(_ node: SpecNode, bridge: String, fakeVLAN: VLANID?, into spec: inout HostSpec) {
    guard
      let f = reader.fields(
        node,
        keys: ["name", "type", "access", "trunks", "native", "vlan_mode", "bond", "bond_mode", "lacp", "mtu", "peer"],
        required: ["name"])
    else { return }
    guard let name = interfaceName(f["name"], role: "port") else { return }
    let kind = reader.choice(f["type"], ["system", "internal", "patch"]) ?? "system"
    var vlan = vlanSettings(f, port: name.rawValue)
    if let fakeVLAN {
      if vlan != .untagged {
        reader.report(
          node, "port '\(name)' is on fake bridge '\(bridge)', which gives it VLAN \(fakeVLAN)",
          fix: "drop access/trunks/native/vlan_mode, or put the port on the parent bridge")
      }
      vlan = VLANSettings(tag: fakeVLAN)
    }
    let mtu = reader.int(f["mtu"])
    let peer = reader.string(f["peer"])
    let members = reader.list(f["bond"])
    let interfaceKind: InterfaceSpec.Kind = kind == "internal" ? .internal : kind == "patch" ? .patch : .system
    let bondMode = reader.choice(f["bond_mode"], PortMakeup.bondModes)
    let lacp = reader.choice(f["lacp"], PortMakeup.lacpModes)
    let makeup = PortMakeup(
      port: name.rawValue, kind: interfaceKind, bondMembers: members.count, bondMode: bondMode, lacp: lacp, peer: peer,
      mtu: mtu)
    for problem in makeup.problems {
      reader.report(f[problem.setting] ?? node, problem.error.problem, fix: problem.error.fix)
    }
    var interfaces: [InterfaceSpec] = []
    if !members.isEmpty {
      for member in members {
        guard let memberName = interfaceName(member, role: "bond member") else { continue }
        interfaces.append(InterfaceSpec(name: memberName, mtuRequest: mtu))
      }
    } else {
      let options = interfaceKind == .patch ? peer.map { ["peer": $0] } ?? [:] : [:]
      interfaces.append(InterfaceSpec(name: name, kind: interfaceKind, options: options, mtuRequest: mtu))
    }
    declare(name.rawValue, at: node)
    for interface in interfaces where interface.name != name { declare(interface.name.rawValue, at: node) }
    spec.ports.append(
      HostSpec.Port(
        name: name, bridge: bridge, vlan: vlan, interfaces: interfaces, bondMode: bondMode, lacp: lacp, meshPeer: nil,
        location: node.location))
  }

  mutating func tunnel(_ node: SpecNode, bridge: String, into spec: inout HostSpec) {
    guard
      let f = reader.fields(
        node, keys: ["name", "type", "remote_ip", "local_ip", "key", "dst_port", "mtu"],
        required: ["name", "remote_ip"])
    else { return }
    guard let name = interfaceName(f["name"], role: "tunnel"), let remote = reader.string(f["remote_ip"]) else {
      return
    }
    let kind = InterfaceSpec.Kind(rawValue: reader.choice(f["type"], ["vxlan", "geneve", "gre"]) ?? "vxlan") ?? .vxlan
    let key = f["key"].flatMap { reader.string($0) }
    let options = TunnelOptions(
      remoteIP: remote, localIP: reader.string(f["local_ip"]), key: key, dstPort: reader.int(f["dst_port"]))
    guard check(options, kind: kind, at: node, name: name.rawValue) else { return }
    let mtu = reader.int(f["mtu"])
    declare(name.rawValue, at: node)
    spec.ports.append(
      HostSpec.Port(
        name: name, bridge: bridge, vlan: .untagged,
        interfaces: [InterfaceSpec(name: name, kind: kind, options: options.options, mtuRequest: mtu)], meshPeer: nil,
        location: node.location))
  }

  func check(_ options: TunnelOptions, kind: InterfaceSpec.Kind, at node: SpecNode, name: String) -> Bool {
    do {
      try options.validate(port: name, kind: kind)
    } catch {
      reader.report(node, "\(error.subject): \(error.problem)", fix: error.fix)
      return false
    }
    if options.remoteIP == options.localIP {
      reader.report(node, "tunnel '\(name)' goes to itself (remote_ip = local_ip)", fix: "use the other host's address")
      return false
    }
    return true
  }

  func checkNotToSelf(_ port: HostSpec.Port) {
    guard port.meshPeer == nil, let remote = port.interfaces.first?.options["remote_ip"] else { return }
    let loopback = remote.hasPrefix("127.") || remote == "::1"
    if loopback || remote == selfAddress {
      reader.report(
        at: port.location, path: "bridges",
        "tunnel '\(port.name)' goes to this host itself (\(remote)\(loopback ? ", a loopback address" : ""))",
        fix: "point remote_ip at another host's underlay address")
    }
  }

  // MARK: VLANs

  func vlanID(_ node: SpecNode?) -> VLANID? {
    guard let node, let value = reader.int(node) else { return nil }
    do {
      return try VLANID(value)
    } catch {
      reader.report(node, error.problem, fix: error.fix)
      return nil
    }
  }

  func vlanList(_ node: SpecNode?) -> [VLANID] {
    guard let node else { return [] }
    do {
      if node.isSequence {
        return reader.list(node).compactMap { item in vlanID(item) }.sorted()
      }
      if let text = node.plainScalar, Int(text) != nil {
        return vlanID(node).map { [$0] } ?? []
      }
      guard let text = reader.string(node) else { return [] }
      return try VLANID.parseList(text)
    } catch {
      reader.report(node, error.problem, fix: error.fix)
      return []
    }
  }

  func vlanSettings(_ f: SpecFields, port: String) -> VLANSettings {
    let access = vlanID(f["access"])
    let native = vlanID(f["native"])
    let mode = reader.choice(f["vlan_mode"], VLANMode.allCases.map(\.rawValue)).flatMap(VLANMode.init(rawValue:))
    if access != nil && native != nil {
      reader.report(f.node, "port '\(port)' has both 'access' and 'native'", fix: "keep one")
    }
    var settings = VLANSettings(mode: mode, tag: access ?? native, trunks: vlanList(f["trunks"]))
    if native != nil && mode == nil { settings.mode = .nativeUntagged }
    do {
      try settings.validate(port: port)
    } catch {
      reader.report(f.node, error.problem, fix: error.fix.replacingOccurrences(of: "--", with: ""))
    }
    return settings
  }

  // MARK: names

  func interfaceName(_ node: SpecNode?, role: String) -> InterfaceName? {
    guard let node, let text = reader.string(node) else { return nil }
    do {
      return try InterfaceName(text, role: role)
    } catch {
      reader.report(node, error.problem, fix: error.fix)
      return nil
    }
  }

  mutating func declare(_ name: String, at node: SpecNode) {
    if let earlier = names[name] {
      reader.report(
        node, "the name '\(name)' is used twice (also at line \(earlier))",
        fix: "bridges, ports, bond members and tunnels share one namespace in OVS: rename one")
      return
    }
    names[name] = node.location.line
  }
}
