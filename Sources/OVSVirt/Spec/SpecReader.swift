import Yams

/// A YAML node with the path that leads to it, for messages.
struct SpecNode {
  let node: Node
  let path: String
  let location: SpecLocation

  init(_ node: Node, path: String, file: String) {
    self.node = node
    self.path = path
    location = SpecLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
  }

  func child(_ node: Node, _ component: String) -> SpecNode {
    SpecNode(node, path: path.isEmpty ? component : "\(path).\(component)", file: location.file)
  }

  func element(_ node: Node, _ index: Int) -> SpecNode {
    SpecNode(node, path: "\(path)[\(index)]", file: location.file)
  }

  /// `key:` with nothing after it, or `~` / `null`.
  var isNull: Bool {
    guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
    return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
  }
}

/// The keys of one YAML mapping, each checked against the keys that mapping may hold.
struct SpecFields {
  let node: SpecNode
  let values: [String: SpecNode]

  subscript(_ key: String) -> SpecNode? { values[key].flatMap { $0.isNull ? nil : $0 } }
}

/// Reads typed values out of YAML nodes, collecting every problem (with file:line) instead of
/// stopping at the first, so one run of `plan` shows everything to fix.
final class SpecReader {
  private(set) var problems: [SpecProblem] = []

  func report(_ node: SpecNode, _ problem: String, fix: String) {
    problems.append(SpecProblem(location: node.location, path: node.path, problem: problem, fix: fix))
  }

  func report(at location: SpecLocation, path: String, _ problem: String, fix: String) {
    problems.append(SpecProblem(location: location, path: path, problem: problem, fix: fix))
  }

  /// A mapping whose keys must be among `keys`; `required` ones must be present.
  func fields(_ node: SpecNode, keys: [String], required: [String] = []) -> SpecFields? {
    guard case .mapping(let mapping) = node.node else {
      report(node, "expected a mapping (key: value lines), found \(kind(node))", fix: "write it as `key: value` lines")
      return nil
    }
    var values: [String: SpecNode] = [:]
    for (keyNode, value) in mapping {
      let keySpec = node.child(keyNode, "?")
      guard case .scalar(let scalar) = keyNode else {
        report(keySpec, "a key must be a plain word", fix: "use one of: \(keys.joined(separator: ", "))")
        continue
      }
      let key = scalar.string
      let keyNodeSpec = SpecNode(
        keyNode, path: node.path.isEmpty ? key : "\(node.path).\(key)", file: node.location.file)
      guard keys.contains(key) else {
        let hint = Self.closest(key, in: keys).map { "did you mean '\($0)'? " } ?? ""
        report(keyNodeSpec, "unknown key '\(key)'", fix: "\(hint)known keys here: \(keys.joined(separator: ", "))")
        continue
      }
      if let earlier = values[key] {
        report(keyNodeSpec, "'\(key)' is given twice (also at line \(earlier.location.line))", fix: "keep one")
        continue
      }
      values[key] = node.child(value, key)
    }
    let result = SpecFields(node: node, values: values)
    for key in required where result[key] == nil {
      report(node, "'\(key)' is missing", fix: "add `\(key): …`")
    }
    return result
  }

  /// A list; an absent or empty value is an empty list.
  func list(_ node: SpecNode?) -> [SpecNode] {
    guard let node, !node.isNull else { return [] }
    guard case .sequence(let sequence) = node.node else {
      report(node, "expected a list, found \(kind(node))", fix: "write one `- item` line per entry")
      return []
    }
    return sequence.enumerated().map { node.element($0.element, $0.offset) }
  }

  func string(_ node: SpecNode?) -> String? {
    guard let node else { return nil }
    guard case .scalar(let scalar) = node.node, !node.isNull else {
      report(node, "expected a single value, found \(kind(node))", fix: "write a plain value")
      return nil
    }
    return scalar.string
  }

  func int(_ node: SpecNode?) -> Int? {
    guard let node else { return nil }
    guard case .scalar(let scalar) = node.node, scalar.style == .plain, let value = Int(scalar.string) else {
      report(node, "expected a whole number, found \(kind(node))", fix: "write a number without quotes")
      return nil
    }
    return value
  }

  func bool(_ node: SpecNode?) -> Bool? {
    guard let node else { return nil }
    if case .scalar(let scalar) = node.node, scalar.style == .plain {
      switch scalar.string.lowercased() {
      case "true", "yes", "on": return true
      case "false", "no", "off": return false
      default: break
      }
    }
    report(node, "expected true or false, found \(kind(node))", fix: "write true or false")
    return nil
  }

  /// One of `choices`.
  func choice(_ node: SpecNode?, _ choices: [String]) -> String? {
    guard let node, let value = string(node) else { return nil }
    guard choices.contains(value) else {
      report(node, "'\(value)' is not one of \(choices.joined(separator: ", "))", fix: "use one of them")
      return nil
    }
    return value
  }

  func kind(_ node: SpecNode) -> String {
    switch node.node {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .alias: return "an alias"
    case .scalar(let scalar): return node.isNull ? "nothing" : "'\(scalar.string)'"
    }
  }

  /// The known key a typo most likely meant (edit distance ≤ 2).
  static func closest(_ key: String, in keys: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
      var previous = Array(0...b.count)
      for (i, x) in a.enumerated() {
        var current = [i + 1]
        for (j, y) in b.enumerated() {
          current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
        }
        previous = current
      }
      return previous[b.count]
    }
    let scored = keys.map { ($0, distance(Array(key), Array($0))) }.filter { $0.1 <= 2 }
    return scored.min { $0.1 < $1.1 }?.0
  }
}
