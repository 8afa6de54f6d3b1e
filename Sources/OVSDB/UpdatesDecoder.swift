// Decodes monitor replies and update notifications straight from bytes into the replica's value
// model, typed by the schema, with no intermediate JSON tree (scripts/bench measures this path
// against Python's C-accelerated json module).

/// A cursor over one raw JSON value that reads OVSDB values by their column types.
struct UpdatesDecoder {
  var cursor: JSONParser.Cursor
  /// Needed for table updates; transact results decode without one.
  let schema: DatabaseSchema?

  init(_ buffer: UnsafeRawBufferPointer, schema: DatabaseSchema?) {
    cursor = JSONParser.Cursor(buffer: buffer, maxDepth: JSONParser.defaultMaxDepth)
    self.schema = schema
  }

  func violation(_ what: String) -> OVSDBError {
    .protocolViolation("\(what) at byte \(cursor.position)")
  }

  static func wrap(_ error: JSONParseError) -> OVSDBError { .protocolViolation("server sent \(error)") }

  mutating func peek() throws(OVSDBError) -> UInt8 {
    cursor.skipWhitespace()
    do { return try cursor.peek() } catch { throw Self.wrap(error) }
  }

  mutating func literal(_ text: StaticString) throws(OVSDBError) {
    do { try cursor.expectLiteral(text) } catch { throw Self.wrap(error) }
  }

  mutating func number() throws(OVSDBError) -> JSON {
    do { return try cursor.parseNumber() } catch { throw Self.wrap(error) }
  }

  mutating func value() throws(OVSDBError) -> JSON {
    cursor.skipWhitespace()
    do { return try cursor.parseValue(depth: 1) } catch { throw Self.wrap(error) }
  }

  mutating func expect(_ byte: UInt8) throws(OVSDBError) {
    guard try peek() == byte else { throw violation("expected '\(Character(Unicode.Scalar(byte)))'") }
    cursor.position += 1
  }

  mutating func string() throws(OVSDBError) -> String {
    guard try peek() == UInt8(ascii: "\"") else { throw violation("expected a string") }
    do { return try cursor.parseString() } catch { throw Self.wrap(error) }
  }

  mutating func skip() throws(OVSDBError) {
    cursor.skipWhitespace()
    do { try cursor.skipValue(depth: 1) } catch { throw Self.wrap(error) }
  }

  /// Iterates the members of an object, calling `body` with each key (the cursor on its value).
  mutating func members(_ body: (inout UpdatesDecoder, String) throws(OVSDBError) -> Void) throws(OVSDBError) {
    try keyedMembers(key: { (d: inout UpdatesDecoder) throws(OVSDBError) in try d.string() }, body)
  }

  /// Like `members`, for objects keyed by row UUID (decoded from the bytes, no String made).
  mutating func uuidKeyedMembers(_ body: (inout UpdatesDecoder, RowUUID) throws(OVSDBError) -> Void) throws(OVSDBError)
  {
    try keyedMembers(key: { (d: inout UpdatesDecoder) throws(OVSDBError) in try d.uuidString() }, body)
  }

  @inline(__always)
  mutating func keyedMembers<Key>(
    key readKey: (inout UpdatesDecoder) throws(OVSDBError) -> Key,
    _ body: (inout UpdatesDecoder, Key) throws(OVSDBError) -> Void
  ) throws(OVSDBError) {
    try expect(UInt8(ascii: "{"))
    if try peek() == UInt8(ascii: "}") {
      cursor.position += 1
      return
    }
    while true {
      let key = try readKey(&self)
      try expect(UInt8(ascii: ":"))
      cursor.skipWhitespace()
      try body(&self, key)
      switch try peek() {
      case UInt8(ascii: ","): cursor.position += 1
      case UInt8(ascii: "}"):
        cursor.position += 1
        return
      default: throw violation("expected ',' or '}'")
      }
    }
  }

