import Foundation
import OVSDB
import Testing
import TestSupport

/// `--timeout` bounds a whole OVS command: against a server that accepts and then never answers,
/// or starts an answer it never finishes, every command ends within --timeout + 1 s with exit 2
/// and a message naming --timeout. Values that cannot be a timeout are refused (exit 1).
@Suite struct CLITimeoutTests {
  /// How a scripted peer misbehaves.
  enum Peer: String, Sendable, CaseIterable, CustomTestStringConvertible {
    /// Accepts the connection and reads every request; answers none.
    case silent
    /// Answers the first request with a message whose string never closes.
    case unterminated
    /// Answers the schema and the monitor (a switch with bridge br0) like ovsdb-server, then
    /// never answers a transaction: the reads succeed, the write waits.
    case silentOnWrites
    /// Answers the schema and the monitor like silentOnWrites, each 1.2 s late: every request is
    /// answered within --timeout 2, the command as a whole is not.
    case slowReads

    var testDescription: String { rawValue }
  }

  struct Case: Sendable, CustomTestStringConvertible {
    var peer: Peer
    var command: [String]
    var testDescription: String { "\(command.joined(separator: " ")) against a \(peer) server" }
  }

  static let cases: [Case] =
    [Peer.silent, .unterminated].flatMap { peer in
      [["show"], ["port", "add", "br0", "p1"], ["bridge", "list"], ["apply", "SPEC"]].map {
        Case(peer: peer, command: $0)
      }
    } + [
      Case(peer: .silentOnWrites, command: ["port", "add", "br0", "p1"]),
      Case(peer: .silentOnWrites, command: ["bridge", "add", "br1"]),
      Case(peer: .silentOnWrites, command: ["apply", "SPEC"]),
      Case(peer: .slowReads, command: ["show"]),
      Case(peer: .slowReads, command: ["port", "add", "br0", "p1"]),
    ]

  /// Seconds; the messages are checked for "within --timeout 2s".
  static let timeout = 2.0

  @Test(arguments: cases)
  func commandEndsWithinTheTimeout(_ testCase: Case) async throws {
    let dir = try TemporaryDirectory.make("tmo")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let spec = dir + "/spec.yaml"
    try "bridges:\n  - name: br0\n    ports: [{name: p1, access: 10}]\n".write(
      toFile: spec, atomically: true, encoding: .utf8)
    let arguments =
      testCase.command.map { $0 == "SPEC" ? spec : $0 } + ["--timeout", "2"]
    // Against silentOnWrites the command must reach its write before the 2 s run out: on a machine
    // swamped by the suite's start (every suite starting its daemons at once) a debug ovsvirt once
    // spent them all before it, which proves nothing either way. Such a run is tried again (each run
    // is still held to every bound), at most three times.
    for attempt in 1...3 {
      let server = try await ScriptedServer(
        socketPath: dir + "/db\(attempt).sock", script: try Self.script(testCase.peer))
      let run = try await TimedRun.start(
        arguments + ["--db", "unix:" + server.path], in: dir, killAfter: .seconds(Self.timeout + 20))
      await server.close()
      #expect(run.status == 2, "\(run.output)")
      #expect(run.output.contains("within --timeout 2s"), "\(run.output)")
      // The second of slack is for ovsvirt's own start and exit, which a sanitizer slows down.
      #expect(run.elapsed < Self.timeout + Integration.slowdown, "took \(run.elapsed)s: \(run.output)")
      // It gave up because of the timeout, not because of something else that was quicker.
      #expect(run.elapsed >= Self.timeout - 0.1, "took \(run.elapsed)s: \(run.output)")
      guard testCase.peer == .silentOnWrites else { return }
      if server.received.contains(where: { $0["method"] == "transact" }) { return }
      if attempt == 3 {
        Issue.record("in 3 runs the write was never sent before the timeout: \(run.output)")
      }
    }
  }

  @Test(arguments: ["inf", "-inf", "nan", "0", "-1", "1e10", "86401", "1e400"])
  func impossibleTimeoutsAreRefused(_ value: String) async throws {
    let dir = try TemporaryDirectory.make("tmv")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for command in [["show"], ["port", "add", "br0", "p1"], ["bridge", "list"]] {
      let run = try await TimedRun.start(
        command + ["--db", "unix:\(dir)/none.sock", "--timeout=\(value)"], in: dir, killAfter: .seconds(20))
      #expect(run.status == 1, "\(command) --timeout \(value): \(run.output)")
      #expect(run.output.contains("--timeout") && run.output.contains("at most 86400"), "\(run.output)")
      #expect(!run.output.contains("crashed"), "\(run.output)")
    }
  }

