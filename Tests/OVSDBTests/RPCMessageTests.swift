import Testing

@testable import OVSDB

@Suite struct RPCMessageTests {
  @Test func classifiesMessages() throws {
    #expect(try RPCMessage(["id": 3, "result": [1], "error": nil]) == .response(id: 3, result: [1], error: nil))
    #expect(
      try RPCMessage(["id": "echo", "method": "echo", "params": []]) == .request(id: "echo", method: "echo", params: [])
    )
    #expect(
      try RPCMessage(["id": nil, "method": "update", "params": [nil, [:]]])
        == .notification(method: "update", params: [nil, [:]]))
  }

  @Test func rejectsShapesThatAreNotJSONRPC() {
    for bad: JSON in [[1], ["method": 5, "params": []], ["method": "x", "params": 1], ["foo": 1], ["id": 1]] {
      #expect(throws: OVSDBError.self, "\(bad)") { try RPCMessage(bad) }
    }
  }

  @Test func encodesRequestsAsOVSDBExpects() throws {
    let bytes = RPCMessage.request(
      id: 7, method: "transact", params: ["Open_vSwitch", ["op": "comment", "comment": "hi"]]
    ).encoded()
    #expect(
      String(decoding: bytes, as: UTF8.self)
        == #"{"id":7,"method":"transact","params":["Open_vSwitch",{"comment":"hi","op":"comment"}]}"#)
    #expect(
      try RPCMessage(JSONParser.parse(bytes))
        == .request(id: 7, method: "transact", params: ["Open_vSwitch", ["op": "comment", "comment": "hi"]]))
  }

  @Test func parsesRemotes() throws {
    #expect(try Endpoint("unix:/run/openvswitch/db.sock") == .unix(path: "/run/openvswitch/db.sock"))
    #expect(try Endpoint("tcp:127.0.0.1:6640") == .tcp(host: "127.0.0.1", port: 6640))
    #expect(try Endpoint("tcp:[::1]:6640") == .tcp(host: "::1", port: 6640))
    #expect(Endpoint.tcp(host: "::1", port: 6640).description == "tcp:[::1]:6640")
    for bad in ["", "unix:", "tcp:host", "tcp::6640", "tcp:h:0", "tcp:h:70000", "ssl:h:6640", "/run/db.sock"] {
      #expect(throws: OVSDBError.invalidEndpoint(bad)) { try Endpoint(bad) }
    }
  }
}
