import Foundation
import OVSDB
import Testing
import TestSupport

/// What a real server never sends, from a scripted peer: every bad message fails the call with a
/// clear error and resets the connection; nothing crashes.
@Suite struct MisbehavingServerTests {
  func withServer(
    _ script: @escaping @Sendable (String, JSON) -> ScriptedServer.Reply,
    _ body: (ScriptedServer) async throws -> Void
  ) async throws {
    let dir = try TemporaryDirectory.make("fake")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let server = try await ScriptedServer(socketPath: dir + "/db.sock", script: script)
    do {
      try await body(server)
    } catch {
      await server.close()
      throw error
    }
    await server.close()
  }

  func expectViolation(_ reply: ScriptedServer.Reply, containing text: String, maxMessageBytes: Int = 1 << 20)
    async throws
  {
    try await withServer({ _, _ in reply }) { server in
      let rpc = try await RPCConnection.connect(to: .unix(path: server.path), maxMessageBytes: maxMessageBytes)
      do {
        _ = try await rpc.call("list_dbs", timeout: .seconds(5))
        Issue.record("call succeeded despite \(text)")
      } catch let error as OVSDBError {
        #expect(error.description.contains(text), "\(error)")
      }
      #expect(await eventually(timeout: .seconds(5)) { !rpc.isActive })
    }
  }

