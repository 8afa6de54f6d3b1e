import OVSDB

/// Turns one user intent into operations on a guarded transaction, with the same database result
/// as the equivalent ovs-vsctl command. Everything is validated before the first operation is added,
/// so a refused request adds nothing.
public struct SwitchPlanner: Sendable {
  /// Whether an existing object with the same settings is fine (ovs-vsctl's --may-exist); an
  /// existing object with different settings is always an error.
  public var mayExist = false
  /// Whether deleting something absent is fine (--if-exists).
  public var ifExists = false

  public init(mayExist: Bool = false, ifExists: Bool = false) {
    self.mayExist = mayExist
    self.ifExists = ifExists
  }

  // MARK: bridges

  /// `ovs-vsctl add-br NAME [-- set Bridge NAME datapath_type=T]`.
  public func addBridge(
    _ name: InterfaceName, datapathType: String? = nil, externalIDs: [String: String] = [:],
    otherConfig: [String: String] = [:], in txn: inout TransactionBuilder
  ) throws(ValidationError) {
    let state = SwitchState(txn.snapshot)
    guardNameRead(name.rawValue, &txn)
    if let existing = state.bridges[name.rawValue] {
      guard mayExist else { throw exists("bridge", name.rawValue) }
      if existing.isFake {
        throw ValidationError(
          subject: "bridge '\(name)'", problem: "exists as \(existing.role)",
          fix: "delete it first (ovsvirt bridge del \(name)) or use another name")
      }
      if let datapathType, existing.datapathType != datapathType {
        throw ValidationError(
          subject: "bridge '\(name)'",
          problem: "exists with datapath_type '\(existing.datapathType)', not '\(datapathType)'",
          fix: "delete and re-create it, or drop --datapath-type")
      }
      return
    }
    try requireFreeName(name.rawValue, state: state, role: "bridge")
    var row: [String: Datum] = [:]
    if !otherConfig.isEmpty { row["other_config"] = .map(otherConfig) }
    if let datapathType { row["datapath_type"] = .scalar(.string(datapathType)) }
    let bridge = insertBridge(name, columns: row, externalIDs: externalIDs, in: &txn)
    try addToRoot(bridge, state: state, &txn)
  }

  /// `ovs-vsctl add-br CHILD PARENT VLAN`: an internal port named CHILD with fake_bridge=true and
  /// tag=VLAN on PARENT.
  public func addFakeBridge(_ name: InterfaceName, parent: String, vlan: VLANID, in txn: inout TransactionBuilder)
    throws(ValidationError)
  {
    let state = SwitchState(txn.snapshot)
    guardNameRead(name.rawValue, &txn)
    guardNameRead(parent, &txn)
    guard let parentView = state.bridges[parent] else { throw unknownBridge(parent) }
    guard !parentView.isFake else {
      throw ValidationError(
        subject: "bridge '\(name)'", problem: "parent '\(parent)' is itself a fake bridge",
        fix: "use its parent '\(parentView.parent ?? "")' with VLAN \(vlan)")
    }
    switch state.fakeBridge(name.rawValue, parent: parent, vlan: vlan) {
    case .present:
      guard mayExist else { throw exists("bridge", name.rawValue) }
      return
    case .differs(let now):
      guard mayExist else { throw exists("bridge", name.rawValue) }
      throw ValidationError(
        subject: "bridge '\(name)'", problem: "exists as \(now)", fix: "delete it first or use another name")
    case .vlanTaken(let other):
      throw ValidationError(
        subject: "bridge '\(name)'", problem: "'\(other)' is already the fake bridge for VLAN \(vlan) on \(parent)",
        fix: "use '\(other)' or another VLAN")
    case .absent:
      break
    }
    try requireFreeName(name.rawValue, state: state, role: "bridge")
    let port = insertFakeBridgePort(name, vlan: vlan, in: &txn)
    attach([.namedUUID(port)], to: parentView.uuid, in: &txn)
  }

