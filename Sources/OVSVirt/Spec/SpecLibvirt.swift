import VSwitch
import VirtXML

extension SpecBuilder {
  /// `networks:` — libvirt networks on bridges of this spec, one VLAN or portgroups.
  mutating func network(_ node: SpecNode, into spec: inout HostSpec) {
    guard
      let f = reader.fields(
        node, keys: ["name", "bridge", "vlan", "portgroups", "autostart", "mtu"], required: ["name", "bridge"]),
      let name = reader.string(f["name"]), let bridge = reader.string(f["bridge"])
    else { return }
    if name.isEmpty || name.contains("/") {
      reader.report(f["name"] ?? node, "'\(name)' is not a usable network name", fix: "use letters, digits, '-' or '_'")
    }
    if let other = spec.networks.first(where: { $0.definition.name == name }) {
      reader.report(node, "network '\(name)' is defined twice (also at line \(other.location.line))", fix: "keep one")
      return
    }
    let fake = spec.fakeBridges.first { $0.name.rawValue == bridge }
    if fake == nil && !spec.bridges.contains(where: { $0.name.rawValue == bridge }) {
      reader.report(
        f["bridge"] ?? node, "network '\(name)': bridge '\(bridge)' is not a bridge of this spec",
        fix: "add `- name: \(bridge)` under bridges:, or use one of: \(bridgeNames(spec))")
    }
    let vlan = vlanID(f["vlan"])
    if let fake, let vlan, vlan != fake.vlan, let vlanNode = f["vlan"] {
      reader.report(
        vlanNode, "network '\(name)' is on fake bridge '\(bridge)' (VLAN \(fake.vlan)) but asks VLAN \(vlan)",
        fix: "use vlan: \(fake.vlan), or put the network on '\(fake.parent)'")
    }
    var groups: [NetworkDefinition.Portgroup] = []
    for groupNode in reader.list(f["portgroups"]) {
      guard
        let g = reader.fields(
          groupNode, keys: ["name", "vlan", "trunks", "native", "native_mode", "default"], required: ["name"]),
        let groupName = reader.string(g["name"])
      else { continue }
      if groups.contains(where: { $0.name == groupName }) {
        reader.report(groupNode, "portgroup '\(groupName)' is listed twice in network '\(name)'", fix: "keep one")
        continue
      }
      let tags = portgroupTags(g, network: name)
      if tags != nil, let fake {
        reader.report(
          groupNode, "network '\(name)' is on fake bridge '\(bridge)', which fixes VLAN \(fake.vlan)",
          fix: "put a network with VLAN portgroups on the parent '\(fake.parent)'")
      }
      let isDefault = reader.bool(g["default"]) ?? false
      if isDefault, let other = groups.first(where: \.isDefault) {
        reader.report(groupNode, "'\(other.name)' is already the default portgroup", fix: "mark one portgroup default")
      }
      groups.append(NetworkDefinition.Portgroup(name: groupName, vlan: tags, isDefault: isDefault))
    }
    let mtu = reader.int(f["mtu"])
    if let mtu, !(68...65535).contains(mtu), let mtuNode = f["mtu"] {
      reader.report(mtuNode, "network '\(name)': mtu \(mtu) is outside 68–65535", fix: "give the guests' MTU")
    }
    // A network on the tunnelled bridge (or a fake bridge on it): its guests' frames cross the tunnels.
    if let budget = spec.tunnelMTU, budget.bridge == bridge || fake?.parent == budget.bridge {
      if let mtu, mtu > budget.guestMTU {
        reader.report(
          f["mtu"] ?? node,
          "network '\(name)': mtu \(mtu) does not fit the \(budget.kind.rawValue) tunnels of \(budget.bridge) (at most \(budget.guestMTU) over an underlay MTU of \(budget.underlayMTU)); bigger frames are dropped without notice",
          fix: "use `mtu: \(budget.guestMTU)`, or raise the cluster's underlay_mtu to \(mtu + budget.overhead)")
      } else if mtu == nil, budget.guestMTU < 1500 {
        spec.notes.append(
          "network \(name) crosses the tunnels of \(budget.bridge) without an mtu: its guests default to 1500, which does not fit (at most \(budget.guestMTU)); add `mtu: \(budget.guestMTU)` (ovsvirt then writes `<mtu size>` on the NICs it manages there; give other VMs' interfaces the same)"
        )
      }
    }
    var definition = NetworkDefinition(name: name, bridge: bridge, vlan: vlan?.value, portgroups: groups)
    if let ovn = spec.ovn {
      definition = ovnNetwork(definition, mtu: mtu, fake: fake, ovn: ovn, node: f["bridge"] ?? node, into: &spec)
    }
    spec.networks.append(
      HostSpec.Network(
        definition: definition,
        autostart: reader.bool(f["autostart"]) ?? true, guestMTU: mtu, location: node.location))
  }

