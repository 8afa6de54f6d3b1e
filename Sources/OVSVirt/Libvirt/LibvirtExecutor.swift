import Foundation
import NIOConcurrencyHelpers

/// Runs libvirt's blocking calls on threads ovsvirt owns, never on Swift's cooperative pool.
///
/// Swift's tasks share Dispatch's worker threads (two on a 2-core host). A libvirt call blocks its
/// thread until libvirtd answers — for as long as libvirtd is slow, frozen or restarting — and a
/// pool thread blocked that way is one the OVSDB connection and every other task cannot use. Work
/// given to an executor waits in its queue instead; the caller's task is suspended, not blocked.
public final class LibvirtExecutor: Sendable {
  private struct Queue {
    var jobs: [@Sendable () -> Void] = []
    var stopped = false
  }

  private let queue = NIOLockedValueBox(Queue())
  private let ready = DispatchSemaphore(value: 0)

  /// `threads` threads named `name`, started now, serving jobs in the order given.
  public init(name: String, threads: Int = 1) {
    for index in 0..<max(threads, 1) {
      let thread = Thread { [queue, ready] in
        while true {
          ready.wait()
          let job: (@Sendable () -> Void)? = queue.withLockedValue { queue in
            queue.jobs.isEmpty ? nil : queue.jobs.removeFirst()
          }
          guard let job else {
            if queue.withLockedValue({ $0.stopped }) { return }
            continue
          }
          job()
        }
      }
      thread.name = threads > 1 ? "\(name)-\(index)" : name
      thread.start()
    }
    self.threads = max(threads, 1)
  }

  private let threads: Int

  /// Runs `body` on one of the executor's threads; the calling task waits suspended.
  public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (answer: CheckedContinuation<T, any Error>) in
      submit { answer.resume(with: Result { try body() }) }
    }
  }

  /// Queues `body` without waiting for it.
  public func submit(_ body: @escaping @Sendable () -> Void) {
    let accepted = queue.withLockedValue { queue -> Bool in
      guard !queue.stopped else { return false }
      queue.jobs.append(body)
      return true
    }
    if accepted { ready.signal() }
  }

  /// Lets the threads end once the queued jobs are done (a job blocked in libvirt keeps its thread).
  public func shutdown() {
    queue.withLockedValue { $0.stopped = true }
    for _ in 0..<threads { ready.signal() }
  }
}
