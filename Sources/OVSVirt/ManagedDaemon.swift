import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A daemon ovsvirt started, known only by its pidfile: that is what lets `stop` end exactly what
/// was started and nothing else.
public struct ManagedDaemon: Sendable {
  /// The program name as the kernel reports it in /proc/PID/comm.
  public let program: String
  public let pidFile: String

  public init(program: String, pidFile: String) {
    self.program = program
    self.pidFile = pidFile
  }

  /// The pid from the pidfile when that process is alive and really is `program`; a stale pidfile
  /// (crash, reboot, reused pid) yields nil.
  public func runningPID() -> pid_t? {
    guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
    else { return nil }
    return ProcessTable.isRunning(pid, program: program) ? pid : nil
  }

  /// Sends SIGTERM (or, with `crash`, SIGKILL at once: a daemon that dies without cleaning up),
  /// waits up to `grace` for the process to go, then SIGKILL. Returns the pid that was stopped, or nil
  /// when nothing of ours was running.
  @discardableResult
  public func stop(grace: Duration = .seconds(5), crash: Bool = false) -> pid_t? {
    guard let pid = runningPID() else {
      try? FileManager.default.removeItem(atPath: pidFile)
      return nil
    }
    kill(pid, crash ? SIGKILL : SIGTERM)
    let deadline = ContinuousClock.now + grace
    while ProcessTable.isRunning(pid, program: program), ContinuousClock.now < deadline {
      usleep(10_000)
    }
    if ProcessTable.isRunning(pid, program: program) {
      kill(pid, SIGKILL)
      while ProcessTable.isRunning(pid, program: program) { usleep(10_000) }
    }
    try? FileManager.default.removeItem(atPath: pidFile)
    return pid
  }
}

/// Reads /proc to tell whether a pid is a live (not zombie) instance of a program.
public enum ProcessTable {
  public static func isRunning(_ pid: pid_t, program: String) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    // Format: "PID (COMM) STATE …"; COMM may contain spaces or parentheses, so split at the last ')'.
    guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return false }
    let comm = stat[stat.index(after: open)..<close]
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    // The kernel truncates comm to 15 bytes.
    guard comm == program.prefix(15) else { return false }
    return state != "Z" && state != "X"
  }

  /// Any live ovs-vswitchd (ours or not) sharing this process's network namespace.
  static func otherVSwitchdInOurNetworkNamespace() -> pid_t? {
    let fm = FileManager.default
    guard let ours = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/ns/net"),
      let entries = try? fm.contentsOfDirectory(atPath: "/proc")
    else { return nil }
    for entry in entries {
      guard let pid = pid_t(entry), isRunning(pid, program: "ovs-vswitchd") else { continue }
      if (try? fm.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")) == ours { return pid }
    }
    return nil
  }
}
