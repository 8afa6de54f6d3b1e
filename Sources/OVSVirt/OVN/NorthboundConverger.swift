import OVSDB

/// Makes the OVN Northbound database hold what a host's apply (or reconcile) wants: the spec's
/// logical switches with their localnet ports, and a logical switch port for each VM NIC running
/// on this host. Every row it writes carries `external_ids:ovsvirt-owner`, so it changes only its
/// own rows; a VM port also carries `ovsvirt-host`, so each host keeps only its own VMs' ports up to
/// date (a VM that failed over is taken over by the host it now runs on, which moves its
/// requested-chassis). A pure function of a Northbound snapshot: the operations go into `txn`.
public struct NorthboundConverger: Sendable {
  /// A running VM NIC that belongs on a logical switch.
  public struct VMPort: Sendable, Equatable {
    public var domain: String
    public var mac: String
    /// The NIC's interfaceid: the logical port's name, and the OVS Interface's iface-id.
    public var interfaceID: String
    public var network: String
    public var portgroup: String?

    public init(domain: String, mac: String, interfaceID: String, network: String, portgroup: String?) {
      self.domain = domain
      self.mac = mac
      self.interfaceID = interfaceID
      self.network = network
      self.portgroup = portgroup
    }
  }

  public static let ownerKey = "ovsvirt-owner"
  public static let hostKey = "ovsvirt-host"
  public static let domainKey = "ovsvirt-domain"
  /// The tables and columns the planner reads.
  public static let tables: [String: [String]?] = [
    "Logical_Switch": ["name", "ports", "external_ids"],
    "Logical_Switch_Port": [
      "name", "type", "addresses", "port_security", "options", "tag_request", "external_ids", "up",
    ],
  ]

  public var networks: [LogicalNetwork]
  public var host: String
  /// Remove ovsvirt's logical switches the spec no longer names (with their ports).
  public var prune: Bool

  public init(networks: [LogicalNetwork], host: String, prune: Bool = false) {
    self.networks = networks
    self.host = host
    self.prune = prune
  }

  /// The operations for `vmPorts` (this host's running NICs) into `txn`; returns the changes made
  /// and the NICs that fit no logical switch (on a network the spec does not name).
  public func plan(_ vmPorts: [VMPort], in txn: inout TransactionBuilder) -> (changes: [String], problems: [String]) {
    var changes: [String] = []
    var problems: [String] = []
    var wantedPorts: [String: [(name: String, row: [String: Datum])]] = [:]
    var placed: Set<String> = []
    for port in vmPorts {
      guard let network = networks.logicalSwitch(network: port.network, portgroup: port.portgroup) else {
        problems.append(
          "\(port.domain) \(port.mac): network \(port.network)\(port.portgroup.map { "/\($0)" } ?? "") is not in the spec; no logical port"
        )
        continue
      }
      placed.insert(port.interfaceID)
      wantedPorts[network.switchName, default: []].append((port.interfaceID, vmRow(port)))
    }
    for (index, network) in networks.enumerated() {
      var ports = wantedPorts[network.switchName] ?? []
      if let localnet = network.localnet { ports.insert((network.localnetPortName, localnetRow(localnet)), at: 0) }
      changes += converge(network.switchName, number: index, ports: ports, placed: placed, in: &txn)
    }
    if prune {
      let wanted = Set(networks.map(\.switchName))
      for (uuid, row) in txn.allRows("Logical_Switch") where Self.isOwned(row) {
        guard let name = row["name"]?.scalar?.stringValue, !wanted.contains(name) else { continue }
        txn.add(.delete(table: "Logical_Switch", where: [.uuid(uuid)]))
        changes.append("- logical switch \(name): not in the spec")
      }
    }
    return (changes, problems)
  }

