import Foundation
import Testing
import TestSupport

@testable import OVSDB

@Suite struct ValueTests {
  @Test func uuidsRoundTrip() throws {
    let text = "09cad6a7-489b-42f4-883a-d710ad96c50e"
    let uuid = try #require(RowUUID(text))
    #expect(uuid.description == text)
    #expect(RowUUID(text.uppercased()) == uuid)
    for bad in [
      "", "09cad6a7489b42f4883ad710ad96c50e", "09cad6a7-489b-42f4-883a-d710ad96c50g",
      "09cad6a7-489b-42f4-883a_d710ad96c50e",
    ] {
      #expect(RowUUID(bad) == nil)
    }
    let random = RowUUID.random()
    #expect(RowUUID(random.description) == random)
    #expect(random.description.dropFirst(14).first == "4")
  }

  @Test func datumWireForms() throws {
    #expect(Datum.scalar(5).json == 5)
    #expect(Datum.set([]).json == ["set", []])
    #expect(Datum.set([130, 120, 130]).json == ["set", [120, 130]])
    #expect(Datum.map(["b": "2", "a": "1"]).json == ["map", [["a", "1"], ["b", "2"]]])
    let uuid = RowUUID.random()
    #expect(Datum.scalar(.uuid(uuid)).json == ["uuid", .string(uuid.description)])
    #expect(Datum.scalar(.namedUUID("row1")).json == ["named-uuid", "row1"])
    for datum in [Datum.scalar("x"), .set([1, 2, 3]), .map(["k": "v"]), .set([.uuid(uuid)]), .empty] {
      #expect(try Datum(json: datum.json) == datum)
      var writer = JSONWriter()
      writer.write(datum)
      #expect(try JSONParser.parse(writer.bytes) == datum.json)
    }
  }

  @Test func equalValuesCompareEqualWhateverTheOrder() {
    #expect(Datum.set([3, 1, 2]) == Datum.set([2, 3, 1]))
    #expect(Datum.map([("b", "2"), ("a", "1")]) == Datum.map(["a": "1", "b": "2"]))
    #expect(Datum.map(["a": "1"])["a"] == "1")
    #expect(Datum.set([120, 130]).contains(130))
  }

  @Test func columnTypesDecodeAndValidate() throws {
    let tagJSON: JSON = ["key": ["type": "integer", "minInteger": 0, "maxInteger": 4095], "min": 0, "max": 1]
    let tag = try ColumnType(json: tagJSON, context: "Port.tag")
    #expect(tag.problem(with: .scalar(140)) == nil)
    #expect(tag.problem(with: .empty) == nil)
    #expect(tag.problem(with: .scalar(5000))?.contains("greater than the maximum 4095") == true)
    #expect(tag.problem(with: .set([1, 2]))?.contains("0 to 1") == true)
    #expect(tag.problem(with: .scalar("x"))?.contains("not of type integer") == true)

    let modeJSON: JSON = ["key": ["type": "string", "enum": ["set", ["access", "trunk"]]], "min": 0, "max": 1]
    let mode = try ColumnType(json: modeJSON, context: "Port.vlan_mode")
    #expect(mode.problem(with: .scalar("trunk")) == nil)
    #expect(mode.problem(with: .scalar("bogus"))?.contains("not one of") == true)

    let real = try ColumnType(json: "real", context: "x")
    #expect(try real.decode(3) == .scalar(.real(3)))
    let ids = try ColumnType(json: ["key": "string", "value": "string", "min": 0, "max": "unlimited"], context: "x")
    #expect(ids.isMap && ids.max == Int.max)
    #expect(try ids.decode(["map", [["a", "b"]]]) == .map(["a": "b"]))
    #expect(throws: OVSDBError.self) { try ids.decode(["set", []]) }
    #expect(throws: OVSDBError.self) { try ColumnType(json: ["key": "decimal"], context: "x") }
  }