  /// Iterates the elements of an array.
  mutating func elements(_ body: (inout UpdatesDecoder) throws(OVSDBError) -> Void) throws(OVSDBError) {
    try expect(UInt8(ascii: "["))
    if try peek() == UInt8(ascii: "]") {
      cursor.position += 1
      return
    }
    while true {
      cursor.skipWhitespace()
      try body(&self)
      switch try peek() {
      case UInt8(ascii: ","): cursor.position += 1
      case UInt8(ascii: "]"):
        cursor.position += 1
        return
      default: throw violation("expected ',' or ']'")
      }
    }
  }

  /// A UUID in a JSON string, read from the bytes without making a String.
  mutating func uuidString() throws(OVSDBError) -> RowUUID {
    guard try peek() == UInt8(ascii: "\"") else { throw violation("expected a uuid string") }
    let start = cursor.position + 1
    let end = start + 36
    guard end < cursor.buffer.count, cursor.buffer[end] == UInt8(ascii: "\"") else { throw violation("invalid uuid") }
    guard let uuid = RowUUID(ascii: cursor.buffer, at: start) else { throw violation("invalid uuid") }
    cursor.position = end + 1
    return uuid
  }

  mutating func atom(_ type: AtomicType) throws(OVSDBError) -> Atom {
    let first = try peek()
    switch type {
    case .string:
      return .string(try string())
    case .integer, .real:
      guard first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else {
        throw violation("expected a number")
      }
      switch try number() {
      case .int(let v): return type == .integer ? .integer(v) : .real(Double(v))
      case .double(let v):
        guard type == .real else { throw violation("expected an integer") }
        return .real(v)
      default: throw violation("expected a number")
      }
    case .boolean:
      switch first {
      case UInt8(ascii: "t"):
        try literal("true")
        return .boolean(true)
      case UInt8(ascii: "f"):
        try literal("false")
        return .boolean(false)
      default: throw violation("expected a boolean")
      }
    case .uuid:
      try expect(UInt8(ascii: "["))
      let tag = try string()
      try expect(UInt8(ascii: ","))
      let result: Atom
      switch tag {
      case "uuid": result = .uuid(try uuidString())
      case "named-uuid": result = .namedUUID(try string())
      default: throw violation("expected [\"uuid\", …]")
      }
      try expect(UInt8(ascii: "]"))
      return result
    }
  }

  /// A value of `type`: `["set", …]`, `["map", …]`, or a single atom.
  mutating func datum(_ type: ValueShape) throws(OVSDBError) -> Datum {
    if try peek() == UInt8(ascii: "["), type.key != .uuid || isTaggedCollection() {
      try expect(UInt8(ascii: "["))
      let tag = try string()
      try expect(UInt8(ascii: ","))
      let result: Datum
      switch (tag, type.value) {
      case ("set", nil):
        var atoms: [Atom] = []
        try elements { (d: inout UpdatesDecoder) throws(OVSDBError) in atoms.append(try d.atom(type.key)) }
        result = .set(atoms)
      case ("map", let valueType?):
        var keys: [Atom] = []
        var values: [Atom] = []
        try elements { (d: inout UpdatesDecoder) throws(OVSDBError) in
          try d.expect(UInt8(ascii: "["))
          keys.append(try d.atom(type.key))
          try d.expect(UInt8(ascii: ","))
          values.append(try d.atom(valueType))
          try d.expect(UInt8(ascii: "]"))
        }
        result = .map(keys: keys, values: values)
      default:
        throw violation("unexpected [\"\(tag)\", …] for this column")
      }
      try expect(UInt8(ascii: "]"))
      return result
    }
    guard type.value == nil else { throw violation("expected a map") }
    return .scalar(try atom(type.key))
  }

  /// For uuid columns both a lone atom and a set start with `[`: look at the tag without moving.
  func isTaggedCollection() -> Bool {
    var probe = cursor
    probe.position += 1
    probe.skipWhitespace()
    guard let tag = try? probe.parseString() else { return false }
    return tag == "set" || tag == "map"
  }

