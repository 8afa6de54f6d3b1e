import OVSDB

/// A bridge as ovs-vsctl presents it: a real bridge, or a fake VLAN bridge (an internal port with
/// `fake_bridge=true` and a tag on its parent).
public struct BridgeView: Sendable, Equatable {
  public var name: String
  /// The Bridge row (for a fake bridge: its parent's).
  public var uuid: RowUUID
  /// For a fake bridge: the parent bridge's name and the VLAN.
  public var parent: String?
  public var vlan: Int?
  public var datapathType: String
  public var rstpEnabled: Bool
  public var externalIDs: [String: String]
  /// Bridge.other_config (RSTP priority and timers, hwaddr, …); empty for a fake bridge.
  public var otherConfig: [String: String] = [:]
  public var isFake: Bool { parent != nil }
}

public struct PortView: Sendable, Equatable {
  /// tag, trunks and vlan_mode as one value, to compare with what is wanted.
  public var vlanSettings: VLANSettings {
    VLANSettings(
      mode: vlanMode.flatMap(VLANMode.init(rawValue:)), tag: tag.flatMap { try? VLANID($0) },
      trunks: trunks.compactMap { try? VLANID($0) })
  }

  public var uuid: RowUUID
  public var name: String
  /// The Bridge row that holds the port.
  public var bridgeUUID: RowUUID
  /// The bridge as a user names it: the fake bridge for ports tagged with a fake bridge's VLAN on
  /// its parent (as ovs-vsctl's port-to-br does), else the real one.
  public var bridge: String
  public var interfaces: [RowUUID]
  public var tag: Int?
  public var trunks: [Int]
  public var vlanMode: String?
  public var fakeBridge: Bool
  public var bondMode: String?
  public var lacp: String?
  /// The port's QoS row, if any (see `SwitchState.qos`).
  public var qos: RowUUID?
  public var externalIDs: [String: String]
  public var otherConfig: [String: String]
}

/// A QoS row (linux-htb, linux-hfsc, egress-policer, …) with its queues by number.
public struct QoSView: Sendable, Equatable {
  public var uuid: RowUUID
  public var type: String
  /// e.g. max-rate, in bits per second, as OVS keeps it (a string).
  public var otherConfig: [String: String]
  public var queues: [Int: QueueView]
  public var externalIDs: [String: String]
}

public struct QueueView: Sendable, Equatable {
  public var uuid: RowUUID
  public var dscp: Int?
  /// min-rate, max-rate, burst, priority.
  public var otherConfig: [String: String]
  public var externalIDs: [String: String]
}

public struct InterfaceView: Sendable, Equatable {
  public var uuid: RowUUID
  public var name: String
  public var type: String
  public var options: [String: String]
  public var mtuRequest: Int?
  public var ofport: Int?
  public var externalIDs: [String: String]
  /// Policing of traffic the port receives (from a VM: what it sends), kbit/s and kbit; 0 is off.
  public var ingressPolicingRate: Int
  public var ingressPolicingBurst: Int
  /// Why ovs-vswitchd could not open or configure the interface (Interface.error), if it says.
  public var error: String? = nil
}

/// The switch as the replica shows it, indexed the ways commands look things up.
public struct SwitchState: Sendable {
  public let snapshot: ReplicaSnapshot
  public private(set) var bridges: [String: BridgeView] = [:]
  public private(set) var ports: [String: PortView] = [:]
  public private(set) var interfaces: [String: InterfaceView] = [:]
  public private(set) var interfacesByUUID: [RowUUID: InterfaceView] = [:]
  public private(set) var qos: [RowUUID: QoSView] = [:]
  /// The Open_vSwitch root row.
  public private(set) var root: RowUUID?
  /// Open_vSwitch.ovs_version: the version of ovs-vswitchd that last configured this database.
  public var ovsVersion: String? {
    root.flatMap { snapshot.row("Open_vSwitch", $0)?["ovs_version"]?.scalar?.stringValue }
  }

  /// The root row's external_ids (system-id, marks such as the libvirt networks ovsvirt defined).
  public var rootExternalIDs: [String: String] { Self.rootExternalIDs(in: snapshot) }

  /// The root row's external_ids, read without indexing the whole switch.
  public static func rootExternalIDs(in snapshot: ReplicaSnapshot) -> [String: String] {
    let roots = snapshot.rows("Open_vSwitch")
    guard let root = roots.keys.min() else { return [:] }
    return roots[root]?["external_ids"]?.stringMap ?? [:]
  }

  /// `prepared` when it was built from this very snapshot (e.g. ahead of a transaction, while other
  /// work went on), else a view built now.
  public init(_ snapshot: ReplicaSnapshot, prepared: SwitchState?) {
    if let prepared, prepared.snapshot.generation == snapshot.generation {
      self = prepared
    } else {
      self.init(snapshot)
    }
  }

