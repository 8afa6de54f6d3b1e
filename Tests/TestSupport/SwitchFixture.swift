import Foundation
import OVSDB
import Testing
import VSwitch

/// A switch as a replica holds it, built row by row with no server: the planners are pure
/// functions of such a snapshot, so their operations can be checked exactly.
public struct SwitchFixture {
  public let replica: Replica
  private var counter: UInt64 = 0
  public private(set) var uuids: [String: RowUUID] = [:]

  public init() throws {
    let path = "/usr/share/openvswitch/vswitch.ovsschema"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      try Integration.unavailable("Open vSwitch's schema (\(path), package openvswitch-common) is not installed")
    }
    replica = Replica(schema: try DatabaseSchema(json: try JSONParser.parse(text)), columns: SwitchTables.monitored)
  }

  /// A new row; its UUID is remembered under `name` ("Port vnet0").
  public mutating func insert(_ table: String, _ name: String, _ row: [String: Datum]) -> RowUUID {
    counter += 1
    let uuid = RowUUID(high: 0x1000 + counter, low: counter)
    uuids["\(table) \(name)"] = uuid
    replica.apply(TableUpdates(tables: [table: [RowUpdate(uuid, .insert(row))]]))
    return uuid
  }

  public mutating func update(_ table: String, _ name: String, _ row: [String: Datum]) {
    guard let uuid = uuids["\(table) \(name)"] else { return }
    replica.apply(TableUpdates(tables: [table: [RowUpdate(uuid, .diff(row))]]))
  }

  /// Open_vSwitch with one bridge `name` and its internal port.
  public mutating func bridge(_ name: String) -> RowUUID {
    let interface = insert("Interface", name, ["name": .scalar(.string(name)), "type": "internal"])
    let port = insert("Port", name, ["name": .scalar(.string(name)), "interfaces": .scalar(.uuid(interface))])
    let bridge = insert("Bridge", name, ["name": .scalar(.string(name)), "ports": .scalar(.uuid(port))])
    _ = insert("Open_vSwitch", "", ["bridges": .scalar(.uuid(bridge))])
    return bridge
  }

  /// A VM port as libvirt's plug leaves it (columns as given), added to `bridge`.
  public mutating func port(
    _ name: String, on bridge: String, port columns: [String: Datum] = [:], interface extra: [String: Datum] = [:]
  ) {
    var interfaceRow = extra
    interfaceRow["name"] = .scalar(.string(name))
    let interface = insert("Interface", name, interfaceRow)
    var portRow = columns
    portRow["name"] = .scalar(.string(name))
    portRow["interfaces"] = .scalar(.uuid(interface))
    let port = insert("Port", name, portRow)
    guard let bridgeUUID = uuids["Bridge \(bridge)"], let bridgeRow = replica.snapshot.row("Bridge", bridgeUUID)
    else { return }
    let ports = (bridgeRow["ports"]?.keys ?? []) + [.uuid(port)]
    replica.apply(
      TableUpdates(tables: [
        "Bridge": [
          RowUpdate(
            bridgeUUID, .replace(["ports": .set(ports)].merging(bridgeRow.filter { $0.key != "ports" }) { a, _ in a }))
        ]
      ]))
  }

  public var state: SwitchState { SwitchState(replica.snapshot) }

  /// The operations `body` plans, each as parsed JSON (column order does not matter), and the guards.
  public func plan(_ body: (SwitchState, inout TransactionBuilder) -> Void) throws -> (operations: [JSON], guards: Int)
  {
    var txn = TransactionBuilder(snapshot: replica.snapshot)
    body(state, &txn)
    let operations = try txn.operations.map { operation -> JSON in
      var writer = JSONWriter()
      writer.write(operation)
      return try JSONParser.parse(writer.string)
    }
    return (operations, txn.guards.count)
  }

  /// The Open_vSwitch root row (made, with no bridges, the first time).
  public mutating func root() -> RowUUID {
    if let root = uuids["Open_vSwitch "] { return root }
    return insert("Open_vSwitch", "", ["bridges": .empty])
  }

  /// A real bridge on the root row with its internal port, as `ovsvirt bridge add` leaves it
  /// (marked as ovsvirt's unless `owned` is false), with the extra Bridge `columns`.
  public mutating func addBridge(_ name: String, owned: Bool = true, columns: [String: Datum] = [:]) {
    let ids: Datum = owned ? .map(SwitchTables.ownerIDs) : .empty
    let interface = insert(
      "Interface", name, ["name": .scalar(.string(name)), "type": "internal", "external_ids": ids])
    let port = insert(
      "Port", name, ["name": .scalar(.string(name)), "interfaces": .scalar(.uuid(interface)), "external_ids": ids])
    var row = columns
    row["name"] = .scalar(.string(name))
    row["ports"] = .scalar(.uuid(port))
    row["external_ids"] = ids
    let bridge = insert("Bridge", name, row)
    // An update2 "modify": the set's members toggle, so this adds the bridge.
    let root = root()
    replica.apply(TableUpdates(tables: ["Open_vSwitch": [RowUpdate(root, .diff(["bridges": .scalar(.uuid(bridge))]))]]))
  }
}