  /// With `engine: ovn` a network is logical switches (one per portgroup) in the Northbound
  /// database, and for libvirt a network on br-int without VLANs: the portgroups keep their names
  /// (a domain's `<source network portgroup>` still resolves) and OVN gives the VLAN.
  func ovnNetwork(
    _ definition: NetworkDefinition, mtu: Int?, fake: HostSpec.FakeBridge?, ovn: OVNChassis, node: SpecNode,
    into spec: inout HostSpec
  ) -> NetworkDefinition {
    let onCluster = definition.bridge == ovn.bridge || fake?.parent == ovn.bridge
    if !onCluster {
      reader.report(
        node,
        "network '\(definition.name)' is on '\(definition.bridge)', but with engine ovn only \(ovn.bridge) reaches the physical network (\(ovn.physicalNetwork))",
        fix: "put the network on \(ovn.bridge) (or a fake bridge of it)")
    }
    let fixedVLAN = fake.map { Int($0.vlan.value) } ?? definition.vlan
    func localnet(_ vlan: Int?) -> LogicalNetwork.Localnet? {
      vlan.map { LogicalNetwork.Localnet(physicalNetwork: ovn.physicalNetwork, vlan: $0) }
    }
    if definition.portgroups.isEmpty {
      spec.logicalNetworks.append(
        LogicalNetwork(network: definition.name, portgroup: nil, isDefault: true, localnet: localnet(fixedVLAN)))
      if fixedVLAN == nil { overlayMTU(definition.name, mtu: mtu, ovn: ovn, node: node, into: &spec) }
    }
    for group in definition.portgroups {
      var tag: Int? = fixedVLAN
      if let tags = group.vlan {
        guard !tags.isTrunk, let only = tags.allTags.first else {
          reader.report(
            node,
            "portgroup '\(group.name)' of network '\(definition.name)' is a trunk, which engine ovn does not map yet",
            fix: "give the portgroup one `vlan:`")
          continue
        }
        tag = Int(only)
      }
      spec.logicalNetworks.append(
        LogicalNetwork(
          network: definition.name, portgroup: group.name, isDefault: group.isDefault, localnet: localnet(tag)))
    }
    return NetworkDefinition(
      name: definition.name, bridge: "br-int", vlan: nil,
      portgroups: definition.portgroups.map { .init(name: $0.name, vlan: nil, isDefault: $0.isDefault) })
  }

  /// An overlay network's guests ride Geneve between hosts: what fits, said by `plan`, and a network
  /// `mtu:` that does not fit refused (bigger frames are dropped without notice).
  func overlayMTU(_ name: String, mtu: Int?, ovn: OVNChassis, node: SpecNode, into spec: inout HostSpec) {
    let fits = ovn.overlayGuestMTU
    if let mtu, mtu > fits {
      reader.report(
        node,
        "network '\(name)': mtu \(mtu) does not fit the \(ovn.encapType) overlay (at most \(fits) over an underlay MTU of \(ovn.underlayMTU)); bigger frames are dropped without notice",
        fix: "use `mtu: \(fits)`, or raise the cluster's underlay_mtu to \(mtu + ovn.overlayOverhead)")
      return
    }
    guard mtu == nil else { return }
    spec.notes.append(
      "overlay network \(name): guests fit at MTU ≤ \(fits) over \(ovn.encapType) (underlay MTU \(ovn.underlayMTU) minus \(ovn.overlayOverhead) bytes)\(fits < 1500 ? "; give it `mtu: \(fits)`, or raise underlay_mtu to \(1500 + ovn.overlayOverhead)" : "")"
    )
  }

  func portgroupTags(_ g: SpecFields, network: String) -> VLANTags? {
    let vlan = vlanID(g["vlan"])
    let trunks = vlanList(g["trunks"]).map(\.value)
    let native = vlanID(g["native"])
    let mode = reader.choice(g["native_mode"], ["untagged", "tagged"]).flatMap(VLANTags.NativeMode.init(rawValue:))
    switch (vlan, trunks.isEmpty, native) {
    case (let vlan?, true, nil):
      return .access(vlan.value)
    case (nil, false, _):
      return .trunk(trunks, native: native.map { ($0.value, mode ?? .untagged) })
    case (nil, true, nil):
      if mode != nil { reader.report(g.node, "'native_mode' needs 'native'", fix: "add `native: N` or drop it") }
      return nil
    case (_?, false, _):
      reader.report(g.node, "a portgroup has either 'vlan' (access) or 'trunks'", fix: "keep one of them")
    case (_, true, _?):
      reader.report(g.node, "'native' is the untagged VLAN of a trunk", fix: "add `trunks: …`, or use `vlan:`")
    }
    return nil
  }

