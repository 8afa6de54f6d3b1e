import ArgumentParser
import Foundation
import Logging
import Metrics
import OVSVirt
import Prometheus

struct WatchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "watch",
    abstract: "Keep OVS matching libvirt: reconcile on every OVSDB change, VM event, and periodically.",
    discussion: """
      A daemon for HA hosts: a port deleted or retagged by hand, ovs-vswitchd restarted, a VM started or
      migrated in — each is corrected by the same logic as `ovsvirt reconcile`. Reconnects to OVSDB and to
      libvirtd by itself. Logs one line per correction on standard error. Stops cleanly on SIGTERM/SIGINT.
      SIGHUP (systemctl reload) reads --spec again: from then on the new spec is kept; a spec with problems
      is reported and the one in force stays.
      """)
  @OptionGroup var options: SwitchOptions
  @OptionGroup var libvirt: LibvirtOptions
  @Option(help: "Seconds between full reconciles when nothing happens.") var interval: Double = 30
  @Option(help: "Only this domain (repeatable); default: every running domain.") var domain: [String] = []
  @Option(
    help:
      "Also keep OVS as this spec says (bridges, fake bridges, ports, tunnels), e.g. after ovsdb-server restarts empty."
  )
  var spec: String?
  @Option(help: "This host's name in the spec's cluster (default: the short hostname).") var host: String?
  @Option(help: "Log lines as text, or json (one object per line, for journald and log shippers).")
  var logFormat: LogFormat = .text
  @Option(help: "Serve Prometheus metrics on HOST:PORT (port 0: any free one), or 'off'.")
  var metrics: String = "127.0.0.1:9477"

  func validate() throws {
    // A timer of infinity or NaN seconds cannot be scheduled (the conversion traps).
    guard interval.isFinite, interval > 0, interval <= SwitchOptions.maxTimeout else {
      throw ValidationError(
        "--interval \(SwitchOptions.seconds(interval)): give the seconds between reconciles, more than 0 and at most 86400 (one day)"
      )
    }
  }

  func run() async throws {
    var watchOptions = Watcher.Options(ovsdb: options.db, libvirtURI: libvirt.connect)
    watchOptions.interval = .seconds(interval)
    watchOptions.tls = options.tls.isEmpty ? nil : options.tls
    watchOptions.domains = domain
    if let spec {
      do {
        watchOptions.spec = try SpecLoader.load(path: spec, host: host)
      } catch {
        for problem in error.problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
        throw CommandFailure.refused("\(spec) has problems; not watching")
      }
    }
    switch logFormat {
    case .text: LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
    case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
    }
    let logger = Logger(label: "ovsvirt.watch")
    var server: MetricsServer?
    var watchMetrics: WatchMetrics?
    if metrics != "off" {
      guard let colon = metrics.lastIndex(of: ":"), let port = Int(metrics[metrics.index(after: colon)...]) else {
        throw CommandFailure.refused("--metrics '\(metrics)' is not HOST:PORT or off")
      }
      let host = String(metrics[..<colon])
      // swift-metrics' backend for the whole process, before anything makes a metric.
      let registry = PrometheusCollectorRegistry()
      MetricsSystem.bootstrap(DescribedPrometheusFactory(registry: registry, descriptions: WatchMetrics.descriptions))
      let made = WatchMetrics()
      watchMetrics = made
      do {
        server = try await MetricsServer.start(host: host, port: port) {
          made.refreshAge()
          return registry.emitToString()
        }
      } catch {
        throw CommandFailure.failed(
          "cannot serve metrics on \(metrics): \(error) (use --metrics HOST:PORT or off)")
      }
      logger.info("metrics on http://\(host):\(server?.port ?? port)/metrics")
    }
    let watcher = Watcher(options: watchOptions, logger: logger, metrics: watchMetrics)
    // Until SIGTERM / SIGINT (the process then exits 0); SIGHUP reloads the spec.
    try await WatchDaemon.run(watcher: watcher, metricsServer: server, logger: logger) {
      await reloadSpec(into: watcher, logger: logger)
    }
    logger.info("stopping")
  }

  /// Reads `--spec` again for SIGHUP; a file with problems changes nothing.
  private func reloadSpec(into watcher: Watcher, logger: Logger) async {
    guard let spec else {
      logger.warning("SIGHUP: no --spec to reload; still watching VM ports only")
      return
    }
    do {
      await watcher.use(spec: try SpecLoader.load(path: spec, host: host))
      logger.notice("reloaded \(spec)")
    } catch {
      for problem in error.problems { logger.error("\(problem)") }
      logger.error("\(spec) has problems; the spec loaded before stays in force")
    }
  }
}

/// `watch --log-format`.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}
