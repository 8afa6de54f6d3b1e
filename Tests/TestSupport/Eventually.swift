/// Polls `condition` until it holds or `timeout` passes; returns whether it held. For state that
/// arrives asynchronously (monitor updates, reconnects); the deadline is generous, never a benchmark.
public func eventually(
  timeout: Duration = .seconds(20), every interval: Duration = .milliseconds(20),
  _ condition: () async throws -> Bool
) async rethrows -> Bool {
  let deadline = ContinuousClock.now + timeout
  while ContinuousClock.now < deadline {
    if try await condition() { return true }
    try? await Task.sleep(for: interval)
  }
  return try await condition()
}
