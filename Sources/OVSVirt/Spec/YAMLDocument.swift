/// One YAML document as a flat array of 16-byte nodes in document order, scalar text in one byte
/// buffer: the spec loader's tree, built from libyaml's events by `YAMLComposer`.
///
/// A collection's children follow it; `end` is the index past its last descendant, so the next
/// sibling of node `i` is `end(i)`. An alias is a node of its own pointing at the anchored node
/// (an earlier, complete subtree), so an alias costs one node however much it stands for.
final class YAMLDocument {
  enum Kind: UInt32 {
    case scalar = 0, sequence = 1, mapping = 2, alias = 3
  }

  enum Style: UInt32 {
    case plain = 0, singleQuoted = 1, doubleQuoted = 2, literal = 3, folded = 4
  }

  struct Node {
    /// 1-based, as editors count.
    var line: UInt32
    /// The 1-based column (in Unicode scalars, as libyaml counts) << 9 | the length of a scalar
    /// held in `a` and `b` themselves (1–8 bytes, else 0) << 5 | style << 2 | kind.
    var packed: UInt32
    /// A scalar's offset in `text` (or its first 4 bytes); a collection's number of children; an
    /// alias's target node.
    var a: UInt32
    /// A scalar's length in bytes (or its bytes 5–8); a collection's end (the index past its last
    /// descendant).
    var b: UInt32

    static let maximumColumn = Int(UInt32.max >> 9)

    init(kind: Kind, style: Style = .plain, line: Int, column: Int, a: UInt32, b: UInt32, inlineLength: Int = 0) {
      self.line = UInt32(clamping: line)
      packed =
        UInt32(clamping: min(column, Self.maximumColumn)) << 9 | UInt32(inlineLength) << 5 | style.rawValue << 2
        | kind.rawValue
      self.a = a
      self.b = b
    }

    /// A scalar: up to 8 bytes in the node itself (most keys and values of a spec), longer ones
    /// appended to `text`.
    static func scalar(
      _ bytes: UnsafeBufferPointer<UInt8>, style: Style, line: Int, column: Int, text: inout [UInt8]
    ) -> Node {
      guard (1...8).contains(bytes.count) else {
        let offset = UInt32(clamping: text.count)
        text.append(contentsOf: bytes)
        return Node(
          kind: .scalar, style: style, line: line, column: column, a: offset, b: UInt32(clamping: bytes.count))
      }
      var pair: (UInt32, UInt32) = (0, 0)
      withUnsafeMutableBytes(of: &pair) { $0.copyMemory(from: UnsafeRawBufferPointer(bytes)) }
      return Node(
        kind: .scalar, style: style, line: line, column: column, a: pair.0, b: pair.1, inlineLength: bytes.count)
    }

    var kind: Kind { Kind(rawValue: packed & 3) ?? .scalar }
    var style: Style { Style(rawValue: packed >> 2 & 7) ?? .plain }
    var column: Int { Int(packed >> 9) }
    var inlineLength: Int { Int(packed >> 5 & 15) }

    /// A scalar's bytes, from the node or from `text`.
    func withBytes<R>(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
      let length = inlineLength
      guard length > 0 else {
        return body(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: text[Int(a)..<Int(a) + Int(b)])))
      }
      var pair = (a, b)
      return withUnsafeBytes(of: &pair) { body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }
  }

  let nodes: [Node]
  let text: [UInt8]

  init(nodes: [Node], text: [UInt8]) {
    self.nodes = nodes
    self.text = text
  }

  /// The node an alias stands for (any other node itself).
  func resolved(_ index: Int) -> Int {
    let node = nodes[index]
    return node.kind == .alias ? Int(node.a) : index
  }

  func kind(_ index: Int) -> Kind { nodes[index].kind }
  func style(_ index: Int) -> Style { nodes[index].style }

  /// A collection's number of children (a mapping's keys and values both count).
  func count(_ index: Int) -> Int {
    let node = nodes[index]
    return node.kind == .sequence || node.kind == .mapping ? Int(node.a) : 0
  }

  /// The index of the next sibling of `index`.
  func end(_ index: Int) -> Int {
    let node = nodes[index]
    return node.kind == .sequence || node.kind == .mapping ? Int(node.b) : index + 1
  }

  /// A collection's children, in order; aliases left as they are.
  func children(_ index: Int) -> [Int] {
    var result: [Int] = []
    result.reserveCapacity(count(index))
    var child = index + 1
    for _ in 0..<count(index) {
      result.append(child)
      child = end(child)
    }
    return result
  }

  /// A scalar's text.
  func string(_ index: Int) -> String {
    let node = nodes[index]
    guard node.kind == .scalar else { return "" }
    return text.withUnsafeBufferPointer { text in node.withBytes(text) { String(decoding: $0, as: UTF8.self) } }
  }
}
