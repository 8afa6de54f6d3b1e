import CYAML

/// Why a YAML text cannot be read, and where (1-based line and column).
struct YAMLFailure: Error {
  var line: Int
  var column: Int
  var problem: String
  var fix: String
}

/// Reads YAML text into a `YAMLDocument` from libyaml's parser events, with bounds that no file
/// can pass: nothing in it costs more than a few times its own size, or time beyond linear.
///
/// - Aliases: at most `maximumAliases` references, nested at most `maximumAliasNesting` deep (an
///   alias of a node holding an alias of a node …), and all of them together standing for at most
///   `maximumAliasExpansion` nodes; the tree shares the anchored node, but whoever walks it pays
///   for every copy (nine levels of ten aliases stand for 10⁹ nodes).
/// - Keys: a mapping key must be a scalar (no collection and no alias as a key), so comparing keys
///   is comparing their bytes, once each (a hash per key), never comparing trees.
/// - At most `maximumAnchors` anchors and `maximumDepth` levels of nesting.
///
/// One document only, as before: a second one is refused. Tags are read and ignored (the spec
/// reader decides what a scalar means, and quoted scalars are strings); `<<` is an ordinary key.
enum YAMLComposer {
  static let maximumAliases = 1000
  static let maximumAliasNesting = 10
  static let maximumAliasExpansion = 100_000
  static let maximumAnchors = 10_000
  static let maximumDepth = 256

  static let syntaxFix = "fix the YAML syntax (indent with spaces, `key: value`, `- item`)"

  /// The document in `bytes` (UTF-8), or nil for a stream with no document (empty, or comments).
  static func compose(_ bytes: UnsafeBufferPointer<UInt8>) throws(YAMLFailure) -> YAMLDocument? {
    guard let yaml = ovsvirt_yaml_open()?.pointee else {
      throw YAMLFailure(
        line: 1, column: 1, problem: String(cString: ovsvirt_yaml_open_error()),
        fix: "install libyaml-0-2 (scripts/bootstrap does)")
    }
    var parser = yaml_parser_t()
    guard yaml.parserInitialize(&parser) == 1 else {
      throw YAMLFailure(line: 1, column: 1, problem: "out of memory", fix: "try again")
    }
    defer { yaml.parserDelete(&parser) }
    // An empty text holds no document (and libyaml wants a non-null input).
    guard let input = bytes.baseAddress, !bytes.isEmpty else { return nil }
    yaml.parserSetInputString(&parser, input, bytes.count)
    yaml.parserSetEncoding(&parser, YAML_UTF8_ENCODING)
    var state = State(expectedBytes: bytes.count)
    var event = yaml_event_t()
    while true {
      guard yaml.parserParse(&parser, &event) == 1 else { throw failure(parser, bytes) }
      defer { yaml.eventDelete(&event) }
      if event.type == YAML_STREAM_END_EVENT { break }
      try state.take(event)
    }
    return state.document()
  }

  /// libyaml's error, as Yams reported it before (`context, problem` at the problem's mark); a
  /// reader error (bad byte) at the byte's own line and column.
  static func failure(_ parser: yaml_parser_t, _ bytes: UnsafeBufferPointer<UInt8>) -> YAMLFailure {
    let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
    if parser.error == YAML_MEMORY_ERROR {
      return YAMLFailure(line: 1, column: 1, problem: "out of memory", fix: "try again")
    }
    if parser.error == YAML_READER_ERROR {
      let (line, column) = position(of: min(parser.problem_offset, bytes.count), in: bytes)
      return YAMLFailure(line: line, column: column, problem: "YAML error: \(problem)", fix: syntaxFix)
    }
    let context = parser.context.map { "\(String(cString: $0)), " } ?? ""
    return YAMLFailure(
      line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1,
      problem: "YAML syntax error: \(context)\(problem)", fix: syntaxFix)
  }

  /// 1-based line and column (in Unicode scalars) of a byte offset.
  static func position(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
    var line = 1
    var column = 1
    for byte in bytes[..<offset] {
      if byte == UInt8(ascii: "\n") {
        line += 1
        column = 1
      } else if byte & 0xC0 != 0x80 {
        column += 1
      }
    }
    return (line, column)
  }

  /// What the composer knows while events come.
  struct State {
    /// An open collection.
    struct Frame {
      var index: Int
      var isMapping: Bool
      var anchor: String?
      var children = 0
      /// Nodes this collection stands for, aliases expanded (itself included), saturating.
      var expanded = 1
      /// The deepest chain of aliases inside it.
      var aliasNesting = 0
    }