  /// One logical switch holding `ports` (created if missing); other ports of this host's VMs leave it.
  func converge(
    _ switchName: String, number: Int, ports: [(name: String, row: [String: Datum])], placed: Set<String>,
    in txn: inout TransactionBuilder
  ) -> [String] {
    var changes: [String] = []
    let existing = txn.rows("Logical_Switch", where: "name", equals: .string(switchName)).first { Self.isOwned($0.row) }
    var added: [Atom] = []
    var removed: [Atom] = []
    for (index, port) in ports.enumerated() {
      let found = txn.rows("Logical_Switch_Port", where: "name", equals: .string(port.name)).first
      if let found {
        let onThisSwitch = existing?.row["ports"]?.keys.contains(.uuid(found.uuid)) ?? false
        if onThisSwitch {
          let differs = port.row.filter { column, value in found.row[column] != value }
          if !differs.isEmpty {
            txn.add(.update(table: "Logical_Switch_Port", where: [.uuid(found.uuid)], row: differs))
            changes.append(
              "~ logical port \(port.name) on \(switchName): \(differs.keys.sorted().joined(separator: ", "))")
          }
          continue
        }
        // On another switch (the NIC moved networks): out of there, and anew here.
        for (other, _) in txn.allRows("Logical_Switch") {
          guard txn.snapshot.row("Logical_Switch", other)?["ports"]?.keys.contains(.uuid(found.uuid)) == true
          else { continue }
          txn.add(
            .mutate(
              table: "Logical_Switch", where: [.uuid(other)],
              mutations: [Mutation("ports", .delete, .set([.uuid(found.uuid)]))]))
        }
      }
      // Named UUIDs are per transaction: numbered by switch and port.
      let uuidName = "lsp_\(number)_\(index)"
      var row = port.row
      row["name"] = .scalar(.string(port.name))
      txn.add(.insert(table: "Logical_Switch_Port", row: row, uuidName: uuidName))
      added.append(.namedUUID(uuidName))
      changes.append("+ logical port \(port.name) on \(switchName)")
    }
    if let existing {
      // This host's VM ports that no running NIC of it asks for any more (stopped, or moved away).
      for atom in existing.row["ports"]?.keys ?? [] {
        guard case .uuid(let uuid) = atom, let row = txn.row("Logical_Switch_Port", uuid, columns: ["external_ids"])
        else { continue }
        let ids = row["external_ids"]?.stringMap ?? [:]
        let name = txn.snapshot.row("Logical_Switch_Port", uuid)?["name"]?.scalar?.stringValue ?? ""
        guard ids[Self.ownerKey] != nil, ids[Self.hostKey] == host, !placed.contains(name) else { continue }
        removed.append(atom)
        changes.append("- logical port \(name) on \(switchName): its VM no longer runs here")
      }
      var mutations: [Mutation] = []
      if !added.isEmpty { mutations.append(Mutation("ports", .insert, .set(added))) }
      if !removed.isEmpty { mutations.append(Mutation("ports", .delete, .set(removed))) }
      if !mutations.isEmpty {
        txn.add(.mutate(table: "Logical_Switch", where: [.uuid(existing.uuid)], mutations: mutations))
      }
    } else {
      txn.add(
        .insert(
          table: "Logical_Switch",
          row: [
            "name": .scalar(.string(switchName)), "ports": .set(added),
            "external_ids": .map([Self.ownerKey: "ovsvirt"]),
          ]))
      changes.insert("+ logical switch \(switchName)", at: 0)
    }
    return changes
  }

  /// A VM NIC's logical port: its MAC as address and port security, bound only on this host.
  func vmRow(_ port: VMPort) -> [String: Datum] {
    [
      "type": .scalar(.string("")), "addresses": .set([.string(port.mac)]),
      "port_security": .set([.string(port.mac)]), "options": .map(["requested-chassis": host]),
      "external_ids": .map([Self.ownerKey: "ovsvirt", Self.hostKey: host, Self.domainKey: port.domain]),
    ]
  }

  /// The localnet port: the physical network (and VLAN) through each chassis's mapped bridge.
  /// `tag_request`, never `tag`: ovn-northd allocates `tag` from it.
  func localnetRow(_ localnet: LogicalNetwork.Localnet) -> [String: Datum] {
    [
      "type": .scalar(.string("localnet")), "addresses": .set([.string("unknown")]),
      "port_security": .set([]), "options": .map(["network_name": localnet.physicalNetwork]),
      "tag_request": .scalar(.integer(Int64(localnet.vlan))),
      "external_ids": .map([Self.ownerKey: "ovsvirt"]),
    ]
  }

  static func isOwned(_ row: [String: Datum]) -> Bool { row["external_ids"]?.stringMap[ownerKey] != nil }
}