  @Test func aDayIsTheLongestTimeout() async throws {
    let dir = try TemporaryDirectory.make("tmd")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Accepted: the command then fails only because nothing listens there.
    let run = try await TimedRun.start(
      ["show", "--db", "unix:\(dir)/none.sock", "--timeout", "86400"], in: dir, killAfter: .seconds(20))
    #expect(run.status == 2, "\(run.output)")
    #expect(run.output.contains("cannot connect"), "\(run.output)")
  }

  @Test(arguments: ["inf", "nan", "0", "1e10"])
  func impossibleWatchIntervalsAreRefused(_ value: String) async throws {
    let dir = try TemporaryDirectory.make("twi")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let run = try await TimedRun.start(
      ["watch", "--db", "unix:\(dir)/none.sock", "--metrics", "off", "--interval=\(value)"], in: dir,
      killAfter: .seconds(20))
    #expect(run.status == 1, "\(run.output)")
    #expect(run.output.contains("--interval"), "\(run.output)")
  }

  static func script(_ peer: Peer) throws -> @Sendable (String, JSON) -> ScriptedServer.Reply {
    switch peer {
    case .silent:
      return { _, _ in .silence }
    case .unterminated:
      return { _, message in
        let id = message["id"]?.intValue ?? 0
        return .raw(Array(#"{"id":\#(id),"result":{"Open_vSwitch":"never closed "#.utf8))
      }
    case .silentOnWrites, .slowReads:
      let schema = try JSONParser.parse(
        try String(contentsOfFile: "/usr/share/openvswitch/vswitch.ovsschema", encoding: .utf8))
      let (root, bridge) = ("11111111-0000-0000-0000-000000000001", "22222222-0000-0000-0000-000000000002")
      let dump: JSON = [
        "Open_vSwitch": [root: ["initial": ["bridges": ["uuid", .string(bridge)], "next_cfg": 1, "cur_cfg": 1]]],
        "Bridge": [bridge: ["initial": ["name": "br0"]]],
      ]
      let delay: Duration = peer == .slowReads ? .milliseconds(1200) : .zero
      return { method, _ in
        switch method {
        case "get_schema": return .delayedResult(schema, delay: delay)
        case "monitor_cond_since":
          return .delayedResult([false, "00000000-0000-0000-0000-000000000000", dump], delay: delay)
        default: return .silence
        }
      }
    }
  }
}

/// Runs the built `ovsvirt` and times it from launch to exit. The wait is on a thread of its own:
/// the test's task may resume late when other suites keep the shared threads busy, the exit time is
/// taken when the process ends. One that outlives `killAfter` is killed, so a regression fails the
/// test instead of hanging the suite.
struct TimedRun: Sendable {
  var status: Int32
  /// Standard output and error together.
  var output: String
  var elapsed: Double
  var killed = false

  static func start(_ arguments: [String], in directory: String, killAfter limit: Duration) async throws -> TimedRun {
    let log = directory + "/cli-\(UUID().uuidString).log"
    defer { try? FileManager.default.removeItem(atPath: log) }
    let started = ContinuousClock.now
    let pid = try CLI.start(arguments, log: log)
    var run = await withCheckedContinuation { (continuation: CheckedContinuation<TimedRun, Never>) in
      Thread.detachNewThread {
        continuation.resume(returning: waitForExit(pid, started: started, limit: limit))
      }
    }
    run.output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    if run.killed { Issue.record("ovsvirt \(arguments.joined(separator: " ")) still running after \(limit): killed") }
    return run
  }

  private static func waitForExit(_ pid: pid_t, started: ContinuousClock.Instant, limit: Duration) -> TimedRun {
    var status: Int32 = 0
    var killed = false
    while waitpid(pid, &status, WNOHANG) == 0 {
      if ContinuousClock.now - started > limit {
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        killed = true
        break
      }
      usleep(2_000)
    }
    let elapsed = ContinuousClock.now - started
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return TimedRun(
      status: exitStatus, output: "",
      elapsed: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, killed: killed)
  }
}
