import Foundation
import Testing

/// What a test with a real VM needs from scripts/test: the libvirtd it started (whose OVS plugging
/// reaches the private switch), that switch's database, the oracles, and a scratch directory.
public struct VMEnvironment: Sendable {
  public let uri: String
  public let db: String
  public let virsh: String
  public let vsctl: String
  public let directory: String
  /// Held until `cleanUp`: the daemons stay up (or, exclusive, no other test uses them).
  public let lease: HostLease

  /// Ends the test through `Integration.unavailable` when any of it is missing. `exclusive`: the
  /// test stops or restarts the shared daemons, so it waits until no other test uses them.
  public static func require(
    _ prefix: String, exclusive: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
  ) async throws -> VMEnvironment {
    let uri = try Integration.environment("OVSVIRT_LIBVIRT_URI", sourceLocation: sourceLocation)
    let db = try Integration.environment("OVSVIRT_TEST_DB", sourceLocation: sourceLocation)
    guard ProcessInfo.processInfo.environment["OVSVIRT_LIBVIRTD_PRIVATE"] == "1" else {
      try Integration.unavailable(
        "libvirtd was not started by scripts/test, so its OVS plugging goes elsewhere", sourceLocation: sourceLocation)
    }
    _ = try Integration.program("qemu-system-x86_64", sourceLocation: sourceLocation)
    return VMEnvironment(
      uri: uri, db: db, virsh: try Integration.program("virsh", sourceLocation: sourceLocation),
      vsctl: try Integration.program("ovs-vsctl", sourceLocation: sourceLocation),
      directory: try TemporaryDirectory.make(prefix), lease: try await HostLease.acquire(exclusive: exclusive))
  }

  /// Runs an oracle and returns its trimmed stdout.
  public func oracle(_ program: String, _ arguments: [String]) throws -> String {
    try CLI.runProgram(program, arguments, in: directory).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  public func virsh(_ arguments: String...) throws -> String { try oracle(virsh, ["-c", uri] + arguments) }
  public func vsctl(_ arguments: String...) throws -> String { try oracle(vsctl, ["--db=\(db)"] + arguments) }

  /// A tiny VM for QEMU's software emulation (64 MiB, no disk) with these `<interface>` elements.
  public static func tinyVM(_ name: String, interfaces: [String]) -> String {
    """
    <domain type='qemu'>
      <name>\(name)</name>
      <memory unit='MiB'>64</memory>
      <vcpu>1</vcpu>
      <os><type arch='x86_64' machine='pc'>hvm</type></os>
      <devices>
        <emulator>/usr/bin/qemu-system-x86_64</emulator>
        \(interfaces.joined(separator: "\n    "))
      </devices>
    </domain>
    """
  }

  /// Writes `xml` to the scratch directory and runs `virsh COMMAND file` (define or create).
  public func virsh(_ command: String, xml: String) throws {
    let file = directory + "/\(UUID().uuidString).xml"
    try xml.write(toFile: file, atomically: true, encoding: .utf8)
    _ = try oracle(virsh, ["-c", uri, command, file])
  }

  /// Writes a spec file into the scratch directory; returns its path.
  public func spec(_ yaml: String, named name: String = "host.yaml") throws -> String {
    let path = directory + "/" + name
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Removes what a test made on the shared daemons, whatever of it exists: domains (stopped and
  /// undefined), libvirt networks, OVS bridges (with their ports).
  public func remove(domains: [String] = [], networks: [String] = [], bridges: [String] = []) {
    for domain in domains {
      _ = try? virsh("destroy", domain)
      _ = try? virsh("undefine", domain)
    }
    for network in networks {
      _ = try? virsh("net-destroy", network)
      _ = try? virsh("net-undefine", network)
    }
    for bridge in bridges { _ = try? vsctl("--no-wait", "--if-exists", "del-br", bridge) }
  }

  public func cleanUp() {
    lease.release()
    try? FileManager.default.removeItem(atPath: directory)
  }
}
