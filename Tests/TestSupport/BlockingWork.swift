import Foundation
import Testing

/// Runs a test's body on threads of its own instead of Swift's cooperative pool.
///
/// Integration tests wait for child processes (`ovsvirt`, `virsh`, `ovs-vsctl`, VMs starting)
/// synchronously, holding the thread they run on. On a 2-core machine the cooperative pool has two
/// threads, and the whole suite runs in one process: a few such tests at once held both for tens of
/// seconds, so the timers of tests that only await (a reconnect, an inactivity probe, a watcher's
/// first heal) did not fire — a reconnect that takes milliseconds alone waited 44 s, and in full runs
/// every test started in the first 16–24 s, pure parsers included, finished only after that.
///
/// gdb showed why: this executor was a concurrent dispatch queue, and on Linux such a queue runs its
/// jobs on dispatch's global worker threads, the very threads Swift's cooperative pool is made of.
/// Blocking jobs sat in `wait4` on those threads, and dispatch adds a thread only now and then when
/// it finds its workers blocked. So the executor keeps threads of its own: up to `eager` are started
/// as soon as work finds none idle; beyond that one more once a job has waited `grace` (so blocking
/// jobs cannot deadlock each other, while a burst of integration tests does not start all at once
/// on two cores: with four at once, timing tests of the suite's first seconds failed more often).
/// Suites that spawn processes or sleep synchronously are marked `.blockingWork`.
public final class BlockingWorkExecutor: TaskExecutor, @unchecked Sendable {
  public static let shared = BlockingWorkExecutor()

  private let eager = 2
  private let grace = DispatchTimeInterval.seconds(1)
  // All below is guarded by `condition`.
  private let condition = NSCondition()
  private var jobs: [UnownedJob] = []
  private var idle = 0
  private var started = 0
  /// Jobs ever queued and ever taken: job number N still waits while `taken < N`.
  private var queued = 0
  private var taken = 0

  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    condition.lock()
    defer { condition.unlock() }
    jobs.append(job)
    queued += 1
    if jobs.count <= idle {
      condition.signal()
    } else if started < eager {
      startThread()
    } else {
      let number = queued
      DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [self] in
        condition.lock()
        defer { condition.unlock() }
        if taken < number && jobs.count > idle { startThread() }
      }
    }
  }

  /// Called with `condition` held.
  private func startThread() {
    started += 1
    let thread = Thread { [self] in serve() }
    thread.name = "blocking-work-\(started)"
    thread.start()
  }

  /// A thread's life: run queued jobs, wait while there are none.
  private func serve() {
    let executor = asUnownedTaskExecutor()
    condition.lock()
    while true {
      if !jobs.isEmpty {
        let job = jobs.removeFirst()
        taken += 1
        condition.unlock()
        job.runSynchronously(on: executor)
        condition.lock()
        continue
      }
      idle += 1
      condition.wait()
      idle -= 1
    }
  }
}

public struct BlockingWorkTrait: SuiteTrait, TestTrait, TestScoping {
  public var isRecursive: Bool { true }

  public func provideScope(
    for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
  ) async throws {
    try await withTaskExecutorPreference(BlockingWorkExecutor.shared) { try await function() }
  }
}

extension Trait where Self == BlockingWorkTrait {
  /// The test waits for processes or daemons synchronously: run it off the cooperative pool.
  public static var blockingWork: Self { BlockingWorkTrait() }
}
