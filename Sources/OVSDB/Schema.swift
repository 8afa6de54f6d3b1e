/// RFC 7047 §3.2 atomic types.
public enum AtomicType: String, Sendable, Hashable {
  case integer, real, boolean, string, uuid
}

/// A column's key or value type with its constraints (RFC 7047 §3.2 `<base-type>`).
public struct BaseType: Sendable, Hashable {
  public enum RefType: String, Sendable, Hashable { case strong, weak }

  public var type: AtomicType
  /// Allowed values, if the schema restricts them.
  public var enumeration: Set<Atom>?
  public var minInteger: Int64?
  public var maxInteger: Int64?
  public var minReal: Double?
  public var maxReal: Double?
  public var minLength: Int?
  public var maxLength: Int?
  public var refTable: String?
  public var refType: RefType

  public init(_ type: AtomicType) {
    self.type = type
    refType = .strong
  }

  init(json: JSON, context: String) throws(OVSDBError) {
    if case .string(let name) = json {
      guard let type = AtomicType(rawValue: name) else {
        throw .protocolViolation("\(context): unknown atomic type \"\(name)\"")
      }
      self.init(type)
      return
    }
    guard case .object(let fields) = json, case .string(let name)? = fields["type"],
      let type = AtomicType(rawValue: name)
    else { throw .protocolViolation("\(context): invalid base type \(json)") }
    self.init(type)
    if let e = fields["enum"] {
      let datum = try Datum(json: e)
      enumeration = Set(
        try datum.keys.map { atom throws(OVSDBError) in
          try Atom(json: atom.json, type: type)
        })
    }
    minInteger = fields["minInteger"]?.intValue
    maxInteger = fields["maxInteger"]?.intValue
    minReal = fields["minReal"].flatMap(Self.real)
    maxReal = fields["maxReal"].flatMap(Self.real)
    minLength = fields["minLength"]?.intValue.map(Int.init)
    maxLength = fields["maxLength"]?.intValue.map(Int.init)
    refTable = fields["refTable"]?.stringValue
    if let r = fields["refType"]?.stringValue { refType = RefType(rawValue: r) ?? .strong }
  }

  static func real(_ json: JSON) -> Double? {
    switch json {
    case .int(let v): return Double(v)
    case .double(let v): return v
    default: return nil
    }
  }

  /// Why `atom` is not acceptable here, or nil.
  public func problem(with atom: Atom) -> String? {
    if case .namedUUID = atom, type == .uuid { return nil }
    guard atom.atomicType == type else { return "\(atom) is not of type \(type.rawValue)" }
    if let enumeration, !enumeration.contains(atom) {
      return "\(atom) is not one of \(enumeration.sorted().map(\.description).joined(separator: ", "))"
    }
    switch atom {
    case .integer(let v):
      if let minInteger, v < minInteger { return "\(v) is less than the minimum \(minInteger)" }
      if let maxInteger, v > maxInteger { return "\(v) is greater than the maximum \(maxInteger)" }
    case .real(let v):
      if let minReal, v < minReal { return "\(v) is less than the minimum \(minReal)" }
      if let maxReal, v > maxReal { return "\(v) is greater than the maximum \(maxReal)" }
    case .string(let s):
      let length = s.unicodeScalars.count
      if let minLength, length < minLength { return "\"\(s)\" is shorter than \(minLength) characters" }
      if let maxLength, length > maxLength { return "\"\(s)\" is longer than \(maxLength) characters" }
    default: break
    }
    return nil
  }
}

/// RFC 7047 §3.2 `<type>`: key (and value, for maps) with set size bounds.
public struct ColumnType: Sendable, Hashable {
  public var key: BaseType
  public var value: BaseType?
  public var min: Int
  /// `Int.max` for "unlimited".
  public var max: Int

  public init(key: BaseType, value: BaseType? = nil, min: Int = 1, max: Int = 1) {
    self.key = key
    self.value = value
    self.min = min
    self.max = max
  }

  public var isMap: Bool { value != nil }
  public var isScalar: Bool { value == nil && min == 1 && max == 1 }
  public var isOptionalScalar: Bool { value == nil && min == 0 && max == 1 }

  init(json: JSON, context: String) throws(OVSDBError) {
    if case .string = json {
      self.init(key: try BaseType(json: json, context: context))
      return
    }
    guard case .object(let fields) = json, let keyJSON = fields["key"] else {
      throw .protocolViolation("\(context): invalid column type \(json)")
    }
    let key = try BaseType(json: keyJSON, context: context)
    var value: BaseType? = nil
    if let valueJSON = fields["value"] { value = try BaseType(json: valueJSON, context: context) }
    let max: Int
    switch fields["max"] {
    case .string("unlimited")?: max = Int.max
    case .int(let v)?: max = Int(v)
    case nil: max = 1
    default: throw .protocolViolation("\(context): invalid max \(fields["max"] ?? .null)")
    }
    self.init(key: key, value: value, min: fields["min"]?.intValue.map(Int.init) ?? 1, max: max)
  }

  /// The value an absent column has (RFC 7047 §5.1: empty set or map, or the type's zero).
  public var defaultValue: Datum {
    if min == 0 { return value == nil ? .empty : .map([]) }
    switch key.type {
    case .integer: return .scalar(.integer(key.minInteger.map { Swift.max($0, 0) } ?? 0))
    case .real: return .scalar(.real(0))
    case .boolean: return .scalar(.boolean(false))
    case .string: return .scalar(.string(""))
    case .uuid: return .scalar(.uuid(RowUUID(high: 0, low: 0)))
    }
  }

