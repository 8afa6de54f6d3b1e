import Foundation

/// Why a private OVS could not be started or stopped.
public enum SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
  case missingProgram(name: String, package: String)
  case commandFailed(command: String, status: Int32, output: String)
  case pathTooLong(String)
  case cannotCreateDirectory(path: String, reason: String)
  case initializationFailed(String)
  case switchConflict(pid: pid_t)
  /// A request the lab refuses (a bad host name, an unknown host, an MTU out of range).
  case invalid(String)
  /// No lab has been started in this directory.
  case notRunning(String)

  public var description: String {
    switch self {
    case .missingProgram(let name, let package):
      return "\(name) is not installed: run scripts/bootstrap or `apt-get install \(package)`"
    case .commandFailed(let command, let status, let output):
      let detail = output.isEmpty ? "" : ":\n\(output)"
      return "`\(command)` exited with status \(status)\(detail)"
    case .pathTooLong(let path):
      return "socket path \(path) is longer than the 107 bytes a unix socket allows: choose a shorter --dir"
    case .cannotCreateDirectory(let path, let reason):
      return "cannot create \(path): \(reason)"
    case .switchConflict(let pid):
      return "another ovs-vswitchd (pid \(pid)) already runs in this network namespace, and two cannot share "
        + "the netdev datapath: stop it, or give the sandbox its own namespace with --netns NAME"
    case .invalid(let reason):
      return reason
    case .notRunning(let directory):
      return
        "no multi-host sandbox runs in \(directory): start one with `ovsvirt sandbox --hosts h1,h2 --dir \(directory)`"
    case .initializationFailed(let reason):
      return "could not initialise the sandbox database: \(reason)"
    }
  }
}
