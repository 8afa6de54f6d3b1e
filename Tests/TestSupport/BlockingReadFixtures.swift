import Foundation
import OVSDB

/// Scripted servers for the blocking read (`BlockingConnection.readReplica`) and its fallback.
public enum BlockingReadFixtures {
  /// A server that knows get_schema and monitor_cond (a switch with bridge br0), not
  /// monitor_cond_since.
  public static func oldServer() throws -> @Sendable (String, JSON) -> ScriptedServer.Reply {
    let schema = try JSONParser.parse(
      try String(contentsOfFile: "/usr/share/openvswitch/vswitch.ovsschema", encoding: .utf8))
    let (root, bridge) = ("11111111-0000-0000-0000-000000000001", "22222222-0000-0000-0000-000000000002")
    let dump: JSON = [
      "Open_vSwitch": [root: ["initial": ["bridges": ["uuid", .string(bridge)]]]],
      "Bridge": [bridge: ["initial": ["name": "br0"]]],
    ]
    return { method, message in
      switch method {
      case "get_schema": return .result(schema)
      case "monitor_cond": return .result(dump)
      default:
        let id = message["id"]?.intValue ?? 0
        return .raw(Array(#"{"id":\#(id),"result":null,"error":"unknown method"}"#.utf8))
      }
    }
  }
}
