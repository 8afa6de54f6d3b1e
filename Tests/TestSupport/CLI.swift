import Foundation
import OVSVirt
import Testing

/// Runs the built `ovsvirt` executable the way an admin or HA script would.
public enum CLI {
  public struct Result: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
  }

  /// The executable SwiftPM built next to the test bundle.
  public static func binary(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // On Linux the bundle is a single executable in the build directory; elsewhere a .xctest folder.
    while directory.pathExtension == "xctest" || directory.lastPathComponent == "MacOS"
      || directory.lastPathComponent == "Contents"
    {
      directory = directory.deletingLastPathComponent()
    }
    let candidate = directory.appendingPathComponent("ovsvirt").path
    guard FileManager.default.isExecutableFile(atPath: candidate) else {
      try Integration.unavailable(
        "ovsvirt executable not built at \(candidate) (swift build --build-tests)",
        sourceLocation: sourceLocation)
    }
    return candidate
  }

  public static func run(_ arguments: [String], in directory: String) throws -> Result {
    let out = directory + "/cli-\(UUID().uuidString).out"
    let err = directory + "/cli-\(UUID().uuidString).err"
    defer {
      try? FileManager.default.removeItem(atPath: out)
      try? FileManager.default.removeItem(atPath: err)
    }
    let status = try CommandRunner.spawn(try binary(), arguments, stdout: out, stderr: err)
    return Result(
      status: status, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
      stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
  }

  /// Runs another program (an oracle such as virsh) and returns its stdout; a failure throws.
  public static func runProgram(_ program: String, _ arguments: [String], in directory: String) throws -> String {
    try CommandRunner.run(program, arguments, outputFile: directory + "/oracle-\(UUID().uuidString).out")
  }

  /// Starts `ovsvirt` in the background (stdout and stderr to `log`); returns its pid.
  public static func start(_ arguments: [String], log: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Like every spawn here: an inherited socket would outlive its owner's close (see CommandRunner).
    CommandRunner.closeInheritedDescriptors(&actions)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    let binary = try binary()
    let argv = ([binary] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, binary, &actions, &attributes, argv, environ) == 0 else {
      throw CocoaError(.executableLoad)
    }
    return pid
  }

  /// Sends `signal` and waits for the process; returns its exit status (128+N if killed by N).
  public static func stop(_ pid: pid_t, signal: Int32 = SIGTERM) -> Int32 {
    kill(pid, signal)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
  }
}
