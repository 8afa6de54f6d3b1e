import NIOConcurrencyHelpers

/// Tasks waiting, each until its own deadline, for a counter to pass a value: the replica's
/// generation (an update was applied) or a client's session (a sync finished, or the client
/// closed). Whoever advances the counter wakes them, so nobody polls; a deadline timer wakes a
/// waiter that nothing else does, so every wait is bounded.
final class GenerationWaiters: Sendable {
  private struct Waiter {
    var after: Int
    var continuation: CheckedContinuation<Bool, Never>
    var timer: Task<Void, Never>?
  }

  private struct State {
    var latest: Int
    var finished = false
    var nextID = 0
    var waiting: [Int: Waiter] = [:]
  }

  private let state: NIOLockedValueBox<State>

  init(generation: Int = 0) {
    state = NIOLockedValueBox(State(latest: generation))
  }

  /// Returns true once the counter is past `generation`; false at `deadline`, when the waiting task
  /// is cancelled, or once `finish` was called.
  func wait(after generation: Int, until deadline: ContinuousClock.Instant) async -> Bool {
    let id = state.withLockedValue { state in
      state.nextID += 1
      return state.nextID
    }
    return await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        let answer: Bool? = state.withLockedValue { state in
          if state.latest > generation { return true }
          // Checked under the lock: a cancellation after this finds the waiter registered.
          if state.finished || Task.isCancelled || ContinuousClock.now >= deadline { return false }
          state.waiting[id] = Waiter(after: generation, continuation: continuation)
          return nil
        }
        if let answer {
          continuation.resume(returning: answer)
          return
        }
        let timer = Task {
          try? await Task.sleep(until: deadline, clock: .continuous)
          self.resume(id, with: false)
        }
        let stillWaiting = state.withLockedValue { state in
          state.waiting[id]?.timer = timer
          return state.waiting[id] != nil
        }
        if !stillWaiting { timer.cancel() }
      }
    } onCancel: {
      resume(id, with: false)
    }
  }

  /// Records that the counter reached `generation` and wakes everyone waiting for less.
  func advance(to generation: Int) {
    let woken = state.withLockedValue { state -> [Waiter] in
      state.latest = max(state.latest, generation)
      let due = state.waiting.filter { $0.value.after < state.latest }
      for id in due.keys { state.waiting[id] = nil }
      return Array(due.values)
    }
    for waiter in woken {
      waiter.timer?.cancel()
      waiter.continuation.resume(returning: true)
    }
  }

  /// Nothing will advance the counter any more: wakes everyone (false), and later waits return at once.
  func finish() {
    let woken = state.withLockedValue { state -> [Waiter] in
      state.finished = true
      defer { state.waiting = [:] }
      return Array(state.waiting.values)
    }
    for waiter in woken {
      waiter.timer?.cancel()
      waiter.continuation.resume(returning: false)
    }
  }

  private func resume(_ id: Int, with answer: Bool) {
    guard let waiter = state.withLockedValue({ $0.waiting.removeValue(forKey: id) }) else { return }
    waiter.timer?.cancel()
    waiter.continuation.resume(returning: answer)
  }
}
