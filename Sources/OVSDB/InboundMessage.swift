/// A message as received: the routing fields (`id`, `method`, `error`) decoded, the payload
/// (`params`, `result`) validated but kept raw for whoever consumes it.
public enum InboundMessage: Sendable, Equatable {
  case request(id: JSON, method: String, params: RawJSON)
  case response(id: JSON, result: RawJSON, error: JSON)
  case notification(method: String, params: RawJSON)

  public init(bytes: UnsafeRawBufferPointer, maxDepth: Int = JSONParser.defaultMaxDepth) throws(OVSDBError) {
    var cursor = JSONParser.Cursor(buffer: bytes, maxDepth: maxDepth)
    var fields: [String: JSON] = [:]
    var raw: [String: RawJSON] = [:]
    do throws(JSONParseError) {
      cursor.skipWhitespace()
      guard try cursor.peek() == UInt8(ascii: "{") else {
        throw JSONParseError(reason: .unexpectedByte(bytes[cursor.position]), offset: cursor.position)
      }
      cursor.position += 1
      cursor.skipWhitespace()
      if try cursor.peek() == UInt8(ascii: "}") {
        cursor.position += 1
      } else {
        while true {
          cursor.skipWhitespace()
          guard try cursor.peek() == UInt8(ascii: "\"") else {
            throw JSONParseError(reason: .unexpectedByte(bytes[cursor.position]), offset: cursor.position)
          }
          let key = try cursor.parseString()
          cursor.skipWhitespace()
          guard try cursor.peek() == UInt8(ascii: ":") else {
            throw JSONParseError(reason: .unexpectedByte(bytes[cursor.position]), offset: cursor.position)
          }
          cursor.position += 1
          cursor.skipWhitespace()
          if key == "params" || key == "result" {
            let start = cursor.position
            try cursor.skipValue(depth: 1)
            raw[key] = RawJSON(validated: Array(UnsafeRawBufferPointer(rebasing: bytes[start..<cursor.position])))
          } else {
            fields[key] = try cursor.parseValue(depth: 1)
          }
          cursor.skipWhitespace()
          let next = try cursor.peek()
          cursor.position += 1
          if next == UInt8(ascii: "}") { break }
          guard next == UInt8(ascii: ",") else {
            throw JSONParseError(reason: .unexpectedByte(next), offset: cursor.position - 1)
          }
        }
      }
      cursor.skipWhitespace()
      guard cursor.position == bytes.count else { throw JSONParseError(reason: .trailingData, offset: cursor.position) }
    } catch {
      throw .protocolViolation("server sent \(error)")
    }

    if let method = fields["method"] {
      guard case .string(let name) = method else {
        throw .protocolViolation("JSON-RPC \"method\" must be a string, got \(method)")
      }
      let params = raw["params"] ?? RawJSON(validated: Array("[]".utf8))
      guard params.bytes.first == UInt8(ascii: "[") else {
        throw .protocolViolation("JSON-RPC \"params\" of \(name) must be an array")
      }
      let id = fields["id"] ?? .null
      self = id.isNull ? .notification(method: name, params: params) : .request(id: id, method: name, params: params)
      return
    }
    guard let id = fields["id"], raw["result"] != nil || fields["error"] != nil else {
      throw .protocolViolation(
        "JSON-RPC message is neither a request nor a response: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
    }
    self = .response(
      id: id, result: raw["result"] ?? RawJSON(validated: Array("null".utf8)), error: fields["error"] ?? .null)
  }
}
