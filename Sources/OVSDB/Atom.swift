/// One OVSDB scalar (RFC 7047 §5.1 `<atom>`).
public enum Atom: Sendable, Hashable {
  case integer(Int64)
  case real(Double)
  case boolean(Bool)
  case string(String)
  case uuid(RowUUID)
  /// A row inserted earlier in the same transaction, by its `uuid-name`.
  case namedUUID(String)

  public var atomicType: AtomicType {
    switch self {
    case .integer: return .integer
    case .real: return .real
    case .boolean: return .boolean
    case .string: return .string
    case .uuid, .namedUUID: return .uuid
    }
  }

  public var integerValue: Int64? {
    if case .integer(let v) = self { return v }
    return nil
  }

  public var stringValue: String? {
    if case .string(let v) = self { return v }
    return nil
  }

  public var uuidValue: RowUUID? {
    if case .uuid(let v) = self { return v }
    return nil
  }

  public var booleanValue: Bool? {
    if case .boolean(let v) = self { return v }
    return nil
  }

  /// The wire form (RFC 7047 §5.1).
  public var json: JSON {
    switch self {
    case .integer(let v): return .int(v)
    case .real(let v): return .double(v)
    case .boolean(let v): return .bool(v)
    case .string(let v): return .string(v)
    case .uuid(let v): return .array([.string("uuid"), .string(v.description)])
    case .namedUUID(let v): return .array([.string("named-uuid"), .string(v)])
    }
  }

  /// Decodes an atom without a schema: the JSON form says which kind it is, except that a JSON
  /// integer stays an integer (use `init(json:type:)` for real columns).
  public init(json: JSON) throws(OVSDBError) {
    switch json {
    case .int(let v): self = .integer(v)
    case .double(let v): self = .real(v)
    case .bool(let v): self = .boolean(v)
    case .string(let v): self = .string(v)
    case .array(let pair) where pair.count == 2:
      guard case .string(let tag) = pair[0], case .string(let text) = pair[1] else {
        throw .protocolViolation("invalid atom \(json)")
      }
      switch tag {
      case "uuid":
        guard let uuid = RowUUID(text) else { throw .protocolViolation("invalid uuid \"\(text)\"") }
        self = .uuid(uuid)
      case "named-uuid": self = .namedUUID(text)
      default: throw .protocolViolation("invalid atom \(json)")
      }
    default:
      throw .protocolViolation("invalid atom \(json)")
    }
  }

  /// Decodes an atom of a known type; a JSON integer is accepted for a real.
  public init(json: JSON, type: AtomicType) throws(OVSDBError) {
    if type == .real, case .int(let v) = json {
      self = .real(Double(v))
      return
    }
    let atom = try Atom(json: json)
    guard atom.atomicType == type else {
      throw .protocolViolation("expected \(type.rawValue), got \(json)")
    }
    self = atom
  }
}

extension Atom: Comparable {
  /// OVSDB's ordering within one type (sets and map keys are kept sorted for canonical equality);
  /// across types the order is by type, which only matters for mixed values that never occur.
  public static func < (a: Atom, b: Atom) -> Bool {
    switch (a, b) {
    case (.integer(let x), .integer(let y)): return x < y
    case (.real(let x), .real(let y)): return x < y
    case (.boolean(let x), .boolean(let y)): return !x && y
    case (.string(let x), .string(let y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
    case (.uuid(let x), .uuid(let y)): return x < y
    case (.namedUUID(let x), .namedUUID(let y)): return x < y
    default: return a.rank < b.rank
    }
  }

  private var rank: Int {
    switch self {
    case .integer: return 0
    case .real: return 1
    case .boolean: return 2
    case .string: return 3
    case .uuid: return 4
    case .namedUUID: return 5
    }
  }
}

extension Atom: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int64) { self = .integer(value) }
  public init(booleanLiteral value: Bool) { self = .boolean(value) }
}

extension Atom: CustomStringConvertible {
  public var description: String {
    switch self {
    case .integer(let v): return String(v)
    case .real(let v): return String(v)
    case .boolean(let v): return String(v)
    case .string(let v): return v.debugDescription
    case .uuid(let v): return v.description
    case .namedUUID(let v): return "@" + v
    }
  }
}
