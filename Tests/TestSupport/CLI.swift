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
    try CommandRunner.launch(try binary(), arguments, stdout: log, stderr: nil)
  }

  /// Sends `signal` and waits for the process; returns its exit status (128+N if killed by N).
  public static func stop(_ pid: pid_t, signal: Int32 = SIGTERM) -> Int32 {
    kill(pid, signal)
    return CommandRunner.wait(pid)
  }
}