    struct Anchor {
      var index: Int
      var expanded: Int
      var aliasNesting: Int
    }

    var nodes: [YAMLDocument.Node] = []
    var text: [UInt8] = []
    var frames: [Frame] = []
    var anchors: [String: Anchor] = [:]
    var documents = 0
    var aliases = 0
    var aliasExpansion = 0
    var hasRoot = false

    init(expectedBytes: Int) {
      // Upper bounds, reserved at once: untouched pages of a large allocation cost no memory, and
      // growing by copies would (old and new buffers at once). A scalar's text is never longer than
      // its source; a node takes a byte of source or more but for a few empty ones.
      nodes.reserveCapacity(expectedBytes + 16)
      text.reserveCapacity(expectedBytes)
    }

    func document() -> YAMLDocument? {
      // The root is the document's first node.
      hasRoot ? YAMLDocument(nodes: nodes, text: text) : nil
    }

    mutating func take(_ event: yaml_event_t) throws(YAMLFailure) {
      let line = event.start_mark.line + 1
      let column = event.start_mark.column + 1
      func refuse(_ problem: String, _ fix: String) -> YAMLFailure {
        YAMLFailure(line: line, column: column, problem: problem, fix: fix)
      }
      switch event.type {
      case YAML_DOCUMENT_START_EVENT:
        documents += 1
        if documents > 1 {
          throw refuse(
            "YAML syntax error: expected a single document in the stream, but found another document",
            "keep one document (no second `---`)")
        }
      case YAML_SCALAR_EVENT:
        let scalar = event.data.scalar
        let bytes = UnsafeBufferPointer(
          start: scalar.value.map { UnsafePointer($0) }, count: scalar.value == nil ? 0 : scalar.length)
        let index = nodes.count
        nodes.append(
          YAMLDocument.Node.scalar(bytes, style: Self.style(scalar.style), line: line, column: column, text: &text))
        if let name = scalar.anchor {
          try register(String(cString: name), Anchor(index: index, expanded: 1, aliasNesting: 0))
        }
        added(expanded: 1, aliasNesting: 0)
      case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
        try checkCollectionIsNotAKey(refuse)
        guard frames.count < maximumDepth else {
          throw refuse("collections nested deeper than \(maximumDepth) levels", "flatten the spec")
        }
        let isMapping = event.type == YAML_MAPPING_START_EVENT
        let anchorName =
          isMapping
          ? event.data.mapping_start.anchor.map { String(cString: $0) }
          : event.data.sequence_start.anchor.map { String(cString: $0) }
        frames.append(Frame(index: nodes.count, isMapping: isMapping, anchor: anchorName))
        nodes.append(
          YAMLDocument.Node(
            kind: isMapping ? .mapping : .sequence, line: line, column: column, a: 0, b: 0))
      case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
        guard let frame = frames.popLast() else { return }
        nodes[frame.index].a = UInt32(clamping: frame.children)
        nodes[frame.index].b = UInt32(clamping: nodes.count)
        if frame.isMapping { try checkDuplicateKeys(frame) }
        if let name = frame.anchor {
          try register(name, Anchor(index: frame.index, expanded: frame.expanded, aliasNesting: frame.aliasNesting))
        }
        added(expanded: frame.expanded, aliasNesting: frame.aliasNesting)
      case YAML_ALIAS_EVENT:
        let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
        if let frame = frames.last, frame.isMapping, frame.children % 2 == 0 {
          throw refuse("an alias used as a mapping key is not supported", "write the key as a plain word")
        }
        aliases += 1
        guard aliases <= maximumAliases else {
          throw refuse(
            "more than \(maximumAliases) alias references (`*name`)",
            "write the shared settings out, or use fewer aliases")
        }
        guard let target = anchors[name] else {
          throw refuse("YAML syntax error: found undefined alias", "define `&\(name)` before using `*\(name)`")
        }
        guard target.aliasNesting < maximumAliasNesting else {
          throw refuse(
            "aliases nested more than \(maximumAliasNesting) deep (`*\(name)` holds aliases that hold aliases …)",
            "write the shared settings out")
        }
        aliasExpansion = Self.saturatingSum(aliasExpansion, target.expanded)
        guard aliasExpansion <= maximumAliasExpansion else {
          throw refuse(
            "the aliases stand for more than \(maximumAliasExpansion) nodes in all (`*\(name)` alone for \(target.expanded))",
            "write the shared settings out, or use fewer aliases")
        }
        nodes.append(
          YAMLDocument.Node(kind: .alias, line: line, column: column, a: UInt32(clamping: target.index), b: 0))
        added(expanded: target.expanded, aliasNesting: target.aliasNesting + 1)
      default:
        break
      }
    }