  /// `ovs-vsctl del-br NAME`: a real bridge goes with all its ports and fake bridges; a fake
  /// bridge takes its own port and the ports on its VLAN from the parent.
  public func deleteBridge(_ name: String, in txn: inout TransactionBuilder) throws(ValidationError) {
    let state = SwitchState(txn.snapshot)
    guardNameRead(name, &txn)
    guard let bridge = state.bridges[name] else {
      if ifExists { return }
      throw unknownBridge(name)
    }
    if bridge.isFake {
      let doomed = state.ports.values.filter { $0.bridge == name || ($0.fakeBridge && $0.name == name) }
      detach(doomed.map(\.uuid), from: bridge.uuid, in: &txn)
      return
    }
    guard let root = state.root else { return }
    detachBridge(bridge.uuid, root: root, in: &txn)
  }

  // MARK: ports

  /// `ovs-vsctl add-port BR NAME [column=value…] -- set Interface …` (or add-bond for several
  /// interfaces). On a fake bridge the port lands on the parent with the fake bridge's VLAN.
  public func addPort(
    _ name: InterfaceName, bridge: String, vlan: VLANSettings = .untagged, interfaces: [InterfaceSpec],
    portColumns: [String: Datum] = [:], externalIDs: [String: String] = [:], in txn: inout TransactionBuilder
  ) throws(ValidationError) {
    let state = SwitchState(txn.snapshot)
    guardNameRead(bridge, &txn)
    guardNameRead(name.rawValue, &txn)
    for interface in interfaces { _ = txn.rows("Interface", where: "name", equals: .string(interface.name.rawValue)) }
    guard let target = state.bridges[bridge] else { throw unknownBridge(bridge) }
    var settings = vlan
    if let fakeVLAN = target.vlan {
      if let tag = vlan.tag, tag.value != fakeVLAN || vlan.mode != nil || !vlan.trunks.isEmpty {
        throw ValidationError(
          subject: "port '\(name)'",
          problem: "bridge '\(bridge)' is the fake bridge for VLAN \(fakeVLAN); it sets the tag (\(tag) given)",
          fix: "drop the VLAN options, or add the port to '\(target.parent ?? "")' instead")
      }
      settings = VLANSettings(tag: try VLANID(fakeVLAN))
    }
    try settings.validate(port: name.rawValue)
    let names = interfaces.map(\.name.rawValue)
    if Set(names).count != names.count {
      throw ValidationError(
        subject: "port '\(name)'", problem: "names an interface twice", fix: "list each bond member once")
    }
    let portRow = Self.portRow(settings, columns: portColumns, externalIDs: externalIDs)
    if let existing = state.ports[name.rawValue] {
      guard mayExist else { throw exists("port", name.rawValue) }
      guard existing.bridge == bridge else {
        throw ValidationError(
          subject: "port '\(name)'", problem: "is already on bridge '\(existing.bridge)'",
          fix: "delete it there first (ovsvirt port del \(name)) or add it to '\(existing.bridge)'")
      }
      let wanted = VLANSettings(mode: settings.mode, tag: settings.tag, trunks: settings.trunks)
      let current = existing.vlanSettings
      guard current == wanted else {
        throw ValidationError(
          subject: "port '\(name)'",
          problem: "exists with different VLAN settings (\(current.summary) now, \(wanted.summary) asked)",
          fix: "use `ovsvirt port set \(name)` to change them")
      }
      return
    }
    try requireFreeName(name.rawValue, state: state, role: "port")
    for interface in interfaces where state.interfaces[interface.name.rawValue] != nil {
      throw ValidationError(
        subject: "interface '\(interface.name)'", problem: "already exists on another port",
        fix: "delete that port first, or use another name")
    }
    let port = insertPort(name, interfaces: interfaces, columns: portRow, in: &txn)
    attach([.namedUUID(port)], to: target.uuid, in: &txn)
  }

  /// The Port columns `addPort` writes: `columns`, the VLAN settings over them, and `externalIDs`
  /// with ovsvirt's mark.
  static func portRow(_ settings: VLANSettings, columns: [String: Datum], externalIDs: [String: String])
    -> [String: Datum]
  {
    var row = columns.merging(settings.columns) { _, vlan in vlan }
    row["external_ids"] = .map(externalIDs.merging(SwitchTables.ownerIDs) { mine, _ in mine })
    return row
  }

