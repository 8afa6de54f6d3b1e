import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Runs a helper program to completion with posix_spawn + waitpid (Foundation's Process relies on a
/// run loop and a SIGCHLD monitor that do not fit a short-lived async CLI). Output goes to a file,
/// not a pipe: a daemon started with `--detach` may keep inherited descriptors open, and reading a
/// pipe to EOF would then hang.
public enum CommandRunner {
  /// Runs `executable` with `arguments` (plus `environment` over ours), stdout and stderr both into
  /// `outputFile`, and returns that output. A non-zero exit throws `SandboxError.commandFailed`.
  @discardableResult
  public static func run(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], outputFile: String
  ) throws(SandboxError) -> String {
    let status = try spawn(executable, arguments, environment: environment, stdout: outputFile, stderr: nil)
    let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
    guard status == 0 else {
      throw SandboxError.commandFailed(
        command: ([executable] + arguments).joined(separator: " "), status: status,
        output: output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return output
  }

  /// `run`, on a thread of its own: waiting for a child must not hold one of the few threads Swift
  /// concurrency runs every task on (two on a 2-core host).
  @discardableResult
  public static func runOffPool(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], outputFile: String
  ) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
      let thread = Thread {
        do {
          continuation.resume(
            returning: try run(executable, arguments, environment: environment, outputFile: outputFile))
        } catch {
          continuation.resume(throwing: error)
        }
      }
      thread.start()
    }
  }

  /// Runs `executable` to completion with stdin from /dev/null, stdout into the file `stdout`, and
  /// stderr into the file `stderr` (nil: the same file as stdout). Returns the exit status, or 128+N
  /// when killed by signal N.
  public static func spawn(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], stdout: String, stderr: String?
  ) throws(SandboxError) -> Int32 {
    wait(try launch(executable, arguments, environment: environment, stdout: stdout, stderr: stderr))
  }

  /// Starts `executable` without waiting for it (same stdio and hygiene as `spawn`); returns its pid.
  public static func launch(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], stdout: String, stderr: String?
  ) throws(SandboxError) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if let stderr {
      posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    } else {
      posix_spawn_file_actions_adddup2(&actions, 1, 2)
    }
    // Nothing else is inherited: a daemon started from a process with open sockets would otherwise
    // keep them open for its whole life, and their peers would never see them close.
    closeInheritedDescriptors(&actions)

    // The calling thread (a Swift concurrency or NIO thread) blocks most signals, and a spawned
    // child inherits that mask: a daemon started that way would ignore SIGTERM forever.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard spawned == 0 else {
      throw SandboxError.commandFailed(
        command: ([executable] + arguments).joined(separator: " "), status: -1,
        output: String(cString: strerror(spawned)))
    }
    return pid
  }

  /// Waits for `pid`; its exit status, or 128+N when killed by signal N.
  public static func wait(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
    return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
  }

  typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

  /// glibc 2.34+ has posix_spawn_file_actions_addclosefrom_np, which Glibc's module does not
  /// export; it is looked up once. Older libcs get one close action per open descriptor.
  static let addCloseFrom: AddCloseFrom? = dlsym(
    UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np"
  )
  .map { unsafeBitCast($0, to: AddCloseFrom.self) }

  static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    if let addCloseFrom, addCloseFrom(&actions, 3) == 0 { return }
    let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for fd in open.compactMap(Int32.init) where fd > 2 {
      posix_spawn_file_actions_addclose(&actions, fd)
    }
  }
}
