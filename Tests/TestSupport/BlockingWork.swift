import Dispatch
import Testing

/// Runs a test's body on threads of its own instead of Swift's cooperative pool.
///
/// Integration tests wait for child processes (`ovsvirt`, `virsh`, `ovs-vsctl`, VMs starting)
/// synchronously, holding the thread they run on. On a 2-core machine the cooperative pool has two
/// threads, and the whole suite runs in one process: a few such tests at once held both for tens of
/// seconds, so the timers of tests that only await (a reconnect, an inactivity probe) did not fire
/// — a reconnect that takes milliseconds alone waited 44 s. Suites marked `.blockingWork` prefer
/// this executor: a concurrent dispatch queue, which adds threads when its jobs block. Suites that
/// drive an OVSDB client in the test process itself are not marked: their replicas, followed from
/// this executor, missed updates in one full run (ReplicaIntegrationTests), never on the pool.
public final class BlockingWorkExecutor: TaskExecutor {
  public static let shared = BlockingWorkExecutor()
  private let queue = DispatchQueue(label: "ovsvirt-tests.blocking-work", attributes: .concurrent)

  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    let executor = asUnownedTaskExecutor()
    queue.async { job.runSynchronously(on: executor) }
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