  /// `ovs-vsctl del-port NAME`.
  public func deletePort(_ name: String, in txn: inout TransactionBuilder) throws(ValidationError) {
    let state = SwitchState(txn.snapshot)
    guardNameRead(name, &txn)
    guard let port = state.ports[name], !port.fakeBridge else {
      if state.ports[name]?.fakeBridge == true {
        throw ValidationError(
          subject: "port '\(name)'", problem: "is a fake bridge", fix: "delete it with `ovsvirt bridge del \(name)`")
      }
      if ifExists { return }
      throw ValidationError(
        subject: "port '\(name)'", problem: "does not exist", fix: "check `ovsvirt port list`, or pass --if-exists")
    }
    detach([port.uuid], from: port.bridgeUUID, in: &txn)
    // ovsvirt's QoS rows go with their port (QoS is a root table: the server would keep it).
    if let uuid = port.qos, let qos = state.qos[uuid], Self.isOwned(qos.externalIDs) {
      deleteQoS(qos, madeBy: [:], in: &txn)
    }
  }

  /// `ovs-vsctl set Port NAME tag=… trunks=… vlan_mode=…`.
  public func setPortVLAN(_ name: String, _ vlan: VLANSettings, in txn: inout TransactionBuilder)
    throws(ValidationError)
  {
    let state = SwitchState(txn.snapshot)
    guardNameRead(name, &txn)
    guard let port = state.ports[name] else {
      throw ValidationError(subject: "port '\(name)'", problem: "does not exist", fix: "add it with `ovsvirt port add`")
    }
    try vlan.validate(port: name)
    let current =
      port.tag == vlan.tag?.value && port.trunks == vlan.trunks.map(\.value) && port.vlanMode == vlan.mode?.rawValue
    if current { return }
    txn.add(.update(table: "Port", where: [.uuid(port.uuid)], row: vlan.columns))
  }

  // MARK: helpers

  /// Inserts Interface rows for `interfaces` (marked as ovsvirt's, plus `interfaceExternalIDs`) and a
  /// Port named `name` holding them with `columns` (external_ids as given, else the ovsvirt mark);
  /// returns the Port's uuid-name, for the caller to put on a bridge. Nothing is validated here.
  public func insertPort(
    _ name: InterfaceName, interfaces: [InterfaceSpec], columns: [String: Datum],
    interfaceExternalIDs: [String: String] = [:], interfaceColumns: [String: Datum] = [:],
    in txn: inout TransactionBuilder
  ) -> String {
    var row = columns
    row["name"] = .scalar(.string(name.rawValue))
    row["interfaces"] = .set(
      insertInterfaces(
        interfaces, of: name, first: 0, externalIDs: interfaceExternalIDs, columns: interfaceColumns, in: &txn))
    if row["external_ids"] == nil { row["external_ids"] = .map(SwitchTables.ownerIDs) }
    let port = "port_\(name.rawValue.identifierSafe)"
    txn.add(.insert(table: "Port", row: row, uuidName: port))
    return port
  }

  /// Inserts Interface rows (marked as ovsvirt's, plus `externalIDs`) for port `port`, numbering
  /// their uuid-names from `first`; returns the references to put in Port.interfaces.
  public func insertInterfaces(
    _ interfaces: [InterfaceSpec], of port: InterfaceName, first: Int, externalIDs: [String: String] = [:],
    columns: [String: Datum] = [:], in txn: inout TransactionBuilder
  ) -> [Atom] {
    let ids = externalIDs.merging(SwitchTables.ownerIDs) { mine, _ in mine }
    return interfaces.enumerated().map { offset, interface in
      let uuidName = "iface_\(port.rawValue.identifierSafe)_\(first + offset)"
      var row = interface.columns.merging(columns) { _, extra in extra }
      row["external_ids"] = .map(ids)
      txn.add(.insert(table: "Interface", row: row, uuidName: uuidName))
      return .namedUUID(uuidName)
    }
  }

