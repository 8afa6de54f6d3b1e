#if canImport(Glibc)
  import CMalloc
#endif
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

  /// For a one-shot command about to read a whole switch: memory freed along the way stays with
  /// the process for the next allocation instead of going back to the kernel. glibc gives each
  /// allocation over 128 KB (a growing reply buffer, a dictionary of 10,000 rows) pages of its own
  /// and unmaps them when freed, so every one was faulted in anew: 8,400 page faults for a
  /// 10,000-port `show`, 6,000 with this, and 15–25 % less CPU time (perf stat). Not for a daemon,
  /// whose memory should shrink back after a peak.
  static func keepFreedMemory() {
    #if canImport(Glibc)
      _ = mallopt(M_MMAP_THRESHOLD, 64 << 20)
      _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
    #endif
  }
}
