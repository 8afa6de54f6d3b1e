import Foundation
import OVSDB
import Testing
import TestSupport

/// `watch` measures through swift-metrics with swift-prometheus as the backend: the text its endpoint
/// serves passes `promtool check metrics`, and a real Prometheus scraping the running daemon answers
/// queries for its series. Without libvirt (watch keeps the spec only), so it runs on any machine
/// with Open vSwitch and Prometheus installed.
@Suite(.blockingWork) struct WatchPrometheusTests {
  static let noLibvirt = "qemu+unix:///system?socket=/nonexistent/libvirt-sock"

  @Test func promtoolAcceptsTheTextAndPrometheusQueriesTheSeries() async throws {
    let curl = try Integration.program("curl")
    let promtool = try Integration.program("promtool")
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let dir = db.sandbox.directory
    let spec = dir + "/spec.yaml"
    try Self.spec(ports: ["{name: mp0, type: internal, access: 10}"]).write(
      toFile: spec, atomically: true, encoding: .utf8)
    let log = dir + "/watch.log"
    let watcher = try CLI.start(
      ["watch", "--spec", spec, "--db", db.remote, "--connect", Self.noLibvirt, "--metrics", "127.0.0.1:0"], log: log)
    var stopped = false
    defer { if !stopped { _ = CLI.stop(watcher, signal: SIGKILL) } }
    func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    #expect(await eventually { logText().contains("corrected: + bridge mbr0") }, "\(logText())")
    let port = try #require(
      logText().components(separatedBy: "metrics on http://127.0.0.1:").dropFirst().first?.split(separator: "/").first,
      "\(logText())")
    let target = "127.0.0.1:\(port)"

    // The exposition as scraped, checked by promtool (its lint included: HELP, TYPE, names, units).
    let exposition = try CLI.runProgram(curl, ["-sf", "http://\(target)/metrics"], in: dir)
    let scraped = dir + "/scraped.prom"
    try exposition.write(toFile: scraped, atomically: true, encoding: .utf8)
    let check = try CLI.runProgram(
      "/bin/sh", ["-c", #""$0" check metrics < "$1" 2>&1; echo "exit $?""#, promtool, scraped], in: dir)
    #expect(check.hasSuffix("exit 0\n"), "promtool check metrics:\n\(check)\non:\n\(exposition)")
    #expect(exposition.contains("# TYPE ovsvirt_watch_reconcile_seconds histogram"), "\(exposition)")

    let prometheus = try await PrivatePrometheus.start(scraping: target)
    defer { prometheus.stop() }
    // Every family, as Prometheus stored it from its scrapes.
    let families = [
      "ovsvirt_watch_reconciles_total", "ovsvirt_watch_corrections_total", "ovsvirt_watch_drift_detected_total",
      "ovsvirt_watch_problems_total", "ovsvirt_watch_reconcile_seconds_bucket", "ovsvirt_watch_reconcile_seconds_sum",
      "ovsvirt_watch_reconcile_seconds_count", "ovsvirt_watch_drift_corrected_seconds_bucket",
      "ovsvirt_watch_drift_corrected_seconds_count", "ovsvirt_watch_last_reconcile_seconds",
      "ovsvirt_watch_ovsdb_connected", "ovsvirt_watch_libvirt_connected", "ovsvirt_watch_known_ports",
      "ovsvirt_watch_known_vms", "ovsvirt_watch_known_state_age_seconds",
    ]
    func stored() -> Set<String> {
      Set(
        ((try? prometheus.values(#"count by (__name__) ({__name__=~"ovsvirt_watch_.+"})"#, by: "__name__")) ?? [:])
          .keys)
    }
    #expect(await eventually { stored().isSuperset(of: families) }, "missing: \(Set(families).subtracting(stored()))")
    func value(_ promql: String, _ label: String = "") -> Double? {
      (try? prometheus.values(promql, by: label))?.values.first
    }
    #expect(value(#"ovsvirt_watch_corrections_total{kind="spec_added"}"#).map { $0 >= 2 } == true)
    #expect(value("ovsvirt_watch_drift_corrected_seconds_count").map { $0 >= 1 } == true)
    #expect(value("ovsvirt_watch_ovsdb_connected") == 1)
    #expect(value("ovsvirt_watch_libvirt_connected") == 0)
    #expect(value("ovsvirt_watch_known_state_age_seconds") == -1, "libvirt was never read")
    #expect(value(#"up{job="ovsvirt"}"#) == 1)

    // Drift by hand: watch puts the tag back, and the correction is counted by kind.
    _ = try db.oracle("ovs-vsctl", "--no-wait", "set", "Port", "mp0", "tag=99")
    #expect(await eventually { Self.column(db, "mp0", "tag") == "10" }, "\(logText())")
    #expect(
      await eventually { value(#"ovsvirt_watch_corrections_total{kind="spec_changed"}"#).map { $0 >= 1 } == true },
      "\(String(describing: try? prometheus.query("ovsvirt_watch_corrections_total")))")
    #expect(await eventually { value("ovsvirt_watch_drift_detected_total").map { $0 >= 2 } == true })

    stopped = true
    #expect(CLI.stop(watcher) == 0)
    #expect(logText().contains("stopping"))
    #expect(await eventually { value(#"up{job="ovsvirt"}"#) == 0 }, "Prometheus still reaches the stopped daemon")
  }

  /// On swift-service-lifecycle: SIGHUP reads the spec again, SIGINT (as SIGTERM) stops with 0.
  @Test func reloadsOnSIGHUPAndStopsOnSIGINT() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let dir = db.sandbox.directory
    let spec = dir + "/spec.yaml"
    try Self.spec(ports: ["{name: rp0, type: internal, access: 10}"]).write(
      toFile: spec, atomically: true, encoding: .utf8)
    let log = dir + "/watch.log"
    let watcher = try CLI.start(
      ["watch", "--spec", spec, "--db", db.remote, "--connect", Self.noLibvirt, "--metrics", "off"], log: log)
    var stopped = false
    defer { if !stopped { _ = CLI.stop(watcher, signal: SIGKILL) } }
    func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    #expect(await eventually { Self.column(db, "rp0", "tag") == "10" }, "\(logText())")

    try Self.spec(ports: ["{name: rp0, type: internal, access: 10}", "{name: rp1, type: internal, access: 11}"])
      .write(toFile: spec, atomically: true, encoding: .utf8)
    kill(watcher, SIGHUP)
    #expect(await eventually { Self.column(db, "rp1", "tag") == "11" }, "\(logText())")
    #expect(logText().contains("reloaded \(spec)"))
    #expect(kill(watcher, 0) == 0, "SIGHUP ended the daemon")

    stopped = true
    #expect(CLI.stop(watcher, signal: SIGINT) == 0, "\(logText())")
    #expect(logText().hasSuffix("stopping\n"), "\(logText())")
  }

  /// A column as ovs-vsctl prints it, without its newline.
  static func column(_ db: PrivateOVSDB, _ port: String, _ column: String) -> String? {
    (try? db.oracle("ovs-vsctl", "get", "Port", port, column))?.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  static func spec(ports: [String]) -> String {
    """
    bridges:
      - name: mbr0
        ports: [\(ports.joined(separator: ", "))]
    """
  }
}
