import Foundation
import OVSDB
import Testing
import TestSupport

/// `watch --log-format json`: every line on standard error is one JSON object with the record's
/// time, level, logger, message and metadata, for journald and log shippers.
@Suite(.blockingWork) struct WatchLogFormatTests {
  @Test func everyLineIsOneJSONObject() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let log = db.sandbox.directory + "/watch.log"
    // libvirt is unreachable on purpose: watch logs that, with metadata, and keeps going.
    let watcher = try CLI.start(
      [
        "watch", "--db", db.remote, "--connect", "qemu+unix:///system?socket=/nonexistent/libvirt-sock",
        "--metrics", "off", "--log-format", "json",
      ], log: log)
    var stopped = false
    defer { if !stopped { _ = CLI.stop(watcher, signal: SIGKILL) } }
    func lines() -> [String] {
      ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
    #expect(await eventually { lines().contains { $0.contains("libvirt unreachable") } }, "\(lines())")
    stopped = true
    #expect(CLI.stop(watcher) == 0)
    let records = lines()
    #expect(!records.isEmpty)
    for line in records {
      let record = try JSONParser.parse(line)
      #expect(record["level"]?.stringValue != nil, "\(line)")
      #expect(record["message"]?.stringValue != nil, "\(line)")
      #expect(record["logger"] == "ovsvirt.watch", "\(line)")
      #expect(record["time"]?.stringValue?.hasSuffix("Z") == true, "\(line)")
    }
    let unreachable = try #require(records.first { $0.contains("libvirt unreachable") })
    let record = try JSONParser.parse(unreachable)
    #expect(record["level"] == "warning")
    #expect(record["libvirt"]?.stringValue?.hasPrefix("qemu+unix://") == true, "metadata as fields: \(unreachable)")
  }

  @Test func unknownFormatIsRefused() throws {
    let dir = try TemporaryDirectory.make("logfmt")
    let refused = try CLI.run(["watch", "--log-format", "xml", "--metrics", "off"], in: dir)
    #expect(refused.status == 1, "\(refused.stderr)")
  }
}