  public init(_ snapshot: ReplicaSnapshot) {
    self.snapshot = snapshot
    root = snapshot.rows("Open_vSwitch").keys.min()
    let interfaceRows = snapshot.rows("Interface")
    interfaces.reserveCapacity(interfaceRows.count)
    interfacesByUUID.reserveCapacity(interfaceRows.count)
    for (uuid, row) in interfaceRows {
      let view = InterfaceView(
        uuid: uuid, name: row["name"]?.scalar?.stringValue ?? "", type: row["type"]?.scalar?.stringValue ?? "",
        options: row["options"]?.stringMap ?? [:], mtuRequest: row["mtu_request"]?.scalar?.integerValue.map(Int.init),
        ofport: row["ofport"]?.scalar?.integerValue.map(Int.init), externalIDs: row["external_ids"]?.stringMap ?? [:],
        ingressPolicingRate: row["ingress_policing_rate"]?.scalar?.integerValue.map(Int.init) ?? 0,
        ingressPolicingBurst: row["ingress_policing_burst"]?.scalar?.integerValue.map(Int.init) ?? 0,
        error: row["error"]?.scalar?.stringValue)
      interfaces[view.name] = view
      interfacesByUUID[uuid] = view
    }
    let queueRows = snapshot.rows("Queue")
    for (uuid, row) in snapshot.rows("QoS") {
      var queues: [Int: QueueView] = [:]
      for (number, queue) in row["queues"]?.pairs ?? [] {
        guard let key = number.integerValue, let queueUUID = queue.uuidValue, let queueRow = queueRows[queueUUID] else {
          continue
        }
        queues[Int(key)] = QueueView(
          uuid: queueUUID, dscp: queueRow["dscp"]?.scalar?.integerValue.map(Int.init),
          otherConfig: queueRow["other_config"]?.stringMap ?? [:],
          externalIDs: queueRow["external_ids"]?.stringMap ?? [:])
      }
      qos[uuid] = QoSView(
        uuid: uuid, type: row["type"]?.scalar?.stringValue ?? "", otherConfig: row["other_config"]?.stringMap ?? [:],
        queues: queues, externalIDs: row["external_ids"]?.stringMap ?? [:])
    }
    let portRows = snapshot.rows("Port")
    ports.reserveCapacity(portRows.count)
    var fakeByParentVLAN: [RowUUID: [Int: String]] = [:]
    for (bridgeUUID, row) in snapshot.rows("Bridge") {
      let name = row["name"]?.scalar?.stringValue ?? ""
      bridges[name] = BridgeView(
        name: name, uuid: bridgeUUID, parent: nil, vlan: nil,
        datapathType: row["datapath_type"]?.scalar?.stringValue ?? "",
        rstpEnabled: row["rstp_enable"]?.scalar == .boolean(true), externalIDs: row["external_ids"]?.stringMap ?? [:],
        otherConfig: row["other_config"]?.stringMap ?? [:])
      for portUUID in row["ports"]?.keys.compactMap(\.uuidValue) ?? [] {
        guard let port = portRows[portUUID], port["fake_bridge"]?.scalar == .boolean(true),
          let tag = port["tag"]?.scalar?.integerValue, let portName = port["name"]?.scalar?.stringValue
        else { continue }
        fakeByParentVLAN[bridgeUUID, default: [:]][Int(tag)] = portName
      }
    }
    for (bridgeUUID, row) in snapshot.rows("Bridge") {
      let parentName = row["name"]?.scalar?.stringValue ?? ""
      for (vlan, fakeName) in fakeByParentVLAN[bridgeUUID] ?? [:] {
        bridges[fakeName] = BridgeView(
          name: fakeName, uuid: bridgeUUID, parent: parentName, vlan: vlan,
          datapathType: bridges[parentName]?.datapathType ?? "", rstpEnabled: false, externalIDs: [:])
      }
      for portUUID in row["ports"]?.keys.compactMap(\.uuidValue) ?? [] {
        guard let port = portRows[portUUID] else { continue }
        let name = port["name"]?.scalar?.stringValue ?? ""
        let tag = port["tag"]?.scalar?.integerValue.map(Int.init)
        let fake = port["fake_bridge"]?.scalar == .boolean(true)
        let owner = !fake ? tag.flatMap { fakeByParentVLAN[bridgeUUID]?[$0] } ?? parentName : parentName
        ports[name] = PortView(
          uuid: portUUID, name: name, bridgeUUID: bridgeUUID, bridge: fake ? parentName : owner,
          interfaces: port["interfaces"]?.keys.compactMap(\.uuidValue) ?? [], tag: tag,
          trunks: port["trunks"]?.keys.compactMap(\.integerValue).map(Int.init) ?? [],
          vlanMode: port["vlan_mode"]?.scalar?.stringValue, fakeBridge: fake,
          bondMode: port["bond_mode"]?.scalar?.stringValue, lacp: port["lacp"]?.scalar?.stringValue,
          qos: port["qos"]?.scalar?.uuidValue, externalIDs: port["external_ids"]?.stringMap ?? [:],
          otherConfig: port["other_config"]?.stringMap ?? [:])
      }
    }
  }

  /// Ports of a bridge as a user sees them (a fake bridge's own port is not listed on its parent).
  public func ports(of bridge: String) -> [PortView] {
    ports.values.filter { $0.bridge == bridge && !$0.fakeBridge && $0.name != bridge }.sorted { $0.name < $1.name }
  }
}
