/// A YAML node with the path that leads to it, for messages. An alias reads as the node it
/// stands for (and is reported where that node is written, as before).
struct SpecNode {
  let document: YAMLDocument
  /// Never an alias.
  let index: Int
  let path: String
  let location: SpecLocation

  init(_ document: YAMLDocument, _ index: Int, path: String, file: String) {
    self.document = document
    self.index = document.resolved(index)
    self.path = path
    let node = document.nodes[self.index]
    location = SpecLocation(file: file, line: Int(node.line), column: node.column)
  }

  func child(_ index: Int, _ component: String) -> SpecNode {
    SpecNode(document, index, path: path.isEmpty ? component : "\(path).\(component)", file: location.file)
  }

  func element(_ index: Int, _ position: Int) -> SpecNode {
    SpecNode(document, index, path: "\(path)[\(position)]", file: location.file)
  }

  var kind: YAMLDocument.Kind { document.kind(index) }
  var isSequence: Bool { kind == .sequence }
  /// A collection's number of children (a mapping's keys and values both count).
  var count: Int { document.count(index) }
  /// A scalar's text, whatever its style.
  var scalar: String? { kind == .scalar ? document.string(index) : nil }
  /// A plain (unquoted) scalar's text: what may read as a number, a boolean or nothing.
  var plainScalar: String? { kind == .scalar && document.style(index) == .plain ? document.string(index) : nil }

  /// `key:` with nothing after it, or `~` / `null`.
  var isNull: Bool {
    guard let text = plainScalar else { return false }
    return ["", "~", "null", "Null", "NULL"].contains(text)
  }
}

/// The keys of one YAML mapping, each checked against the keys that mapping may hold.
struct SpecFields {
  let node: SpecNode
  let values: [String: SpecNode]

  subscript(_ key: String) -> SpecNode? { values[key].flatMap { $0.isNull ? nil : $0 } }
}

/// Reads typed values out of YAML nodes, collecting every problem (with file:line) instead of
/// stopping at the first, so one run of `plan` shows everything to fix; past `maximumProblems`
/// only counted (a spec with a million mistakes needs no million messages, nor their memory).
final class SpecReader {
  static let maximumProblems = 200
  private(set) var problems: [SpecProblem] = []
  private var unlisted = 0

  func report(_ node: SpecNode, _ problem: String, fix: String) {
    report(at: node.location, path: node.path, problem, fix: fix)
  }

  func report(at location: SpecLocation, path: String, _ problem: String, fix: String) {
    guard problems.count < Self.maximumProblems else {
      if unlisted == 0 {
        problems.append(SpecProblem(location: location, path: path, problem: "more problems from here on", fix: ""))
      }
      unlisted += 1
      let last = problems.count - 1
      problems[last].problem = "\(unlisted) more problem\(unlisted == 1 ? "" : "s") from here on, not listed"
      problems[last].fix = "fix the ones above and run again"
      return
    }
    problems.append(SpecProblem(location: location, path: path, problem: problem, fix: fix))
  }

  /// A mapping whose keys must be among `keys`; `required` ones must be present.
  func fields(_ node: SpecNode, keys: [String], required: [String] = []) -> SpecFields? {
    guard node.kind == .mapping else {
      report(node, "expected a mapping (key: value lines), found \(kind(node))", fix: "write it as `key: value` lines")
      return nil
    }
    var values: [String: SpecNode] = [:]
    let children = node.document.children(node.index)
    for pair in stride(from: 0, to: children.count - 1, by: 2) {
      let keyIndex = children[pair]
      let value = children[pair + 1]
      // The composer lets only scalars be keys; said again here in case that changes.
      guard node.document.kind(keyIndex) == .scalar else {
        report(
          node.child(keyIndex, "?"), "a key must be a plain word", fix: "use one of: \(keys.joined(separator: ", "))")
        continue
      }
      let key = node.document.string(keyIndex)
      let keyNodeSpec = SpecNode(
        node.document, keyIndex, path: node.path.isEmpty ? key : "\(node.path).\(key)", file: node.location.file)
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
    guard node.kind == .sequence else {
      report(node, "expected a list, found \(kind(node))", fix: "write one `- item` line per entry")
      return []
    }
    return node.document.children(node.index).enumerated().map { node.element($0.element, $0.offset) }
  }

  func string(_ node: SpecNode?) -> String? {
    guard let node else { return nil }
    guard let scalar = node.scalar, !node.isNull else {
      report(node, "expected a single value, found \(kind(node))", fix: "write a plain value")
      return nil
    }
    return scalar
  }

  func int(_ node: SpecNode?) -> Int? {
    guard let node else { return nil }
    guard let text = node.plainScalar, let value = Int(text) else {
      report(node, "expected a whole number, found \(kind(node))", fix: "write a number without quotes")
      return nil
    }
    return value
  }

  func bool(_ node: SpecNode?) -> Bool? {
    guard let node else { return nil }
    if let text = node.plainScalar {
      switch text.lowercased() {
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
    switch node.kind {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .alias: return "an alias"
    case .scalar: return node.isNull ? "nothing" : "'\(node.scalar ?? "")'"
    }
  }

  /// The known key a typo most likely meant (edit distance ≤ 2). A key longer than every known
  /// one by 3 or more cannot be within 2 edits of any: not compared (the cost grows with its length).
  static func closest(_ key: String, in keys: [String]) -> String? {
    let longest = keys.map(\.count).max() ?? 0
    guard key.utf8.count <= 4 * (longest + 2) || key.count <= longest + 2 else { return nil }
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
