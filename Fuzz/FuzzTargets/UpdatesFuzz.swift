import OVSDB

extension FuzzTarget {
  /// The updates decoder, on a whole JSON-RPC message as the replica client receives it: an
  /// `update`/`update2`/`update3` notification, or a monitor reply (`monitor`, `monitor_cond`,
  /// `monitor_cond_since` shapes all tried). What decodes is applied to a replica with indexes.
  public static let updates = FuzzTarget(name: "updates") { input throws(FuzzFailure) in
    guard let message = try? InboundMessage(bytes: input, maxDepth: 64) else { return }
    let schema = UpdatesFuzz.schema
    var decoded: [TableUpdates] = []
    switch message {
    case .notification(let method, let params), .request(_, let method, let params):
      switch method {
      case "update", "update2":
        if let trailing = try? TableUpdates.decodeTrailing(
          params, leading: 1, version2: method == "update2", schema: schema)
        {
          decoded.append(trailing.updates)
        }
      case "update3":
        if let trailing = try? TableUpdates.decodeTrailing(params, leading: 2, version2: true, schema: schema) {
          decoded.append(trailing.updates)
        }
      default:
        return
      }
    case .response(_, let result, _):
      for version2 in [false, true] {
        if let updates = try? TableUpdates(raw: result, version2: version2, schema: schema) { decoded.append(updates) }
      }
      if let trailing = try? TableUpdates.decodeTrailing(result, leading: 2, version2: true, schema: schema) {
        decoded.append(trailing.updates)
      }
    }
    guard !decoded.isEmpty else { return }
    let replica = Replica(
      schema: schema, columns: ["Bridge": nil, "Port": nil, "Interface": ["name", "type", "ofport"]])
    for updates in decoded {
      replica.apply(updates)
      replica.apply(updates)
    }
    replica.apply(decoded[0], resync: true, lastTransactionID: "x")
    _ = replica.snapshot
  }
}

enum UpdatesFuzz {
  /// A small schema in Open vSwitch's shape, with a column of every kind the decoder handles:
  /// scalars of each atomic type with ranges and enums, optional values, sets, maps, strong and
  /// weak references, and name indexes.
  static let schema: DatabaseSchema = {
    let text = """
      {"name": "Fuzz", "version": "1.0.0", "tables": {
        "Bridge": {"isRoot": true, "indexes": [["name"]], "columns": {
          "name": {"type": "string", "mutable": false},
          "ports": {"type": {"key": {"type": "uuid", "refTable": "Port"}, "min": 0, "max": "unlimited"}},
          "datapath_type": {"type": "string"},
          "stp_enable": {"type": "boolean"},
          "other_config": {"type": {"key": "string", "value": "string", "min": 0, "max": "unlimited"}}}},
        "Port": {"indexes": [["name"]], "columns": {
          "name": {"type": "string", "mutable": false},
          "interfaces": {"type": {"key": {"type": "uuid", "refTable": "Interface"}, "min": 1, "max": "unlimited"}},
          "tag": {"type": {"key": {"type": "integer", "minInteger": 0, "maxInteger": 4095}, "min": 0, "max": 1}},
          "trunks": {"type": {"key": {"type": "integer", "minInteger": 0, "maxInteger": 4095}, "min": 0, "max": 4096}},
          "vlan_mode": {"type": {"key": {"type": "string", "enum": ["set", ["access", "trunk", "native-untagged"]]},
                                 "min": 0, "max": 1}},
          "qos": {"type": {"key": {"type": "uuid", "refTable": "Bridge", "refType": "weak"}, "min": 0, "max": 1}},
          "bond_updelay": {"type": "integer"},
          "external_ids": {"type": {"key": "string", "value": "string", "min": 0, "max": "unlimited"}}}},
        "Interface": {"indexes": [["name"]], "columns": {
          "name": {"type": "string", "mutable": false},
          "type": {"type": "string"},
          "ofport": {"type": {"key": "integer", "min": 0, "max": 1}},
          "link_speed": {"type": {"key": "real", "min": 0, "max": 1}},
          "admin_state": {"type": {"key": {"type": "string", "enum": ["set", ["up", "down"]]}, "min": 0, "max": 1}},
          "statistics": {"type": {"key": "string", "value": "integer", "min": 0, "max": "unlimited"}},
          "options": {"type": {"key": "string", "value": "string", "min": 0, "max": "unlimited"}}}}}}
      """
    do {
      return try DatabaseSchema(json: try JSONParser.parse(text))
    } catch {
      fatalError("the fuzz schema does not load: \(error)")
    }
  }()
}
