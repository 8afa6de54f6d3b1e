/// A column value (RFC 7047 §5.1 `<value>`): a set of atoms, or a map from atoms to atoms. A
/// scalar column holds a set of exactly one; an optional one a set of zero or one. Keys are kept
/// sorted and unique, so two equal values compare equal however the server ordered them.
public struct Datum: Sendable, Hashable {
  public private(set) var keys: [Atom]
  /// nil for a set; for a map, `values[i]` belongs to `keys[i]`.
  public private(set) var values: [Atom]?

  public static let empty = Datum(keys: [], values: nil)

  init(keys: [Atom], values: [Atom]?) {
    self.keys = keys
    self.values = values
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

  public static func scalar(_ atom: Atom) -> Datum { Datum(keys: [atom], values: nil) }

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

  public var isMap: Bool { values != nil }
  public var count: Int { keys.count }
  public var isEmpty: Bool { keys.isEmpty }

  /// The single atom of a scalar or optional-present column.
  public var scalar: Atom? { keys.count == 1 && values == nil ? keys[0] : nil }

  /// The value for `key` in a map.
  public subscript(key: Atom) -> Atom? {
    guard let values, let index = index(of: key) else { return nil }
    return values[index]
  }

  public func contains(_ key: Atom) -> Bool { index(of: key) != nil }

  func index(of key: Atom) -> Int? {
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
    var result: [String: String] = [:]
    for (k, v) in pairs {
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