  /// Decodes a value of this type: a JSON integer becomes a real for real columns, and the
  /// single-atom shorthand is accepted for sets.
  public func decode(_ json: JSON) throws(OVSDBError) -> Datum {
    if let valueType = value {
      guard case .array(let parts) = json, parts.count == 2, parts[0] == .string("map"),
        case .array(let entries) = parts[1]
      else { throw .protocolViolation("expected a map, got \(json)") }
      var pairs: [(Atom, Atom)] = []
      pairs.reserveCapacity(entries.count)
      for entry in entries {
        guard case .array(let pair) = entry, pair.count == 2 else {
          throw .protocolViolation("invalid map entry \(entry)")
        }
        pairs.append((try Atom(json: pair[0], type: key.type), try Atom(json: pair[1], type: valueType.type)))
      }
      return .map(pairs)
    }
    if case .array(let parts) = json, parts.count == 2, parts[0] == .string("set") {
      guard case .array(let elements) = parts[1] else { throw .protocolViolation("invalid set \(json)") }
      var atoms: [Atom] = []
      atoms.reserveCapacity(elements.count)
      for element in elements { atoms.append(try Atom(json: element, type: key.type)) }
      return .set(atoms)
    }
    return .scalar(try Atom(json: json, type: key.type))
  }

  /// Why `datum` does not fit this type, or nil.
  public func problem(with datum: Datum) -> String? {
    if datum.isMap != isMap { return isMap ? "expected a map, got \(datum)" : "expected a set, got a map \(datum)" }
    if datum.count < min || datum.count > max {
      let bound = max == Int.max ? "at least \(min)" : min == max ? "exactly \(min)" : "\(min) to \(max)"
      return "has \(datum.count) element(s), the column takes \(bound)"
    }
    for atom in datum.keys {
      if let problem = key.problem(with: atom) { return problem }
    }
    if let valueType = value {
      for (_, atom) in datum.pairs {
        if let problem = valueType.problem(with: atom) { return problem }
      }
    }
    return nil
  }
}

public struct ColumnSchema: Sendable, Hashable {
  public var name: String
  public var type: ColumnType
  public var ephemeral: Bool
  public var mutable: Bool
}

/// Just what decoding a value needs: the atomic types, in a trivially copyable form (decoding a
/// dump looks this up for every value, where copying a full `ColumnType` costs retains).
struct ValueShape: Sendable, Hashable {
  var key: AtomicType
  var value: AtomicType?
}

public struct TableSchema: Sendable, Hashable {
  public var name: String
  public var columns: [String: ColumnSchema] {
    didSet { shapes = columns.mapValues { ValueShape(key: $0.type.key.type, value: $0.type.value?.type) } }
  }
  /// Derived from `columns`.
  private(set) var shapes: [String: ValueShape]
  public var isRoot: Bool
  public var maxRows: Int?
  /// Sets of columns whose values together are unique across rows.
  public var indexes: [[String]]

  public subscript(column: String) -> ColumnSchema? { columns[column] }

  public init(name: String, columns: [String: ColumnSchema], isRoot: Bool, maxRows: Int?, indexes: [[String]]) {
    self.name = name
    self.columns = columns
    self.shapes = columns.mapValues { ValueShape(key: $0.type.key.type, value: $0.type.value?.type) }
    self.isRoot = isRoot
    self.maxRows = maxRows
    self.indexes = indexes
  }
}

/// A database schema as `get_schema` returns it (RFC 7047 §3.2).
public struct DatabaseSchema: Sendable, Hashable {
  public var name: String
  public var version: String
  public var checksum: String?
  public var tables: [String: TableSchema]

  public subscript(table: String) -> TableSchema? { tables[table] }

  public init(json: JSON) throws(OVSDBError) {
    guard case .object(let fields) = json, case .string(let name)? = fields["name"],
      case .object(let tablesJSON)? = fields["tables"]
    else { throw .protocolViolation("invalid schema: no name or tables") }
    self.name = name
    version = fields["version"]?.stringValue ?? ""
    checksum = fields["cksum"]?.stringValue
    var tables: [String: TableSchema] = [:]
    for (tableName, tableJSON) in tablesJSON {
      guard case .object(let t) = tableJSON, case .object(let columnsJSON)? = t["columns"] else {
        throw .protocolViolation("invalid schema: table \(tableName) has no columns")
      }
      var columns: [String: ColumnSchema] = [:]
      for (columnName, columnJSON) in columnsJSON {
        let context = "\(tableName).\(columnName)"
        guard case .object(let c) = columnJSON, let typeJSON = c["type"] else {
          throw .protocolViolation("invalid schema: column \(context) has no type")
        }
        columns[columnName] = ColumnSchema(
          name: columnName, type: try ColumnType(json: typeJSON, context: context),
          ephemeral: c["ephemeral"] == .bool(true), mutable: c["mutable"] != .bool(false))
      }
      let indexes = t["indexes"]?.arrayValue?.compactMap { $0.arrayValue?.compactMap(\.stringValue) } ?? []
      tables[tableName] = TableSchema(
        name: tableName, columns: columns, isRoot: t["isRoot"] == .bool(true),
        maxRows: t["maxRows"]?.intValue.map(Int.init), indexes: indexes)
    }
    self.tables = tables
  }
}
