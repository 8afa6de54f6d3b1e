/// One JSON-RPC 1.0 message as OVSDB uses it (RFC 7047 §4), for sending.
public enum RPCMessage: Sendable, Equatable {
  case request(id: JSON, method: String, params: [JSON])
  case response(id: JSON, result: JSON, error: JSON)
  case notification(method: String, params: [JSON])

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
