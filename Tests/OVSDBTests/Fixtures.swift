import OVSDB
import TestSupport

/// Operations that add bridge `bridge` (netdev) with `count` internal access ports tagged `tag`,
/// the shape of seed 004's `add-port … tag=… -- set interface … type=internal`.
func bridgeWithPorts(_ bridge: String, count: Int, tag: Int64 = 120, prefix: String = "p") -> [DBOperation] {
  var ops: [DBOperation] = []
  var ports: [Atom] = []
  for i in 0..<count {
    let name = "\(prefix)\(i)"
    ops.append(
      .insert(
        table: "Interface", row: ["name": .scalar(.string(name)), "type": "internal"], uuidName: "\(prefix)i\(i)"))
    ops.append(
      .insert(
        table: "Port",
        row: [
          "name": .scalar(.string(name)), "tag": .scalar(.integer(tag)),
          "interfaces": .scalar(.namedUUID("\(prefix)i\(i)")),
        ],
        uuidName: "\(prefix)p\(i)"))
    ports.append(.namedUUID("\(prefix)p\(i)"))
  }
  ops.append(
    .insert(table: "Bridge", row: ["name": .scalar(.string(bridge)), "ports": .set(ports)], uuidName: "\(prefix)br"))
  ops.append(
    .mutate(
      table: "Open_vSwitch", where: [], mutations: [Mutation("bridges", .insert, .set([.namedUUID("\(prefix)br")]))]))
  return ops
}

/// Bridge names the server holds, read independently with ovs-vsctl.
func oracleBridges(_ db: PrivateOVSDB) throws -> [String] {
  try db.oracle("ovs-vsctl", "list-br").split(separator: "\n").map(String.init).sorted()
}
