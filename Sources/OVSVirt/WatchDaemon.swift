import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
  import Glibc
#endif

/// `ovsvirt watch` as a swift-service-lifecycle service group: SIGTERM and SIGINT shut it down
/// gracefully, SIGHUP reloads. Services shut down in the reverse of their order here:
///
/// 1. the SIGHUP listener, so that no reload starts while stopping;
/// 2. the healing loop (its OVSDB connection closed, its libvirt threads let go);
/// 3. the metrics endpoint, last, so that a scrape during shutdown still answers.
public enum WatchDaemon {
  /// Runs until SIGTERM or SIGINT; returns once every service has stopped.
  public static func run(
    watcher: Watcher, metricsServer: MetricsServer?, logger: Logger, reload: @escaping @Sendable () async -> Void
  ) async throws {
    // Each of these ends the process by default, before a handler could run. Ignored, they still
    // reach the signal sources of the group and of the reload service.
    for number in [SIGTERM, SIGINT, SIGHUP] { signal(number, SIG_IGN) }
    let hangups = await UnixSignalsSequence(trapping: .sighup)
    var services: [any Service] = []
    if let metricsServer { services.append(metricsServer) }
    services.append(WatcherService(watcher, logger: logger))
    services.append(ReloadOnHangupService(hangups: hangups, reload: reload))
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
  }
}
