import Foundation
import OVSDB
import Testing
import TestSupport

/// `--db` with several remotes, as OVS tools take them: the first that answers is used, by the
/// replica path (show) and the direct path (bridge add) alike; when none answers, exit 2 names each.
@Suite(.blockingWork) struct RemoteListTests {
  @Test func theFirstRemoteThatAnswersIsUsed() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let dir = db.sandbox.directory
    let remotes = "unix:\(dir)/absent.sock,\(db.remote)"
    let added = try await TimedRun.start(
      ["bridge", "add", "br-list", "--no-wait", "--db", remotes, "--timeout", "5"], in: dir, killAfter: .seconds(30))
    #expect(added.status == 0, "\(added.output)")
    #expect(try db.oracle("ovs-vsctl", "list-br").contains("br-list"))
    let shown = try await TimedRun.start(
      ["show", "--db", remotes, "--timeout", "5"], in: dir, killAfter: .seconds(30))
    #expect(shown.status == 0, "\(shown.output)")
    #expect(shown.output.contains("Bridge br-list"), "\(shown.output)")
  }

  @Test func noneAnsweringNamesEachRemote() async throws {
    let dir = try TemporaryDirectory.make("rl")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let remotes = ["unix:\(dir)/a.sock", "unix:\(dir)/b.sock"]
    for command in [["show"], ["bridge", "add", "br0", "--no-wait"]] {
      let run = try await TimedRun.start(
        command + ["--db", remotes.joined(separator: ","), "--timeout", "3"], in: dir, killAfter: .seconds(30))
      #expect(run.status == 2, "\(run.output)")
      #expect(run.output.contains("no usable OVSDB remote"), "\(run.output)")
      #expect(remotes.allSatisfy { run.output.contains("\($0): cannot connect") }, "\(run.output)")
    }
  }
}
