import Foundation
import NIOConcurrencyHelpers
import OVSDB
import OVSVirt
import Testing

/// A real Prometheus server (Debian's `prometheus`) scraping one target, for tests of what ovsvirt
/// exposes: its config and database live in a temporary directory, it listens on a free loopback
/// port, scrapes every 200 ms, and is stopped by `stop()`.
public final class PrivatePrometheus: Sendable {
  public let directory: String
  /// `http://127.0.0.1:PORT`.
  public let address: String
  let pid: pid_t
  let curl: String
  /// Set once the process is reaped, so that its pid is never signalled after it may be reused.
  private let exited = NIOLockedValueBox(false)

  private init(directory: String, address: String, pid: pid_t, curl: String) {
    self.directory = directory
    self.address = address
    self.pid = pid
    self.curl = curl
  }

  /// Starts Prometheus scraping `target` (HOST:PORT, path /metrics) and waits until it answers.
  public static func start(scraping target: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
    -> PrivatePrometheus
  {
    let prometheus = try Integration.program("prometheus", sourceLocation: sourceLocation)
    let curl = try Integration.program("curl", sourceLocation: sourceLocation)
    let directory = try TemporaryDirectory.make("prom")
    let config = directory + "/prometheus.yml"
    try """
    global:
      scrape_interval: 200ms
      scrape_timeout: 150ms
    scrape_configs:
      - job_name: ovsvirt
        static_configs:
          - targets: ['\(target)']
    """.write(toFile: config, atomically: true, encoding: .utf8)
    // A port picked free can be taken before Prometheus binds it: then try another.
    for attempt in 1...3 {
      let port = try FreePort.loopback()
      let pid = try CommandRunner.launch(
        prometheus,
        [
          "--config.file=\(config)", "--storage.tsdb.path=\(directory)/data-\(attempt)",
          "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ], stdout: directory + "/prometheus-\(attempt).log", stderr: nil)
      let server = PrivatePrometheus(directory: directory, address: "http://127.0.0.1:\(port)", pid: pid, curl: curl)
      if await eventually(timeout: .seconds(30), every: .milliseconds(100), { server.isReady || !server.isRunning }),
        server.isReady
      {
        return server
      }
      server.stop()
    }
    let log = (try? String(contentsOfFile: directory + "/prometheus-3.log", encoding: .utf8)) ?? ""
    throw Unavailable(reason: "prometheus did not start: \(log.suffix(2000))")
  }

  struct Unavailable: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
  }

  var isRunning: Bool {
    exited.withLockedValue { exited in
      guard !exited else { return false }
      var status: Int32 = 0
      exited = waitpid(pid, &status, WNOHANG) == pid
      return !exited
    }
  }

  var isReady: Bool {
    (try? CLI.runProgram(curl, ["-sf", "\(address)/-/ready"], in: directory)) != nil
  }

  /// The samples of an instant query (the HTTP API's `/api/v1/query`), each as `data.result`'s
  /// element: `{"metric": {...labels}, "value": [time, "value"]}`.
  public func query(_ promql: String) throws -> [JSON] {
    let body = try CLI.runProgram(
      curl, ["-sf", "--get", "--data-urlencode", "query=\(promql)", "\(address)/api/v1/query"], in: directory)
    let answer = try JSONParser.parse(body)
    guard answer["status"] == "success" else { throw Unavailable(reason: "query \(promql): \(body)") }
    return answer["data"]?["result"]?.arrayValue ?? []
  }

  /// The value of each sample of `promql`, by the value of its label `label`.
  public func values(_ promql: String, by label: String) throws -> [String: Double] {
    var values: [String: Double] = [:]
    for sample in try query(promql) {
      guard let text = sample["value"]?.arrayValue?.last?.stringValue, let value = Double(text) else { continue }
      values[sample["metric"]?[label]?.stringValue ?? ""] = value
    }
    return values
  }

  /// Stops the server (SIGTERM, then waits for it).
  public func stop() {
    exited.withLockedValue { exited in
      guard !exited else { return }
      kill(pid, SIGTERM)
      _ = CommandRunner.wait(pid)
      exited = true
    }
  }

  deinit {
    stop()
  }
}
