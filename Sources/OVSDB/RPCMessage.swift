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

extension RPCMessage {
  /// The wire form of a request whose params array is already encoded (every call either
  /// connection makes).
  static func call(id: Int64, method: String, encodedParams: [UInt8]) -> [UInt8] {
    var writer = JSONWriter(reservingCapacity: encodedParams.count + 48)
    writer.writeRaw("{\"id\":")
    writer.writeInteger(id)
    writer.writeRaw(",\"method\":")
    writer.writeString(method)
    writer.writeRaw(",\"params\":")
    writer.writeJSONFragment(encodedParams)
    writer.writeRaw("}")
    return writer.bytes
  }

  /// The client's answer to a request from the server: RFC 7047 §4.1.11 lets the server probe us
  /// with `echo`, answered with its params; any other method is not served.
  static func answer(id: JSON, method: String, params: RawJSON) -> [UInt8] {
    var writer = JSONWriter()
    writer.writeRaw("{\"id\":")
    writer.write(id)
    if method == "echo" {
      writer.writeRaw(",\"result\":")
      writer.writeJSONFragment(params.bytes)
      writer.writeRaw(",\"error\":null}")
    } else {
      writer.writeRaw(",\"result\":null,\"error\":")
      writer.writeString("unknown method \(method)")
      writer.writeRaw("}")
    }
    return writer.bytes
  }
}
