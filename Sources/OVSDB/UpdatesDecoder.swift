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

  @inline(__always)
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

  @inline(__always)
  mutating func expect(_ byte: UInt8) throws(OVSDBError) {
    guard try peek() == byte else { throw violation("expected '\(Character(Unicode.Scalar(byte)))'") }
    cursor.position += 1
  }

  mutating func string() throws(OVSDBError) -> String {
    guard try peek() == UInt8(ascii: "\"") else { throw violation("expected a string") }
    do { return try cursor.parseString() } catch { throw Self.wrap(error) }
  }

  /// Reads a string and hands `body` its content as bytes: straight from the buffer when it is
  /// plain ASCII without escapes (every key and tag OVSDB sends), from the decoded String otherwise.
  /// Keys are matched this way, with no String made for them.
  @inline(__always)
  mutating func key<R>(_ body: (UnsafeRawBufferPointer) -> R) throws(OVSDBError) -> R {
    guard try peek() == UInt8(ascii: "\"") else { throw violation("expected a string") }
    let start = cursor.position + 1
    let end = JSONStringScan.endOfASCIIRun(in: cursor.buffer, from: start)
    if end < cursor.buffer.count, cursor.buffer[end] == UInt8(ascii: "\"") {
      cursor.position = end + 1
      return body(UnsafeRawBufferPointer(rebasing: cursor.buffer[start..<end]))
    }
    let decoded = Array(try string().utf8)
    return decoded.withUnsafeBytes(body)
  }

  @inline(__always)
  static func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
    guard bytes.count == literal.utf8CodeUnitCount else { return false }
    let text = literal.utf8Start
    var i = 0
    while i < bytes.count {
      if bytes[i] != text[i] { return false }
      i += 1
    }
    return true
  }

  /// The tag of a `["set", …]`, `["map", …]`, `["uuid", …]` or `["named-uuid", …]`.
  enum Tag {
    case set, map, uuid, namedUUID, other

    init(_ bytes: UnsafeRawBufferPointer) {
      if UpdatesDecoder.equals(bytes, "uuid") {
        self = .uuid
      } else if UpdatesDecoder.equals(bytes, "set") {
        self = .set
      } else if UpdatesDecoder.equals(bytes, "map") {
        self = .map
      } else if UpdatesDecoder.equals(bytes, "named-uuid") {
        self = .namedUUID
      } else {
        self = .other
      }
    }
  }

  /// `[tag,` of a tagged value, the cursor on the `[`.
  @inline(__always)
  mutating func openTag() throws(OVSDBError) -> Tag {
    cursor.position += 1
    let tag = try key(Tag.init)
    try expect(UInt8(ascii: ","))
    return tag
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
      if let small = smallInteger() { return type == .integer ? .integer(small) : .real(Double(small)) }
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
      guard first == UInt8(ascii: "[") else { throw violation("expected [\"uuid\", …]") }
      return try uuidAtom(try openTag())
    }
  }

  /// The rest of `["uuid", "…"]` or `["named-uuid", "…"]` after the tag and comma.
  mutating func uuidAtom(_ tag: Tag) throws(OVSDBError) -> Atom {
    let result: Atom
    switch tag {
    case .uuid: result = .uuid(try uuidString())
    case .namedUUID: result = .namedUUID(try string())
    default: throw violation("expected [\"uuid\", …]")
    }
    try expect(UInt8(ascii: "]"))
    return result
  }

  /// An integer of up to 18 digits (every tag, port number and count OVSDB sends), read in place;
  /// nil, cursor unmoved, for anything else, which the full number parser then reads or refuses.
  @inline(__always)
  mutating func smallInteger() -> Int64? {
    let buffer = cursor.buffer
    var i = cursor.position
    let negative = buffer[i] == UInt8(ascii: "-")
    if negative { i += 1 }
    let digitsStart = i
    var magnitude: Int64 = 0
    while i < buffer.count {
      let digit = buffer[i] &- UInt8(ascii: "0")
      guard digit < 10 else { break }
      magnitude = magnitude &* 10 &+ Int64(digit)
      i += 1
    }
    let digits = i - digitsStart
    guard digits >= 1, digits <= 18, digits == 1 || buffer[digitsStart] != UInt8(ascii: "0"),
      i == buffer.count || (buffer[i] != UInt8(ascii: ".") && buffer[i] | 0x20 != UInt8(ascii: "e"))
    else { return nil }
    cursor.position = i
    return negative ? -magnitude : magnitude
  }

  /// A value of `type`: `["set", …]`, `["map", …]`, or a single atom.
  mutating func datum(_ type: ValueShape) throws(OVSDBError) -> Datum {
    guard try peek() == UInt8(ascii: "[") else {
      guard type.value == nil else { throw violation("expected a map") }
      return .scalar(try atom(type.key))
    }
    // Both collections and uuid atoms start with `[`: the tag says which.
    let tag = try openTag()
    let result: Datum
    switch (tag, type.value) {
    case (.set, nil):
      var atoms: [Atom] = []
      try elements { (d: inout UpdatesDecoder) throws(OVSDBError) in atoms.append(try d.atom(type.key)) }
      result = .set(atoms)
    case (.map, let valueType?):
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
    case (.uuid, nil), (.namedUUID, nil):
      guard type.key == .uuid else { throw violation("unexpected [\"\(tag)\", …] for this column") }
      return .scalar(try uuidAtom(tag))
    case (.uuid, _?), (.namedUUID, _?):
      throw violation("expected a map")
    default:
      throw violation("unexpected tagged value [\"…\", …] for this column")
    }
    try expect(UInt8(ascii: "]"))
    return result
  }

  /// `{column: value, …}` of the matcher's table; columns the schema does not know are skipped.
  /// Each column is named by the matcher (no String made or hashed per row).
  mutating func row(_ columns: inout ColumnMatcher) throws(OVSDBError) -> RowValues {
    columns.startRow()
    try expect(UInt8(ascii: "{"))
    if try peek() == UInt8(ascii: "}") {
      cursor.position += 1
      return columns.endRow()
    }
    while true {
      let index = try key { columns.index(of: $0) }
      try expect(UInt8(ascii: ":"))
      cursor.skipWhitespace()
      if let shape = columns.entries[index].shape {
        columns.found(index, try datum(shape))
      } else {
        try skip()
      }
      switch try peek() {
      case UInt8(ascii: ","): cursor.position += 1
      case UInt8(ascii: "}"):
        cursor.position += 1
        return columns.endRow()
      default: throw violation("expected ',' or '}'")
      }
    }
  }

  /// What a member of a `<row-update>` / `<row-update2>` is.
  enum UpdateKind {
    case insert, modify, delete, old, new, other

    init(_ bytes: UnsafeRawBufferPointer, version2: Bool) {
      if version2 {
        if UpdatesDecoder.equals(bytes, "initial") || UpdatesDecoder.equals(bytes, "insert") {
          self = .insert
        } else if UpdatesDecoder.equals(bytes, "modify") {
          self = .modify
        } else if UpdatesDecoder.equals(bytes, "delete") {
          self = .delete
        } else {
          self = .other
        }
      } else if UpdatesDecoder.equals(bytes, "new") {
        self = .new
      } else if UpdatesDecoder.equals(bytes, "old") {
        self = .old
      } else {
        self = .other
      }
    }
  }

  /// One row's `<row-update>` (version 1) or `<row-update2>`.
  mutating func rowChange(_ columns: inout ColumnMatcher, version2: Bool) throws(OVSDBError) -> RowChange? {
    var change: RowChange?
    var sawOld = false
    var new: RowValues?
    try expect(UInt8(ascii: "{"))
    if try peek() == UInt8(ascii: "}") {
      cursor.position += 1
    } else {
      while true {
        let kind = try key { UpdateKind($0, version2: version2) }
        try expect(UInt8(ascii: ":"))
        cursor.skipWhitespace()
        switch kind {
        case .insert: change = .insert(try row(&columns))
        case .modify: change = .diff(try row(&columns))
        case .delete:
          try skip()
          change = .delete
        case .old:
          try skip()
          sawOld = true
        case .new: new = try row(&columns)
        case .other: try skip()
        }
        let next = try peek()
        cursor.position += 1
        if next == UInt8(ascii: "}") { break }
        guard next == UInt8(ascii: ",") else {
          cursor.position -= 1
          throw violation("expected ',' or '}'")
        }
      }
    }
    if !version2 {
      if let new {
        change = sawOld ? .replace(new) : .insert(new)
      } else if sawOld {
        change = .delete
      }
    }
    return change
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
      var columns = ColumnMatcher(table)
      var changes: [RowUpdate] = []
      try d.uuidKeyedMembers { (d: inout UpdatesDecoder, uuid: RowUUID) throws(OVSDBError) in
        guard let change = try d.rowChange(&columns, version2: version2) else {
          throw d.violation("row update for \(tableName) \(uuid) says nothing")
        }
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
