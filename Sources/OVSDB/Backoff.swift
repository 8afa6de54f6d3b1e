/// Capped exponential backoff with full jitter (each delay uniform in [0, min(cap, base·2^n)]), so
/// many clients reconnecting to a restarted server do not arrive in lockstep.
public struct Backoff: Sendable, Hashable {
  public var initial: Duration
  public var maximum: Duration

  public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(8)) {
    self.initial = initial
    self.maximum = maximum
  }

  public func delay(attempt: Int) -> Duration {
    delay(attempt: attempt, jitter: Double.random(in: 0...1))
  }

  /// The delay for `attempt` with the random part given (0…1 of the ceiling), so a caller that must
  /// be deterministic (the session state machine under test) can choose it.
  public func delay(attempt: Int, jitter: Double) -> Duration {
    let ceiling = ceiling(attempt: attempt)
    let nanoseconds = Double(ceiling.components.seconds) * 1e9 + Double(ceiling.components.attoseconds) / 1e9
    return .nanoseconds(Int64(min(max(jitter, 0), 1) * nanoseconds))
  }

  /// The longest delay `attempt` may wait: `initial`·2^attempt, capped at `maximum`.
  public func ceiling(attempt: Int) -> Duration {
    min(maximum, initial * (1 << min(max(attempt, 0), 30)))
  }
}
