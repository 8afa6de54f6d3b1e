import Testing

@testable import OVSDB

/// Waiting for the replica (or a session) to move on: woken by the change itself, bounded by a
/// deadline, never by polling.
@Suite struct GenerationWaitersTests {
  @Test func wokenByAnAdvance() async {
    let waiters = GenerationWaiters()
    async let woken = waiters.wait(after: 0, until: .now + .seconds(60))
    // The waiter may register before or after the advance: either way it sees generation 1.
    waiters.advance(to: 1)
    #expect(await woken)
  }

  @Test func alreadyPastReturnsAtOnce() async {
    let waiters = GenerationWaiters(generation: 5)
    #expect(await waiters.wait(after: 4, until: .now + .seconds(60)))
  }

  @Test func anAdvanceNotPastTheWaitedGenerationDoesNotWake() async {
    let waiters = GenerationWaiters()
    let start = ContinuousClock.now
    async let woken = waiters.wait(after: 3, until: start + .milliseconds(200))
    waiters.advance(to: 2)
    waiters.advance(to: 3)
    #expect(await woken == false)
    #expect(ContinuousClock.now - start >= .milliseconds(200))
  }

  @Test func deadlineEndsTheWait() async {
    let waiters = GenerationWaiters()
    #expect(await waiters.wait(after: 0, until: .now + .milliseconds(50)) == false)
    #expect(await waiters.wait(after: 0, until: .now - .seconds(1)) == false)
  }

  @Test func finishWakesEveryoneAndLaterWaitsReturnAtOnce() async {
    let waiters = GenerationWaiters()
    async let first = waiters.wait(after: 0, until: .now + .seconds(60))
    async let second = waiters.wait(after: 7, until: .now + .seconds(60))
    try? await Task.sleep(for: .milliseconds(20))
    waiters.finish()
    #expect(await first == false)
    #expect(await second == false)
    let start = ContinuousClock.now
    #expect(await waiters.wait(after: 0, until: .now + .seconds(60)) == false)
    #expect(ContinuousClock.now - start < .seconds(30))
  }

  @Test func cancellationEndsTheWait() async {
    let waiters = GenerationWaiters()
    let task = Task { await waiters.wait(after: 0, until: .now + .seconds(60)) }
    try? await Task.sleep(for: .milliseconds(20))
    task.cancel()
    #expect(await task.value == false)
  }

  @Test func replicaWaitsForAConditionOnItsUpdates() async throws {
    let schema = try DatabaseSchema(
      json: [
        "name": "DB", "version": "1.0.0",
        "tables": ["T": ["columns": ["n": ["type": "integer"]]]],
      ])
    let replica = Replica(schema: schema, columns: ["T": ["n"]])
    let row = try #require(RowUUID("aaaaaaaa-0000-0000-0000-000000000001"))
    async let seen = replica.wait(until: .now + .seconds(60)) { $0.rows("T").count == 1 }
    replica.apply(TableUpdates(tables: [:]))
    replica.apply(TableUpdates(tables: ["T": [RowUpdate(row, .insert(["n": 1]))]]))
    #expect(await seen)
    #expect(await replica.wait(until: .now + .milliseconds(20)) { $0.rows("T").isEmpty } == false)
  }
}
