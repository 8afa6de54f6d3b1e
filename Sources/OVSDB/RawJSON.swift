/// The undecoded bytes of one JSON value, already checked to be well-formed. The RPC layer keeps
/// `params` and `result` this way, so a 10,000-row monitor dump is decoded once, straight into
/// the OVSDB value model, instead of through a generic JSON tree.
public struct RawJSON: Sendable, CustomStringConvertible {
  public let bytes: [UInt8]

  /// Wraps bytes the caller vouches are one well-formed JSON value.
  init(validated bytes: [UInt8]) {
    self.bytes = bytes
  }

  public init(_ value: JSON) {
    var writer = JSONWriter()
    writer.write(value)
    bytes = writer.bytes
  }

  /// The generic JSON tree.
  public func parse() throws(JSONParseError) -> JSON {
    try JSONParser.parse(bytes)
  }

  public var description: String { String(decoding: bytes, as: UTF8.self) }
}

extension RawJSON: Equatable {
  /// Equal when they mean the same JSON (whitespace and member order aside).
  public static func == (a: RawJSON, b: RawJSON) -> Bool {
    if a.bytes == b.bytes { return true }
    guard let x = try? a.parse(), let y = try? b.parse() else { return false }
    return x == y
  }
}

extension RawJSON: ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByStringLiteral {
  public init(arrayLiteral elements: JSON...) { self.init(.array(elements)) }
  public init(dictionaryLiteral elements: (String, JSON)...) {
    self.init(.object(Dictionary(elements, uniquingKeysWith: { _, last in last })))
  }
  public init(stringLiteral value: String) { self.init(.string(value)) }
}