  @Test func parsesTheInstalledVSwitchSchema() throws {
    let path = "/usr/share/openvswitch/vswitch.ovsschema"
    guard let data = FileManager.default.contents(atPath: path) else {
      try Integration.unavailable("\(path) missing (openvswitch-common)")
    }
    let schema = try DatabaseSchema(json: try JSONParser.parse(Array(data)))
    #expect(schema.name == "Open_vSwitch")
    let port = try #require(schema["Port"])
    #expect(port["tag"]?.type.key.maxInteger == 4095)
    #expect(port["trunks"]?.type.max == 4096)
    #expect(port["interfaces"]?.type.key.refTable == "Interface")
    #expect(port["interfaces"]?.type.min == 1)
    #expect(port["vlan_mode"]?.type.key.enumeration?.contains("native-untagged") == true)
    #expect(schema["Open_vSwitch"]?.isRoot == true)
    #expect(schema["Bridge"]?.indexes == [["name"]])
    #expect(schema["Bridge"]?["mirrors"]?.type.key.refType == .strong)
    #expect(schema["Flow_Sample_Collector_Set"]?["bridge"]?.type.key.refType == .strong)
    #expect(schema["Bridge"]?["flow_tables"]?.type.value?.refTable == "Flow_Table")
  }

  @Test func newerSchemasWithUnknownThingsAreTolerated() throws {
    let schema = try DatabaseSchema(json: [
      "name": "Open_vSwitch", "version": "99.0.0", "future_field": true,
      "tables": ["Bridge": ["columns": ["name": ["type": "string"], "shiny": ["type": "string"]], "isRoot": true]],
    ])
    let updates = try TableUpdates(
      raw: [
        "Bridge": ["09cad6a7-489b-42f4-883a-d710ad96c50e": ["insert": ["name": "br0", "not_in_schema": 1]]],
        "NoSuchTable": ["09cad6a7-489b-42f4-883a-d710ad96c50e": ["insert": [:]]],
      ], version2: true, schema: schema)
    #expect(updates.tables.keys.sorted() == ["Bridge"])
    #expect(updates.tables["Bridge"]?.first?.change == .insert(["name": "br0"]))
  }

  static let portSchema: DatabaseSchema? = {
    // A slice of the vswitch schema's shapes: optional integer, integer set, uuid set, string map.
    let json: JSON = [
      "name": "Open_vSwitch", "version": "1",
      "tables": [
        "Port": [
          "columns": [
            "name": ["type": "string"],
            "tag": ["type": ["key": ["type": "integer", "minInteger": 0, "maxInteger": 4095], "min": 0, "max": 1]],
            "trunks": ["type": ["key": "integer", "min": 0, "max": 4096]],
            "interfaces": ["type": ["key": ["type": "uuid", "refTable": "Interface"], "min": 1, "max": "unlimited"]],
            "external_ids": ["type": ["key": "string", "value": "string", "min": 0, "max": "unlimited"]],
            "qos": ["type": ["key": ["type": "uuid", "refTable": "QoS"], "min": 0, "max": 1]],
            "bond_updelay": ["type": "integer"], "lacp_fallback": ["type": "boolean"], "weight": ["type": "real"],
          ]
        ]
      ],
    ]
    return try? DatabaseSchema(json: json)
  }()

