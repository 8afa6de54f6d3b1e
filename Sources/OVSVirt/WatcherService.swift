import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The healing loop as a service of the daemon's group: it runs until the group shuts down, then is
/// cancelled and given `stopWithin` to close its OVSDB connection and libvirt threads.
///
/// The wait is bounded because a libvirt call cannot be interrupted: one blocked in a frozen
/// libvirtd would otherwise hold the daemon's shutdown for as long as libvirtd stays frozen, and
/// SIGTERM has always ended `watch` at once.
public struct WatcherService: Service {
  let watcher: Watcher
  let logger: Logger
  let stopWithin: Duration

  public init(_ watcher: Watcher, logger: Logger, stopWithin: Duration = .seconds(3)) {
    self.watcher = watcher
    self.logger = logger
    self.stopWithin = stopWithin
  }

  public func run() async throws {
    let running = Task { [watcher] in try await watcher.run() }
    // Cancellation of this service (the group escalating) ends the wait as shutdown does.
    try? await gracefulShutdown()
    running.cancel()
    if await !Self.ends(running, within: stopWithin) {
      logger.warning("a libvirt call is still blocked; stopping without waiting for it")
    }
  }

  /// Whether `task` ends within `limit`; a task that does not is left to the process' exit.
  static func ends(_ task: Task<Void, any Error>, within limit: Duration) async -> Bool {
    await withCheckedContinuation { (answer: CheckedContinuation<Bool, Never>) in
      let answered = NIOLockedValueBox(false)
      let finish: @Sendable (Bool) -> Void = { ended in
        let first = answered.withLockedValue { done in
          defer { done = true }
          return !done
        }
        if first { answer.resume(returning: ended) }
      }
      Task {
        _ = await task.result
        finish(true)
      }
      Task {
        try? await Task.sleep(for: limit)
        finish(false)
      }
    }
  }
}