  /// `domains:` — VM NICs by MAC and where each joins (a network/portgroup or a bridge + VLAN).
  mutating func domain(_ node: SpecNode, into spec: inout HostSpec) {
    guard let f = reader.fields(node, keys: ["name", "interfaces"], required: ["name", "interfaces"]),
      let domain = reader.string(f["name"])
    else { return }
    if let other = spec.attachments.first(where: { $0.domain == domain }) {
      reader.report(node, "domain '\(domain)' is listed twice (also at line \(other.location.line))", fix: "merge them")
      return
    }
    for nicNode in reader.list(f["interfaces"]) {
      guard
        let n = reader.fields(
          nicNode, keys: ["mac", "network", "portgroup", "bridge", "vlan", "trunks"], required: ["mac"]),
        let mac = reader.string(n["mac"]).map({ $0.lowercased() })
      else { continue }
      guard MACAddress.isUnicast(mac) else {
        reader.report(
          n["mac"] ?? nicNode, "'\(mac)' is not a unicast MAC address",
          fix: "write six hex pairs like 52:54:00:aa:00:01 (the first octet even)")
        continue
      }
      if let other = spec.attachments.first(where: { $0.mac == mac }) {
        reader.report(
          nicNode, "MAC \(mac) is already used (domain \(other.domain), line \(other.location.line))",
          fix: "every NIC needs its own MAC")
        continue
      }
      guard let target = nicTarget(n, spec: spec) else { continue }
      var mtu: Int? = nil
      if case .network(let network, _) = target {
        mtu = spec.networks.first { $0.definition.name == network }?.guestMTU
      }
      spec.attachments.append(
        HostSpec.Attachment(domain: domain, mac: mac, target: target, mtu: mtu, location: nicNode.location))
    }
  }

  func nicTarget(_ n: SpecFields, spec: HostSpec) -> InterfaceTarget? {
    switch (reader.string(n["network"]), reader.string(n["bridge"])) {
    case (let network?, nil):
      for key in ["vlan", "trunks"] where n[key] != nil {
        reader.report(
          n.values[key] ?? n.node, "a NIC on a network gets its VLAN from the network or portgroup",
          fix: "drop '\(key)', or use `portgroup:`")
      }
      let portgroup = reader.string(n["portgroup"])
      guard let definition = spec.networks.first(where: { $0.definition.name == network })?.definition else {
        reader.report(
          n["network"] ?? n.node, "network '\(network)' is not a network of this spec",
          fix: "add it under networks:, or use one of: \(spec.networks.map(\.definition.name).joined(separator: ", "))")
        return nil
      }
      if let portgroup, !definition.portgroups.contains(where: { $0.name == portgroup }) {
        reader.report(
          n["portgroup"] ?? n.node, "network '\(network)' has no portgroup '\(portgroup)'",
          fix: "use one of: \(definition.portgroups.map(\.name).joined(separator: ", "))")
        return nil
      }
      return .network(network, portgroup: portgroup)
    case (nil, let bridge?):
      if n["portgroup"] != nil {
        reader.report(n.values["portgroup"] ?? n.node, "'portgroup' goes with 'network'", fix: "drop it")
      }
      guard
        spec.bridges.contains(where: { $0.name.rawValue == bridge })
          || spec.fakeBridges.contains(where: { $0.name.rawValue == bridge })
      else {
        reader.report(
          n["bridge"] ?? n.node, "bridge '\(bridge)' is not a bridge of this spec",
          fix: "use one of: \(bridgeNames(spec))")
        return nil
      }
      let vlan = vlanID(n["vlan"])
      let trunks = vlanList(n["trunks"]).map(\.value)
      if vlan != nil && !trunks.isEmpty {
        reader.report(n.node, "'vlan' and 'trunks' exclude each other", fix: "keep one")
        return nil
      }
      return .bridge(bridge, vlan: vlan.map { .access($0.value) } ?? (trunks.isEmpty ? nil : .trunk(trunks)))
    case (_?, _?):
      reader.report(n.node, "a NIC joins either a 'network' or a 'bridge'", fix: "keep one")
    case (nil, nil):
      reader.report(n.node, "the NIC says neither 'network' nor 'bridge'", fix: "add `network: NAME` or `bridge: NAME`")
    }
    return nil
  }

  func bridgeNames(_ spec: HostSpec) -> String {
    (spec.bridges.map(\.name.rawValue) + spec.fakeBridges.map(\.name.rawValue)).joined(separator: ", ")
  }
}