  func decode(_ text: String, version2: Bool = true) throws -> TableUpdates {
    try TableUpdates(
      raw: RawJSON(validated: Array(text.utf8)), version2: version2, schema: try #require(Self.portSchema))
  }

  @Test func decodesEveryValueShapeStraightFromBytes() throws {
    let u1 = "09cad6a7-489b-42f4-883a-d710ad96c50e"
    let u2 = "1ABCDEF0-0000-4000-8000-00000000000F"
    let updates = try decode(
      """
      {"Port":{"\(u1)":{"initial":{"name":"vm1","tag":140,"trunks":["set",[130,120]],
        "interfaces":["uuid","\(u2)"],"external_ids":["map",[["b","2"],["a","1"]]],"qos":["set",[]],
        "bond_updelay":-5,"lacp_fallback":true,"weight":2,"unknown_column":{"x":[1,2]}}}}}
      """)
    let change = try #require(updates.tables["Port"]?.first)
    #expect(change.uuid == RowUUID(u1))
    guard case .insert(let row) = change.change else {
      Issue.record("not an insert: \(change)")
      return
    }
    #expect(row["name"] == "vm1")
    #expect(row["tag"] == 140)
    #expect(row["trunks"] == .set([120, 130]))
    #expect(row["interfaces"] == .scalar(.uuid(try #require(RowUUID(u2)))))
    #expect(row["external_ids"] == .map(["a": "1", "b": "2"]))
    #expect(row["qos"] == .empty)
    #expect(row["bond_updelay"] == -5)
    #expect(row["lacp_fallback"] == true)
    #expect(row["weight"] == .scalar(.real(2)))
    #expect(row["unknown_column"] == nil)
  }

  @Test func decodesVersion1AndDiffsAndDeletes() throws {
    let u = "09cad6a7-489b-42f4-883a-d710ad96c50e"
    let v1 = try decode(#"{"Port":{"\#(u)":{"old":{"tag":1},"new":{"name":"p","tag":2}}}}"#, version2: false)
    #expect(v1.tables["Port"]?.first?.change == .replace(["name": "p", "tag": 2]))
    let gone = try decode(#"{"Port":{"\#(u)":{"old":{"tag":1}}}}"#, version2: false)
    #expect(gone.tables["Port"]?.first?.change == .delete)
    let diff = try decode(#"{"Port":{"\#(u)":{"modify":{"trunks":["set",[5]]}}}}"#)
    #expect(diff.tables["Port"]?.first?.change == .diff(["trunks": .set([5])]))
    let deleted = try decode(#"{"Port":{"\#(u)":{"delete":null}}}"#)
    #expect(deleted.tables["Port"]?.first?.change == .delete)
  }

  @Test(arguments: [
    #"{"Port":{"not-a-uuid-at-all-000000000000000000":{"insert":{}}}}"#,
    #"{"Port":{"09cad6a7-489b-42f4-883a-d710ad96c5eg":{"insert":{}}}}"#,
    #"{"Port":{"09cad6a7-489b-42f4-883a-d710ad96c50e":{"insert":{"tag":"x"}}}}"#,
    #"{"Port":{"09cad6a7-489b-42f4-883a-d710ad96c50e":{"insert":{"tag":1.5}}}}"#,
    #"{"Port":{"09cad6a7-489b-42f4-883a-d710ad96c50e":{"insert":{"external_ids":["set",[]]}}}}"#,
    #"{"Port":{"09cad6a7-489b-42f4-883a-d710ad96c50e":{"insert":{"interfaces":["uuid","zz"]}}}}"#,
    #"{"Port":{"09cad6a7-489b-42f4-883a-d710ad96c50e":{}}}"#,
    #"{"Port":{"09cad6a7-489b-42f4-883a-d710ad96c50e":{"insert":{}}}} trailing"#,
  ])
  func rejectsUpdatesThatDoNotFitTheSchema(text: String) {
    #expect(throws: (any Error).self) { try decode(text) }
  }

  @Test func uuidParsingAcceptsOnlyHex() {
    var chars = Array("01234567-89ab-cdef-ABCD-EF0123456789".utf8)
    #expect(RowUUID(String(decoding: chars, as: UTF8.self))?.description == "01234567-89ab-cdef-abcd-ef0123456789")
    for position in [0, 7, 9, 14, 19, 24, 35] {
      for bad in Array("gG:@/`xz \u{7F}".utf8) + [0x80, 0xFF] {
        var mutated = chars
        mutated[position] = bad
        #expect(RowUUID(String(decoding: mutated, as: UTF8.self)) == nil, "byte \(bad) at \(position)")
      }
    }
    chars[8] = UInt8(ascii: "x")
    #expect(RowUUID(String(decoding: chars, as: UTF8.self)) == nil)
  }

  @Test func update2DiffSemantics() {
    let set = ColumnType(key: BaseType(.integer), min: 0, max: 4096)
    #expect(Replica.applying(.set([130, 140]), to: .set([120, 130]), type: set) == .set([120, 140]))
    let map = ColumnType(key: BaseType(.string), value: BaseType(.string), min: 0, max: .max)
    let old = Datum.map(["a": "1", "b": "2"])
    #expect(Replica.applying(.map(["a": "1", "b": "3", "c": "4"]), to: old, type: map) == .map(["b": "3", "c": "4"]))
    let scalar = ColumnType(key: BaseType(.string))
    #expect(Replica.applying(.scalar("new"), to: .scalar("old"), type: scalar) == .scalar("new"))
    let optional = ColumnType(key: BaseType(.integer), min: 0, max: 1)
    #expect(Replica.applying(.scalar(5), to: .scalar(4), type: optional) == .scalar(5))
    #expect(Replica.applying(.scalar(5), to: .empty, type: optional) == .scalar(5))
  }

  @Test func operationsEncodeAsRFC7047Says() throws {
    func encoded(_ op: DBOperation) throws -> JSON {
      var writer = JSONWriter()
      writer.write(op)
      return try JSONParser.parse(writer.bytes)
    }
    #expect(
      try encoded(.insert(table: "Port", row: ["name": "p1", "tag": .scalar(120)], uuidName: "p"))
        == ["op": "insert", "table": "Port", "row": ["name": "p1", "tag": 120], "uuid-name": "p"])
    #expect(
      try encoded(
        .mutate(
          table: "Bridge", where: [.equals("name", "br0")],
          mutations: [Mutation("ports", .insert, .set([.namedUUID("p")]))]))
        == [
          "op": "mutate", "table": "Bridge", "where": [["name", "==", "br0"]],
          "mutations": [["ports", "insert", ["named-uuid", "p"]]],
        ])
    #expect(
      try encoded(
        .wait(table: "Bridge", where: [], columns: ["name"], until: .notEqual, rows: [["name": "x"]], timeout: 0))
        == [
          "op": "wait", "table": "Bridge", "where": [], "columns": ["name"], "until": "!=", "rows": [["name": "x"]],
          "timeout": 0,
        ])
    #expect(
      try encoded(.select(table: "Port", where: [], columns: ["name"])) == [
        "op": "select", "table": "Port", "where": [], "columns": ["name"],
      ])
    #expect(try encoded(.commit(durable: true)) == ["op": "commit", "durable": true])
    #expect(try encoded(.abort) == ["op": "abort"])
    #expect(try encoded(.comment("ovsvirt: x")) == ["op": "comment", "comment": "ovsvirt: x"])
    #expect(try encoded(.assert(lock: "l")) == ["op": "assert", "lock": "l"])
    #expect(
      try encoded(.delete(table: "Port", where: [Condition("tag", .greaterOrEqual, .scalar(5))])) == [
        "op": "delete", "table": "Port", "where": [["tag", ">=", 5]],
      ])
    #expect(
      try encoded(.update(table: "Port", where: [], row: ["trunks": .set([120, 130])])) == [
        "op": "update", "table": "Port", "where": [], "row": ["trunks": ["set", [120, 130]]],
      ])
    #expect(DBOperation.insert(table: "t", row: [:]).isIdempotent == false)
    #expect(
      DBOperation.mutate(table: "t", where: [], mutations: [Mutation("n", .add, .scalar(1))]).isIdempotent == false)
    #expect(DBOperation.mutate(table: "t", where: [], mutations: [Mutation("s", .insert, .scalar(1))]).isIdempotent)
  }
}
