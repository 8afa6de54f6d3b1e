/// One JSON-RPC 1.0 message as OVSDB uses it (RFC 7047 §4).
public enum RPCMessage: Sendable, Equatable {
  case request(id: JSON, method: String, params: [JSON])
  case response(id: JSON, result: JSON, error: JSON)
  case notification(method: String, params: [JSON])

  /// Classifies a parsed object; anything that is not one of the three shapes is a protocol error.
  public init(_ json: JSON) throws(OVSDBError) {
    guard case .object(let members) = json else {
      throw .protocolViolation("a JSON-RPC message must be an object, got \(json)")
    }
    if let method = members["method"] {
      guard case .string(let name) = method else {
        throw .protocolViolation("JSON-RPC \"method\" must be a string, got \(method)")
      }
      guard case .array(let params) = members["params"] ?? .array([]) else {
        throw .protocolViolation("JSON-RPC \"params\" of \(name) must be an array")
      }
      let id = members["id"] ?? .null
      self = id.isNull ? .notification(method: name, params: params) : .request(id: id, method: name, params: params)
      return
    }
    guard let id = members["id"], members["result"] != nil || members["error"] != nil else {
      throw .protocolViolation("JSON-RPC message is neither a request nor a response: \(json)")
    }
    self = .response(id: id, result: members["result"] ?? .null, error: members["error"] ?? .null)
  }

  /// The wire form of the message.
  public func encoded() -> [UInt8] {
    var writer = JSONWriter()
    switch self {
    case .request(let id, let method, let params):
      writer.writeRaw("{\"id\":")
      writer.write(id)
      writer.writeRaw(",\"method\":")
      writer.writeString(method)
      writer.writeRaw(",\"params\":")
      writer.write(.array(params))
    case .response(let id, let result, let error):
      writer.writeRaw("{\"id\":")
      writer.write(id)
      writer.writeRaw(",\"result\":")
      writer.write(result)
      writer.writeRaw(",\"error\":")
      writer.write(error)
    case .notification(let method, let params):
      writer.writeRaw("{\"id\":null,\"method\":")
      writer.writeString(method)
      writer.writeRaw(",\"params\":")
      writer.write(.array(params))
    }
    writer.writeRaw("}")
    return writer.bytes
  }
}