    /// A node that is a key must be a scalar: keys are then compared as bytes, never as trees.
    func checkCollectionIsNotAKey(_ refuse: (String, String) -> YAMLFailure) throws(YAMLFailure) {
      guard let frame = frames.last, frame.isMapping, frame.children % 2 == 0 else { return }
      throw refuse(
        "a complex mapping key (a list or mapping as a key) is not supported",
        "write keys as plain words, as `name: value`")
    }

    /// A node is complete: its parent (or the document) counts it.
    mutating func added(expanded: Int, aliasNesting: Int) {
      guard !frames.isEmpty else {
        hasRoot = true
        return
      }
      frames[frames.count - 1].children += 1
      frames[frames.count - 1].expanded = Self.saturatingSum(frames[frames.count - 1].expanded, expanded)
      frames[frames.count - 1].aliasNesting = max(frames[frames.count - 1].aliasNesting, aliasNesting)
    }

    /// A later anchor of the same name replaces an earlier one, as YAML says.
    mutating func register(_ name: String, _ anchor: Anchor) throws(YAMLFailure) {
      if anchors[name] == nil && anchors.count >= maximumAnchors {
        let node = nodes[anchor.index]
        throw YAMLFailure(
          line: Int(node.line), column: node.column, problem: "more than \(maximumAnchors) anchors (`&name`)",
          fix: "use fewer anchors")
      }
      anchors[name] = anchor
    }

    /// Keys are scalars (see `checkCollectionIsNotAKey` and the alias case): one hash of each key's bytes, and a byte comparison only
    /// when two hashes agree. Reported as Yams did: at the first duplicated key, naming them all.
    func checkDuplicateKeys(_ frame: Frame) throws(YAMLFailure) {
      guard frame.children >= 4 else { return }
      var seen: [Int: Int] = [:]
      seen.reserveCapacity(frame.children / 2)
      var duplicates: Set<Int> = []
      var key = frame.index + 1
      text.withUnsafeBufferPointer { text in
        func same(_ x: Int, _ y: Int) -> Bool {
          nodes[x].withBytes(text) { a in nodes[y].withBytes(text) { b in a.elementsEqual(b) } }
        }
        var colliding: [Int] = []
        for _ in 0..<frame.children / 2 {
          var hasher = Hasher()
          nodes[key].withBytes(text) { hasher.combine(bytes: $0) }
          let hash = hasher.finalize()
          if let earlier = seen[hash] {
            if same(key, earlier) {
              duplicates.insert(earlier)
            } else if let other = colliding.first(where: { same($0, key) }) {
              duplicates.insert(other)
            } else {
              colliding.append(key)
            }
          } else {
            seen[hash] = key
          }
          // Past the value: the key is a scalar (one node), the value any subtree.
          key = endOf(endOf(key))
        }
      }
      guard let first = duplicates.min() else { return }
      let sorted = duplicates.sorted()
      let names = sorted.prefix(5).map { "'\(string($0))'" }.joined(separator: ", ") + (sorted.count > 5 ? ", …" : "")
      throw YAMLFailure(
        line: Int(nodes[first].line), column: nodes[first].column, problem: "a mapping gives \(names) twice",
        fix: "keep one")
    }

    func endOf(_ index: Int) -> Int {
      let node = nodes[index]
      return node.kind == .sequence || node.kind == .mapping ? Int(node.b) : index + 1
    }

    func string(_ index: Int) -> String {
      text.withUnsafeBufferPointer { text in nodes[index].withBytes(text) { String(decoding: $0, as: UTF8.self) } }
    }

    static func style(_ style: yaml_scalar_style_t) -> YAMLDocument.Style {
      switch style {
      case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
      case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
      case YAML_LITERAL_SCALAR_STYLE: return .literal
      case YAML_FOLDED_SCALAR_STYLE: return .folded
      default: return .plain
      }
    }

    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
      let (sum, overflow) = a.addingReportingOverflow(b)
      return overflow ? Int.max : sum
    }
  }
}