  /// The internal Interface + Port pair named like a bridge, as ovs-vsctl's add-br makes for real and
  /// fake bridges alike; returns the Port's uuid-name.
  public func addInternalPort(_ name: InterfaceName, portColumns: [String: Datum], in txn: inout TransactionBuilder)
    -> String
  {
    let interface = "iface_\(name.rawValue.identifierSafe)"
    let port = "port_\(name.rawValue.identifierSafe)"
    txn.add(
      .insert(
        table: "Interface",
        row: [
          "name": .scalar(.string(name.rawValue)), "type": "internal", "external_ids": .map(SwitchTables.ownerIDs),
        ],
        uuidName: interface))
    var row = portColumns
    row["name"] = .scalar(.string(name.rawValue))
    row["interfaces"] = .scalar(.namedUUID(interface))
    row["external_ids"] = .map(SwitchTables.ownerIDs)
    txn.add(.insert(table: "Port", row: row, uuidName: port))
    return port
  }

  /// Guards the name across all three tables, so a concurrent creation of the same name conflicts.
  public func guardNameRead(_ name: String, _ txn: inout TransactionBuilder) {
    for table in ["Bridge", "Port", "Interface"] { _ = txn.rows(table, where: "name", equals: .string(name)) }
  }

  /// Refuses a name some port or interface already has.
  public func requireFreeName(_ name: String, state: SwitchState, role: String) throws(ValidationError) {
    if let port = state.ports[name] {
      throw ValidationError(
        subject: "\(role) '\(name)'", problem: "the name is taken by a port on bridge '\(port.bridge)'",
        fix: "choose another name or delete that port")
    }
    if state.interfaces[name] != nil {
      throw ValidationError(
        subject: "\(role) '\(name)'", problem: "the name is taken by an interface", fix: "choose another name")
    }
  }

  func addToRoot(_ bridge: String, state: SwitchState, _ txn: inout TransactionBuilder) throws(ValidationError) {
    guard let root = state.root else {
      throw ValidationError(
        subject: "database", problem: "has no Open_vSwitch row",
        fix: "initialise it (ovsvirt sandbox does, as does ovs-ctl)")
    }
    attachBridges([.namedUUID(bridge)], root: root, in: &txn)
  }

  func exists(_ role: String, _ name: String) -> ValidationError {
    ValidationError(
      subject: "\(role) '\(name)'", problem: "already exists", fix: "pass --may-exist to accept it as it is")
  }

  func unknownBridge(_ name: String) -> ValidationError {
    ValidationError(
      subject: "bridge '\(name)'", problem: "does not exist", fix: "create it with `ovsvirt bridge add \(name)`")
  }
}

extension VLANSettings {
  /// "tag=120", "trunks=100-199,300", "vlan_mode=native-untagged tag=10 trunks=20,30", "untagged".
  public var summary: String {
    var parts: [String] = []
    if let mode { parts.append("vlan_mode=\(mode.rawValue)") }
    if let tag { parts.append("tag=\(tag)") }
    if !trunks.isEmpty { parts.append("trunks=\(VLANID.ranges(trunks))") }
    return parts.isEmpty ? "untagged" : parts.joined(separator: " ")
  }
}

extension VLANID {
  /// Sorted ids written as ovs-vsctl users write them: consecutive runs as LOW-HIGH.
  public static func ranges(_ ids: [VLANID]) -> String {
    var parts: [String] = []
    var start: Int?
    var previous = -2
    for value in ids.map(\.value).sorted() + [Int.max] {
      if value == previous + 1 {
        previous = value
        continue
      }
      if let first = start { parts.append(first == previous ? "\(first)" : "\(first)-\(previous)") }
      start = value
      previous = value
    }
    return parts.joined(separator: ",")
  }
}

extension String {
  /// OVSDB uuid-names must be identifiers: letters, digits and underscores.
  public var identifierSafe: String {
    String(
      unicodeScalars.map {
        ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) ? Character($0) : "_"
      })
  }
}