  /// `{column: value, …}` of `table`; columns the schema does not know are skipped.
  mutating func row(_ table: TableSchema) throws(OVSDBError) -> [String: Datum] {
    var row: [String: Datum] = [:]
    row.reserveCapacity(8)
    try members { (d: inout UpdatesDecoder, column: String) throws(OVSDBError) in
      if let type = table.shapes[column] {
        row[column] = try d.datum(type)
      } else {
        try d.skip()
      }
    }
    return row
  }

  /// `<table-updates>` (version 1) or `<table-updates2>`.
  mutating func tableUpdates(version2: Bool) throws(OVSDBError) -> TableUpdates {
    if try peek() == UInt8(ascii: "n") {
      try literal("null")
      return TableUpdates()
    }
    var tables: [String: [RowUpdate]] = [:]
    try members { (d: inout UpdatesDecoder, tableName: String) throws(OVSDBError) in
      guard let table = d.schema?[tableName] else {
        try d.skip()
        return
      }
      var changes: [RowUpdate] = []
      try d.uuidKeyedMembers { (d: inout UpdatesDecoder, uuid: RowUUID) throws(OVSDBError) in
        var change: RowChange?
        var sawOld = false
        var new: [String: Datum]?
        try d.members { (d: inout UpdatesDecoder, kind: String) throws(OVSDBError) in
          switch (version2, kind) {
          case (true, "initial"), (true, "insert"): change = .insert(try d.row(table))
          case (true, "modify"): change = .diff(try d.row(table))
          case (true, "delete"):
            try d.skip()
            change = .delete
          case (false, "old"):
            try d.skip()
            sawOld = true
          case (false, "new"): new = try d.row(table)
          default: try d.skip()
          }
        }
        if !version2 {
          if let new {
            change = sawOld ? .replace(new) : .insert(new)
          } else if sawOld {
            change = .delete
          }
        }
        guard let change else { throw d.violation("row update for \(tableName) \(uuid) says nothing") }
        changes.append(RowUpdate(uuid, change))
      }
      tables[tableName] = changes
    }
    return TableUpdates(tables: tables)
  }

  mutating func end() throws(OVSDBError) {
    cursor.skipWhitespace()
    guard cursor.position == cursor.buffer.count else { throw violation("trailing data") }
  }
}

extension TableUpdates {
  /// Decodes `<table-updates>` / `<table-updates2>` from raw bytes.
  public init(raw: RawJSON, version2: Bool, schema: DatabaseSchema) throws {
    self = try raw.bytes.withUnsafeBytes { buffer in
      var decoder = UpdatesDecoder(buffer, schema: schema)
      let updates = try decoder.tableUpdates(version2: version2)
      try decoder.end()
      return updates
    }
  }

  /// Decodes an array whose last element is table updates, e.g. the params of `update`/`update2`
  /// (`[id, updates]`), of `update3` (`[id, last-txn-id, updates]`), or monitor_cond_since's reply
  /// (`[found, last-txn-id, updates]`). Returns the leading elements as JSON, and the updates.
  public static func decodeTrailing(_ raw: RawJSON, leading: Int, version2: Bool, schema: DatabaseSchema)
    throws -> (leading: [JSON], updates: TableUpdates)
  {
    try raw.bytes.withUnsafeBytes { buffer in
      var decoder = UpdatesDecoder(buffer, schema: schema)
      try decoder.expect(UInt8(ascii: "["))
      var head: [JSON] = []
      for _ in 0..<leading {
        head.append(try decoder.value())
        try decoder.expect(UInt8(ascii: ","))
      }
      let updates = try decoder.tableUpdates(version2: version2)
      try decoder.expect(UInt8(ascii: "]"))
      try decoder.end()
      return (head, updates)
    }
  }
}
