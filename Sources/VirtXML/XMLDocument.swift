import CLibXML2

/// A parsed XML document owned by Swift; the libxml2 tree is freed exactly once, in `deinit`.
/// Not Sendable: a libxml2 tree must not be touched from two threads at once.
public final class XMLTree {
  let document: xmlDocPtr
  /// libxml2's functions (opened on first use, see CLibXML2.h).
  let xml: UnsafePointer<ovsvirt_xml_api>

  /// Parses `text` without touching the network or expanding external entities. A tree only read,
  /// never written back, may drop the whitespace between elements (`keepingLayout: false`): with
  /// half the nodes, reading a running domain's XML (reconcile reads every one) takes a third less.
  public init(_ text: String, keepingLayout: Bool = true) throws(XMLError) {
    guard let xml = ovsvirt_xml_open() else { throw XMLError(String(cString: ovsvirt_xml_open_error())) }
    var options = XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
    options |= XML_PARSE_COMPACT.rawValue
    if !keepingLayout { options |= XML_PARSE_NOBLANKS.rawValue }
    let parsed: xmlDocPtr? = text.withCString { cString in
      xml.pointee.readMemory(cString, Int32(text.utf8.count), "domain.xml", "UTF-8", Int32(options))
    }
    guard let parsed else {
      let detail =
        xml.pointee.getLastError().flatMap { $0.pointee.message }.map { String(cString: $0) } ?? "not well-formed"
      throw XMLError("invalid XML: \(detail.trimmingTrailingNewline())")
    }
    // Declarations in a DOCTYPE (entities) would be lost on writing the tree back, leaving `&name;`
    // references nothing defines: libvirt's XML never has them, so they are refused (found by fuzzing).
    if parsed.pointee.intSubset?.pointee.children != nil {
      xml.pointee.freeDoc(parsed)
      throw XMLError("invalid XML: a DOCTYPE with declarations (entities) is not supported; libvirt's XML has none")
    }
    document = parsed
    self.xml = xml
  }

  deinit {
    xml.pointee.freeDoc(document)
  }

  /// The root element.
  public var root: XMLElement? {
    xml.pointee.docGetRootElement(document).map { XMLElement(node: $0, tree: self) }
  }

  /// The document as text, with the XML declaration omitted (libvirt neither needs nor emits one).
  public func serialized() -> String {
    guard let rootNode = xml.pointee.docGetRootElement(document) else { return "" }
    return serialized(rootNode)
  }

  /// `node` as XML text.
  func serialized(_ node: xmlNodePtr) -> String {
    guard let buffer = xml.pointee.bufferCreate() else { return "" }
    defer { xml.pointee.bufferFree(buffer) }
    _ = xml.pointee.nodeDump(buffer, document, node, 0, 0)
    guard let content = xml.pointee.bufferContent(buffer) else { return "" }
    return String(cString: content)
  }

  /// Frees memory libxml2 allocated and handed over (xmlFree).
  func free(_ pointer: UnsafeMutableRawPointer) {
    xml.pointee.freeFunction.pointee?(pointer)
  }
}

/// An element inside an `XMLTree`; keeps the tree alive while it is used.
public struct XMLElement {
  let node: xmlNodePtr
  let tree: XMLTree
  var xml: ovsvirt_xml_api { tree.xml.pointee }

  public var name: String { node.pointee.name.map { String(cString: $0) } ?? "" }

  public func attribute(_ name: String) -> String? {
    guard let value = xml.getProp(node, name) else { return nil }
    defer { tree.free(value) }
    return String(cString: value)
  }

  /// Child elements, optionally only those called `name`, in document order.
  public func children(named name: String? = nil) -> [XMLElement] {
    var result: [XMLElement] = []
    forEachChild(named: name) {
      result.append($0)
      return true
    }
    return result
  }

  public func firstChild(named name: String) -> XMLElement? {
    var first: XMLElement?
    forEachChild(named: name) {
      first = $0
      return false
    }
    return first
  }

  /// Calls `body` with each child element called `name` (any name when nil) until it returns false.
  /// Names are compared as C strings, `name` converted once: making a Swift string of every
  /// child's name cost more than libxml2's parse when reading hundreds of domains.
  private func forEachChild(named name: String?, _ body: (XMLElement) -> Bool) {
    let strEqual = xml.strEqual
    func walk(_ wanted: UnsafePointer<xmlChar>?) {
      var child = node.pointee.children
      while let current = child {
        if current.pointee.type == XML_ELEMENT_NODE, wanted.map({ strEqual(current.pointee.name, $0) != 0 }) ?? true {
          guard body(XMLElement(node: current, tree: tree)) else { return }
        }
        child = current.pointee.next
      }
    }
    guard let name else { return walk(nil) }
    name.withCString { walk(UnsafeRawPointer($0).assumingMemoryBound(to: xmlChar.self)) }
  }
}

extension String {
  func trimmingTrailingNewline() -> String {
    var s = self
    while s.last == "\n" { s.removeLast() }
    return s
  }
}

// Editing, for patching libvirt XML in place: everything not touched (other elements,
// attributes, comments, whitespace) stays as it was.
extension XMLElement {
  public func setAttribute(_ name: String, _ value: String) {
    _ = xml.setProp(node, name, value)
  }

  public func removeAttribute(_ name: String) {
    _ = xml.unsetProp(node, name)
  }

  /// Names of the element's attributes, in document order.
  public var attributeNames: [String] {
    var names: [String] = []
    var attribute = node.pointee.properties
    while let current = attribute {
      if let name = current.pointee.name { names.append(String(cString: name)) }
      attribute = current.pointee.next
    }
    return names
  }

  /// Appends a new child element, or inserts it right after `sibling` when given.
  @discardableResult
  public func addChild(_ name: String, after sibling: XMLElement? = nil) -> XMLElement? {
    guard let child = xml.newDocNode(tree.document, nil, name, nil) else { return nil }
    if let sibling {
      _ = xml.addNextSibling(sibling.node, child)
    } else {
      _ = xml.addChild(node, child)
    }
    return XMLElement(node: child, tree: tree)
  }

  /// Unlinks the element from the tree and frees it (with the whitespace text node before it, so no
  /// blank line is left behind).
  public func remove() {
    if let previous = node.pointee.prev, previous.pointee.type == XML_TEXT_NODE,
      xml.isBlankNode(previous) != 0
    {
      xml.unlinkNode(previous)
      xml.freeNode(previous)
    }
    xml.unlinkNode(node)
    xml.freeNode(node)
  }

  /// The element alone as XML text.
  public func serialized() -> String {
    tree.serialized(node)
  }
}

extension XMLElement {
  /// The element's text content (e.g. `<uuid>`'s value); setting it replaces the children.
  public var text: String {
    get {
      guard let content = xml.nodeGetContent(node) else { return "" }
      defer { tree.free(content) }
      return String(cString: content)
    }
    nonmutating set {
      guard let escaped = xml.encodeSpecialChars(tree.document, newValue) else { return }
      defer { tree.free(escaped) }
      xml.nodeSetContent(node, escaped)
    }
  }
}
