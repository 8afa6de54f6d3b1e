import Testing

@testable import OVSDB

@Suite struct RPCMessageTests {
  func inbound(_ text: String) throws -> InboundMessage {
    try Array(text.utf8).withUnsafeBytes { buffer throws(OVSDBError) in try InboundMessage(bytes: buffer) }
  }

  @Test func classifiesMessages() throws {
    #expect(try inbound(#"{"id":3,"result":[1],"error":null}"#) == .response(id: 3, result: [1], error: nil))
    #expect(
      try inbound(#"{"id":"echo","method":"echo","params":[]}"#) == .request(id: "echo", method: "echo", params: []))
    #expect(
      try inbound(#" { "method" : "update", "params" : [null, {}], "id" : null } "#)
        == .notification(method: "update", params: [nil, [:]]))
    // The payload stays raw, byte for byte.
    guard case .response(_, let result, _) = try inbound(#"{"id":1,"result": {"b" : [1, 2]},"error":null}"#) else {
      Issue.record("not a response")
      return
    }
    #expect(result.description == #"{"b" : [1, 2]}"#)
  }

  @Test func rejectsShapesThatAreNotJSONRPC() {
    for bad in [
      "[1]", #"{"method":5,"params":[]}"#, #"{"method":"x","params":1}"#, #"{"foo":1}"#, #"{"id":1}"#,
      #"{"id":1,"result":[tru]}"#, #"{"id":1,"result":"\u00"}"#, #"{"id":1,"result":1} x"#,
    ] {
      #expect(throws: OVSDBError.self, "\(bad)") { try inbound(bad) }
    }
    // Invalid UTF-8 inside a raw payload is caught when the message arrives, not later.
    let bytes: [UInt8] = Array(#"{"id":1,"result":[""#.utf8) + [0xC0, 0xAF] + Array(#""]}"#.utf8)
    #expect(throws: OVSDBError.self) {
      try bytes.withUnsafeBytes { buffer throws(OVSDBError) in try InboundMessage(bytes: buffer) }
    }
  }

  @Test func encodesRequestsAsOVSDBExpects() throws {
    let bytes = RPCMessage.request(
      id: 7, method: "transact", params: ["Open_vSwitch", ["op": "comment", "comment": "hi"]]
    ).encoded()
    #expect(
      String(decoding: bytes, as: UTF8.self)
        == #"{"id":7,"method":"transact","params":["Open_vSwitch",{"comment":"hi","op":"comment"}]}"#)
  }

  @Test func parsesRemotes() throws {
    #expect(try Endpoint("unix:/run/openvswitch/db.sock") == .unix(path: "/run/openvswitch/db.sock"))
    #expect(try Endpoint("tcp:127.0.0.1:6640") == .tcp(host: "127.0.0.1", port: 6640))
    #expect(try Endpoint("tcp:[::1]:6640") == .tcp(host: "::1", port: 6640))
    #expect(Endpoint.tcp(host: "::1", port: 6640).description == "tcp:[::1]:6640")
    #expect(try Endpoint("ssl:10.0.0.1:6641") == .ssl(host: "10.0.0.1", port: 6641))
    for bad in ["", "unix:", "tcp:host", "tcp::6640", "tcp:h:0", "tcp:h:70000", "ssl:h", "tls:h:6640", "/run/db.sock"] {
      #expect(throws: OVSDBError.invalidEndpoint(bad)) { try Endpoint(bad) }
    }
  }
}
