import Synchronization

/// What a one-shot command keeps until the process exits. A switch state read for `show` or a
/// list is tens of thousands of rows at 10,000 ports; releasing them one by one as the command
/// returns (dictionaries, strings, arrays) was about a tenth of a 10,000-port `show` (perf), work
/// the kernel does at once, and for free, when the process exits.
enum ProcessLifetime {
  private static let kept = Mutex<[any Sendable]>([])

  /// Holds `value` until exit.
  static func keep(_ value: some Sendable) {
    kept.withLock { $0.append(value) }
  }
}
