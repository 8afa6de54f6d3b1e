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
      let view = InterfaceView(uuid: uuid, row: row)
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
    var portRows: [RowUUID: PortColumns] = [:]
    portRows.reserveCapacity(snapshot.rows("Port").count)
    for (uuid, row) in snapshot.rows("Port") { portRows[uuid] = PortColumns(row) }
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
        guard let port = portRows[portUUID], port.fakeBridge, let tag = port.tag, let portName = port.name else {
          continue
        }
        fakeByParentVLAN[bridgeUUID, default: [:]][tag] = portName
      }
    }
    for (bridgeUUID, row) in snapshot.rows("Bridge") {
      let parentName = row["name"]?.scalar?.stringValue ?? ""
      for (vlan, fakeName) in fakeByParentVLAN[bridgeUUID] ?? [:] {
        bridges[fakeName] = BridgeView(
          name: fakeName, uuid: bridgeUUID, parent: parentName, vlan: vlan,
          datapathType: bridges[parentName]?.datapathType ?? "", rstpEnabled: false, externalIDs: [:])
      }
      let fakes = fakeByParentVLAN[bridgeUUID]
      for portUUID in row["ports"]?.keys.compactMap(\.uuidValue) ?? [] {
        guard let port = portRows[portUUID] else { continue }
        let name = port.name ?? ""
        let fake = port.fakeBridge
        let owner = !fake ? port.tag.flatMap { fakes?[$0] } ?? parentName : parentName
        ports[name] = PortView(
          uuid: portUUID, name: name, bridgeUUID: bridgeUUID, bridge: fake ? parentName : owner,
          interfaces: port.interfaces, tag: port.tag, trunks: port.trunks, vlanMode: port.vlanMode, fakeBridge: fake,
          bondMode: port.bondMode, lacp: port.lacp, qos: port.qos, externalIDs: port.externalIDs,
          otherConfig: port.otherConfig)
      }
    }
  }

  /// Ports of a bridge as a user sees them (a fake bridge's own port is not listed on its parent).
  public func ports(of bridge: String) -> [PortView] {
    ports.values.filter { $0.bridge == bridge && !$0.fakeBridge && $0.name != bridge }.sorted { $0.name < $1.name }
  }
}

/// A Port row's columns, read in one pass over the row. Looking each column up hashed its name, a
/// dozen times per port: on a 10,000-port switch that was most of building the view (callgrind).
/// Each value reads as the lookups read it (a column not replicated is nil, empty or false).
private struct PortColumns {
  var name: String?
  var tag: Int?
  var fakeBridge = false
  var interfaces: [RowUUID] = []
  var trunks: [Int] = []
  var vlanMode: String?
  var bondMode: String?
  var lacp: String?
  var qos: RowUUID?
  var externalIDs: [String: String] = [:]
  var otherConfig: [String: String] = [:]

  init(_ row: [String: Datum]) {
    for (column, value) in row {
      switch column {
      case "name": name = value.scalar?.stringValue
      case "tag": tag = value.scalar?.integerValue.map(Int.init)
      case "fake_bridge": fakeBridge = value.scalar == .boolean(true)
      case "interfaces": interfaces = value.keys.compactMap(\.uuidValue)
      case "trunks": trunks = value.keys.compactMap(\.integerValue).map(Int.init)
      case "vlan_mode": vlanMode = value.scalar?.stringValue
      case "bond_mode": bondMode = value.scalar?.stringValue
      case "lacp": lacp = value.scalar?.stringValue
      case "qos": qos = value.scalar?.uuidValue
      case "external_ids": externalIDs = value.stringMap
      case "other_config": otherConfig = value.stringMap
      default: break
      }
    }
  }
}

extension InterfaceView {
  /// An Interface row's view, its columns read in one pass (see `PortColumns`).
  init(uuid: RowUUID, row: [String: Datum]) {
    self.init(
      uuid: uuid, name: "", type: "", options: [:], mtuRequest: nil, ofport: nil, externalIDs: [:],
      ingressPolicingRate: 0, ingressPolicingBurst: 0, error: nil)
    for (column, value) in row {
      switch column {
      case "name": name = value.scalar?.stringValue ?? ""
      case "type": type = value.scalar?.stringValue ?? ""
      case "options": options = value.stringMap
      case "mtu_request": mtuRequest = value.scalar?.integerValue.map(Int.init)
      case "ofport": ofport = value.scalar?.integerValue.map(Int.init)
      case "external_ids": externalIDs = value.stringMap
      case "ingress_policing_rate": ingressPolicingRate = value.scalar?.integerValue.map(Int.init) ?? 0
      case "ingress_policing_burst": ingressPolicingBurst = value.scalar?.integerValue.map(Int.init) ?? 0
      case "error": error = value.scalar?.stringValue
      default: break
      }
    }
  }
}
