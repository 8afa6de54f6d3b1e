/// A column value (RFC 7047 §5.1 `<value>`): a set of atoms, or a map from atoms to atoms. A
/// scalar column holds a set of exactly one; an optional one a set of zero or one. Keys are kept
/// sorted and unique, so two equal values compare equal however the server ordered them.
public struct Datum: Sendable, Hashable {
  /// Scalars (most column values) are stored inline: a 10,000-row dump then makes no array per
  /// value. Constructors keep one canonical form per value, so derived equality is value equality.
  enum Storage: Sendable, Hashable {
    case empty
    case single(Atom)
    /// Two or more atoms, sorted and unique.
    case many([Atom])
    /// Keys sorted and unique; `values[i]` belongs to `keys[i]`.
    case map(keys: [Atom], values: [Atom])
  }

  var storage: Storage

  public static let empty = Datum(storage: .empty)

  init(storage: Storage) {
    self.storage = storage
  }

  init(keys: [Atom], values: [Atom]?) {
    if let values {
      storage = .map(keys: keys, values: values)
    } else {
      switch keys.count {
      case 0: storage = .empty
      case 1: storage = .single(keys[0])
      default: storage = .many(keys)
      }
    }
  }

  /// The set's atoms, or the map's keys, in order.
  public var keys: [Atom] {
    switch storage {
    case .empty: return []
    case .single(let atom): return [atom]
    case .many(let atoms): return atoms
    case .map(let keys, _): return keys
    }
  }

  /// nil for a set; for a map, `values[i]` belongs to `keys[i]`.
  public var values: [Atom]? {
    if case .map(_, let values) = storage { return values }
    return nil
  }

  /// A set; duplicates collapse. Input already in order (as servers send it) is taken as is.
  public static func set(_ atoms: [Atom]) -> Datum {
    if isStrictlyIncreasing(atoms) { return Datum(keys: atoms, values: nil) }
    var sorted = atoms.sorted()
    var unique = 0
    for i in sorted.indices where i == 0 || sorted[i] != sorted[unique - 1] {
      sorted[unique] = sorted[i]
      unique += 1
    }
    sorted.removeSubrange(unique...)
    return Datum(keys: sorted, values: nil)
  }

  /// A map from parallel key and value arrays; a duplicate key keeps its last value.
  static func map(keys: [Atom], values: [Atom]) -> Datum {
    if isStrictlyIncreasing(keys) { return Datum(keys: keys, values: values) }
    return map(Array(zip(keys, values)))
  }

  static func isStrictlyIncreasing(_ atoms: [Atom]) -> Bool {
    var i = 1
    while i < atoms.count {
      if !(atoms[i - 1] < atoms[i]) { return false }
      i += 1
    }
    return true
  }

  public static func scalar(_ atom: Atom) -> Datum { Datum(storage: .single(atom)) }

  /// A map; a duplicate key keeps its last value.
  public static func map(_ pairs: [(Atom, Atom)]) -> Datum {
    var unique: [Atom: Atom] = [:]
    for (k, v) in pairs { unique[k] = v }
    let sorted = unique.sorted { $0.key < $1.key }
    return Datum(keys: sorted.map(\.key), values: sorted.map(\.value))
  }

  public static func map(_ dictionary: [String: String]) -> Datum {
    map(dictionary.map { (Atom.string($0.key), Atom.string($0.value)) })
  }

  public var isMap: Bool {
    if case .map = storage { return true }
    return false
  }

  public var count: Int {
    switch storage {
    case .empty: return 0
    case .single: return 1
    case .many(let atoms): return atoms.count
    case .map(let keys, _): return keys.count
    }
  }

  public var isEmpty: Bool { count == 0 }

  /// The single atom of a scalar or optional-present column.
  public var scalar: Atom? {
    if case .single(let atom) = storage { return atom }
    return nil
  }

  /// The value for `key` in a map.
  public subscript(key: Atom) -> Atom? {
    guard let values, let index = index(of: key) else { return nil }
    return values[index]
  }

  public func contains(_ key: Atom) -> Bool {
    if case .single(let atom) = storage { return atom == key }
    return index(of: key) != nil
  }

  func index(of key: Atom) -> Int? {
    let keys = self.keys
    var low = 0
    var high = keys.count
    while low < high {
      let mid = (low + high) / 2
      if keys[mid] < key {
        low = mid + 1
      } else {
        high = mid
      }
    }
    return low < keys.count && keys[low] == key ? low : nil
  }

  /// Map entries as pairs, in key order.
  public var pairs: [(key: Atom, value: Atom)] {
    guard let values else { return [] }
    return zip(keys, values).map { ($0, $1) }
  }

  /// A string→string map as a dictionary (external_ids, other_config, options).
  public var stringMap: [String: String] {
    // An empty map (most options and external_ids) makes no storage: `reserveCapacity` here ran
    // through the standard library's unspecialized path, ~1,100 instructions even for 0 (callgrind).
    guard let values, !values.isEmpty else { return [:] }
    var result = [String: String](minimumCapacity: values.count)
    for (k, v) in zip(keys, values) {
      if let key = k.stringValue, let value = v.stringValue { result[key] = value }
    }
    return result
  }

  /// The wire form: a lone atom for a one-element set (RFC 7047's shorthand), `["set", …]` otherwise.
  public var json: JSON {
    if let values {
      return .array([.string("map"), .array(zip(keys, values).map { .array([$0.json, $1.json]) })])
    }
    if keys.count == 1 { return keys[0].json }
    return .array([.string("set"), .array(keys.map(\.json))])
  }

  /// Decodes without a schema: `["set", …]`, `["map", …]`, or a single atom.
  public init(json: JSON) throws(OVSDBError) {
    if case .array(let parts) = json, parts.count == 2, case .string(let tag) = parts[0] {
      switch tag {
      case "set":
        guard case .array(let elements) = parts[1] else { throw .protocolViolation("invalid set \(json)") }
        var atoms: [Atom] = []
        atoms.reserveCapacity(elements.count)
        for element in elements { atoms.append(try Atom(json: element)) }
        self = .set(atoms)
        return
      case "map":
        guard case .array(let elements) = parts[1] else { throw .protocolViolation("invalid map \(json)") }
        var pairs: [(Atom, Atom)] = []
        pairs.reserveCapacity(elements.count)
        for element in elements {
          guard case .array(let pair) = element, pair.count == 2 else {
            throw .protocolViolation("invalid map entry \(element)")
          }
          pairs.append((try Atom(json: pair[0]), try Atom(json: pair[1])))
        }
        self = .map(pairs)
        return
      default:
        break
      }
    }
    self = .scalar(try Atom(json: json))
  }
}

extension Datum: CustomStringConvertible {
  public var description: String {
    if let values {
      return "{" + zip(keys, values).map { "\($0)=\($1)" }.joined(separator: ", ") + "}"
    }
    if keys.count == 1 { return keys[0].description }
    return "[" + keys.map(\.description).joined(separator: ", ") + "]"
  }
}

extension Datum: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
  public init(stringLiteral value: String) { self = .scalar(.string(value)) }
  public init(integerLiteral value: Int64) { self = .scalar(.integer(value)) }
  public init(booleanLiteral value: Bool) { self = .scalar(.boolean(value)) }
}