  @Test func malformedJSONResetsTheConnection() async throws {
    try await expectViolation(.raw(Array(#"{"id":1,"result":[tru],"error":null}"#.utf8)), containing: "invalid JSON")
  }

  @Test func invalidUTF8ResetsTheConnection() async throws {
    try await expectViolation(
      .raw(Array(#"{"id":1,"result":[""#.utf8) + [0xFF, 0xFE] + Array(#""],"error":null}"#.utf8)), containing: "UTF-8")
  }

  @Test func nonObjectBetweenMessagesResetsTheConnection() async throws {
    try await expectViolation(.raw(Array("[1,2,3]".utf8)), containing: "expected a JSON object")
  }

  @Test func numberBeyondADoubleResetsTheConnection() async throws {
    // As ovsdb-server's own parser: out of range, not infinity.
    try await expectViolation(
      .raw(Array(#"{"id":1,"result":[1e400],"error":null}"#.utf8)), containing: "outside the range of a double")
    try await expectViolation(
      .raw(Array(#"{"id":1,"result":{"x":-1e9999999999},"error":null}"#.utf8)), containing: "exponent outside")
  }

  @Test func notJSONRPCResetsTheConnection() async throws {
    try await expectViolation(.raw(Array(#"{"hello":"world"}"#.utf8)), containing: "neither a request nor a response")
  }

  @Test func truncatedMessageThenCloseFailsClearly() async throws {
    try await expectViolation(.rawThenClose(Array(#"{"id":1,"result":["Open_vS"#.utf8)), containing: "truncated")
  }

  /// A peer that resets the connection (a server killed mid-request, over TCP) has closed it, as a
  /// clean close does: the call fails with `connectionClosed`, which callers that reconnect or read
  /// again recover from, not with a protocol violation.
  @Test func aResetConnectionIsAClosedOne() async throws {
    let peer = try ResettingPeer()
    let rpc = try await RPCConnection.connect(to: .tcp(host: "127.0.0.1", port: peer.port))
    do {
      _ = try await rpc.call("list_dbs", timeout: .seconds(5))
      Issue.record("call succeeded on a reset connection")
    } catch let error as OVSDBError {
      #expect(error == .connectionClosed(method: "list_dbs"), "\(error)")
    }
    #expect(await eventually(timeout: .seconds(5)) { !rpc.isActive })
  }

  @Test func oversizedMessageResetsTheConnection() async throws {
    let huge = #"{"id":1,"result":[""# + String(repeating: "x", count: 100_000) + #""],"error":null}"#
    try await expectViolation(.raw(Array(huge.utf8)), containing: "larger than 4096 bytes", maxMessageBytes: 4096)
  }

  @Test func tooDeepMessageResetsTheConnection() async throws {
    let deep =
      #"{"id":1,"result":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
      + #","error":null}"#
    try await expectViolation(.raw(Array(deep.utf8)), containing: "nested deeper")
  }

  @Test func messagesSplitAcrossWritesAndBackToBack() async throws {
    // Two answers and a notification glued together, then a reply split mid-escape.
    try await withServer({ method, message in
      let id = message["id"] ?? .null
      if method == "list_dbs" {
        let first = RPCMessage.response(id: id, result: ["A\"B"], error: nil).encoded()
        let note = RPCMessage.notification(method: "update2", params: ["m", [:]]).encoded()
        return .raw(first + note)
      }
      return .result("\u{1F600}")
    }) { server in
      let rpc = try await RPCConnection.connect(to: .unix(path: server.path))
      #expect(try await rpc.call("list_dbs") == ["A\"B"])
      #expect(try await rpc.call("other") == "😀")
      var iterator = rpc.events.makeAsyncIterator()
      #expect(await iterator.next() == .notification(method: "update2", params: ["m", [:]]))
      await rpc.close()
    }
  }

  @Test func serverEchoIsAnswered() async throws {
    try await withServer({ method, message in
      if method == "list_dbs" {
        // Probe the client before answering.
        return .raw(RPCMessage.request(id: "probe-1", method: "echo", params: ["x"]).encoded())
      }
      return .silence
    }) { server in
      let rpc = try await RPCConnection.connect(to: .unix(path: server.path))
      _ = try? await rpc.call("list_dbs", timeout: .milliseconds(300))
      #expect(await eventually { server.received.contains { $0["id"] == "probe-1" } })
      let answer = try #require(server.received.first { $0["id"] == "probe-1" })
      #expect(answer["result"] == ["x"])
      #expect(answer["error"] == .null)
      await rpc.close()
    }
  }

  @Test func cancelIsSentAsRFC7047Notification() async throws {
    try await withServer({ _, _ in .silence }) { server in
      let rpc = try await RPCConnection.connect(to: .unix(path: server.path))
      let client = OVSDBClient(rpc: rpc)
      let id = rpc.peekNextID()
      let pending = Task { try await rpc.call("transact", ["Open_vSwitch"], timeout: .seconds(30)) }
      #expect(await eventually { server.received.count == 1 })
      try await client.cancel(requestID: id)
      #expect(await eventually { server.received.count == 2 })
      #expect(server.received.last == ["id": nil, "method": "cancel", "params": [.int(id)]])
      pending.cancel()
      await rpc.close()
    }
  }

  @Test func callsTimeOutWithTheMethodNamed() async throws {
    try await withServer({ _, _ in .silence }) { server in
      let rpc = try await RPCConnection.connect(to: .unix(path: server.path))
      await #expect(throws: OVSDBError.timedOut(method: "list_dbs", seconds: 0.2)) {
        _ = try await rpc.call("list_dbs", timeout: .milliseconds(200))
      }
      #expect(rpc.isActive)
      await rpc.close()
    }
  }

  /// Every request of `start` (the schema too) waits at most the call timeout, and none past the
  /// deadline. Judged by the error (what was waited for, and how long it was allowed), not by the
  /// clock: this test's task may resume late when other suites keep the shared threads busy.
  @Test(arguments: [(Duration.milliseconds(300), nil), (.seconds(30), Duration.milliseconds(300))])
  func replicaStartEndsWithinItsTimeouts(callTimeout: Duration, deadlineIn: Duration?) async throws {
    try await withServer({ _, _ in .silence }) { server in
      var options = ReplicaClient.Options()
      options.probeInterval = nil
      options.callTimeout = callTimeout
      options.deadline = deadlineIn.map { ContinuousClock.now + $0 }
      let client = ReplicaClient(remote: "unix:" + server.path, tables: ["Bridge": ["name"]], options: options)
      do {
        try await client.start()
        Issue.record("a silent server was replicated")
      } catch let error as OVSDBError {
        switch error {
        case .timedOut(method: "get_schema", let seconds): #expect(seconds <= 0.3, "\(error)")
        // The deadline ran out before get_schema was sent (or, on a loaded machine, before the
        // connection was even made): also bounded, never waited for.
        case .deadlinePassed: #expect(deadlineIn != nil, "\(error)")
        default: Issue.record("\(error)")
        }
      }
      await client.close()
    }
  }

  @Test func silentServerIsDetectedByTheInactivityProbe() async throws {
    // A server that answers the monitor and then goes silent (e.g. wedged): echo probes get no
    // answer, so the client drops the connection and reconnects (syncCount grows).
    let schema = try String(contentsOfFile: "/usr/share/openvswitch/vswitch.ovsschema", encoding: .utf8)
    let schemaJSON = try JSONParser.parse(schema)
    try await withServer({ method, _ in
      switch method {
      case "get_schema": return .result(schemaJSON)
      case "monitor_cond_since": return .result([false, "00000000-0000-0000-0000-000000000000", [:]])
      default: return .silence
      }
    }) { server in
      var options = ReplicaClient.Options()
      options.probeInterval = .milliseconds(200)
      options.backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))
      let client = ReplicaClient(remote: "unix:" + server.path, tables: ["Bridge": ["name"]], options: options)
      _ = try await client.start()
      #expect(await eventually(timeout: .seconds(120)) { await client.syncCount >= 2 })
      #expect(server.received.contains { $0["method"] == "echo" })
      await client.close()
    }
  }

  @Test func olderServerRefusingNewerMonitorsIsFollowedWithTheOldest() async throws {
    // An ovsdb-server before 2.9 knows neither monitor_cond_since nor monitor_cond.
    let schemaJSON = try JSONParser.parse(
      try String(contentsOfFile: "/usr/share/openvswitch/vswitch.ovsschema", encoding: .utf8))
    let a = "aaaaaaaa-0000-0000-0000-000000000001"
    try await withServer({ method, message in
      switch method {
      case "get_schema": return .result(schemaJSON)
      case "monitor": return .result(["Bridge": [a: ["new": ["name": "a"]]]])
      default:
        let id = message["id"] ?? .null
        return .raw(RPCMessage.response(id: id, result: .null, error: "unknown method").encoded())
      }
    }) { server in
      var options = ReplicaClient.Options()
      options.probeInterval = nil
      let client = ReplicaClient(remote: "unix:" + server.path, tables: ["Bridge": ["name"]], options: options)
      let replica = try await client.start()
      #expect(await client.monitorMethod == .monitor)
      #expect(
        server.received.compactMap { $0["method"]?.stringValue }.filter { $0.hasPrefix("monitor") } == [
          "monitor_cond_since", "monitor_cond", "monitor",
        ])
      #expect(replica.snapshot.rows("Bridge").values.compactMap { $0["name"]?.scalar?.stringValue } == ["a"])
      await client.close()
    }
  }

  @Test func resumeAppliesOnlyTheChangesSinceTheLastTransaction() async throws {
    // ovsdb-server 3.1 never answers found=true; this peer does, as newer servers with history do.
    let schemaJSON = try JSONParser.parse(
      try String(contentsOfFile: "/usr/share/openvswitch/vswitch.ovsschema", encoding: .utf8))
    let first = "11111111-1111-1111-1111-111111111111"
    let a = "aaaaaaaa-0000-0000-0000-000000000001"
    let b = "bbbbbbbb-0000-0000-0000-000000000002"
    let calls = Counter()
    try await withServer({ method, message in
      switch method {
      case "get_schema": return .result(schemaJSON)
      case "monitor_cond_since":
        if calls.increment() == 1 {
          return .result([false, .string(first), ["Bridge": [a: ["initial": ["name": "a"]]]]])
        }
        // Resume request must carry the id we handed out; answer with just the delta.
        let asked = message["params"]?.arrayValue?.last
        guard asked == .string(first) else { return .result([false, "22222222-2222-2222-2222-222222222222", [:]]) }
        return .result([true, "33333333-3333-3333-3333-333333333333", ["Bridge": [b: ["insert": ["name": "b"]]]]])
      default: return .silence
      }
    }) { server in
      var options = ReplicaClient.Options()
      options.probeInterval = nil
      options.backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(20))
      let client = ReplicaClient(remote: "unix:" + server.path, tables: ["Bridge": ["name"]], options: options)
      let replica = try await client.start()
      await client.disconnect()
      // Generous: under the full parallel suite, tests blocked in child processes hold the two pool
      // threads for long stretches; alone this takes milliseconds.
      #expect(await eventually(timeout: .seconds(120)) { await client.syncCount == 2 })
      #expect(await client.lastSyncResumed)
      let names = replica.snapshot.rows("Bridge").values.compactMap { $0["name"]?.scalar?.stringValue }.sorted()
      #expect(names == ["a", "b"])
      #expect(replica.lastTransactionID == "33333333-3333-3333-3333-333333333333")
      await client.close()
    }
  }
}
