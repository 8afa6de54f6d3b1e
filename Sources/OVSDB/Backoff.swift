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
    let ceiling = min(maximum, initial * (1 << min(attempt, 30)))
    let nanoseconds = Double(ceiling.components.seconds) * 1e9 + Double(ceiling.components.attoseconds) / 1e9
    return .nanoseconds(Int64(Double.random(in: 0...1) * nanoseconds))
  }
}
