import ServiceLifecycle
import UnixSignals

/// SIGHUP (`systemctl reload`) as a service of the daemon's group: each one runs `reload`; the
/// service ends at graceful shutdown, first of all, so that no reload starts while the daemon stops.
public struct ReloadOnHangupService: Service {
  let hangups: UnixSignalsSequence
  let reload: @Sendable () async -> Void

  /// `hangups` is made before the group starts, so that a SIGHUP sent while it starts is not lost.
  public init(hangups: UnixSignalsSequence, reload: @escaping @Sendable () async -> Void) {
    self.hangups = hangups
    self.reload = reload
  }

  public func run() async throws {
    for await _ in hangups.cancelOnGracefulShutdown() { await reload() }
  }
}
