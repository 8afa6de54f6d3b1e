import Foundation

/// OVN for a multi-host lab: the central databases (Northbound and Southbound ovsdb-servers) and
/// ovn-northd in the lab's `central/` folder, and an ovn-controller per host. Each controller
/// waits idle until `apply` of an `engine: ovn` cluster spec writes the host's chassis settings
/// (ovn-remote, ovn-encap-ip, …) into its Open_vSwitch database; then it creates br-int and the
/// Geneve tunnels itself. The databases listen on unix sockets in the lab's folder, which every
/// host's namespace reaches.
public struct LabOVN: Sendable {
  public let directory: String

  public init(labDirectory: String) {
    directory = labDirectory + "/central"
  }

  public var northbound: String { "unix:" + directory + "/nb.sock" }
  public var southbound: String { "unix:" + directory + "/sb.sock" }

  var northboundServer: ManagedDaemon { ManagedDaemon(program: "ovsdb-server", pidFile: directory + "/nb.pid") }
  var southboundServer: ManagedDaemon { ManagedDaemon(program: "ovsdb-server", pidFile: directory + "/sb.pid") }
  var northd: ManagedDaemon { ManagedDaemon(program: "ovn-northd", pidFile: directory + "/northd.pid") }

  static func controller(hostDirectory: String) -> ManagedDaemon {
    ManagedDaemon(program: "ovn-controller", pidFile: hostDirectory + "/ovn-controller.pid")
  }

  /// Where Debian's ovn-common keeps the schemas.
  static func schema(_ name: String) throws(SandboxError) -> String {
    let path = "/usr/share/ovn/\(name).ovsschema"
    guard FileManager.default.fileExists(atPath: path) else {
      throw SandboxError.missingProgram(name: path, package: "ovn-common")
    }
    return path
  }

  /// Starts the databases and ovn-northd (what already runs is kept).
  public func startCentral() async throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let server = try Executables.require("ovsdb-server", package: "openvswitch-switch")
    let tool = try Executables.require("ovsdb-tool", package: "openvswitch-common")
    for (daemon, name, schema) in [
      (northboundServer, "nb", try Self.schema("ovn-nb")), (southboundServer, "sb", try Self.schema("ovn-sb")),
    ] where daemon.runningPID() == nil {
      let file = directory + "/\(name).db"
      if !FileManager.default.fileExists(atPath: file) {
        try await CommandRunner.runOffPool(tool, ["create", file, schema], outputFile: directory + "/ovsdb-tool.out")
      }
      try? FileManager.default.removeItem(atPath: directory + "/\(name).sock")
      // --detach returns once the socket listens.
      try await CommandRunner.runOffPool(
        server,
        [
          file, "--remote=punix:\(directory)/\(name).sock", "--pidfile=" + daemon.pidFile,
          "--unixctl=\(directory)/\(name).ctl", "--log-file=\(directory)/\(name).log", "--detach", "--no-chdir",
        ], outputFile: directory + "/\(name).out")
    }
    if northd.runningPID() == nil {
      let program = try Executables.require("ovn-northd", package: "ovn-central")
      try await CommandRunner.runOffPool(
        program,
        [
          "--ovnnb-db=" + northbound, "--ovnsb-db=" + southbound, "--pidfile=" + northd.pidFile,
          "--unixctl=\(directory)/northd.ctl", "--log-file=\(directory)/northd.log", "--detach", "--no-chdir",
        ], outputFile: directory + "/northd.out")
    }
  }

  /// Starts the host's ovn-controller against its own Open_vSwitch database. `OVS_RUNDIR` must be
  /// the host's: ovn-controller speaks OpenFlow to ovs-vswitchd through `$OVS_RUNDIR/br-int.mgmt`.
  public func startController(_ host: HostLab.Host) async throws {
    let daemon = Self.controller(hostDirectory: host.directory)
    guard daemon.runningPID() == nil else { return }
    let program = try Executables.require("ovn-controller", package: "ovn-host")
    let rundir = host.directory + "/ovn"
    try FileManager.default.createDirectory(atPath: rundir, withIntermediateDirectories: true)
    // In the host's namespace, as on a real hypervisor: it opens the host's network devices.
    let ip = try Executables.require("ip", package: "iproute2")
    try await CommandRunner.runOffPool(
      ip,
      [
        "netns", "exec", host.namespace, program, host.db, "--pidfile=" + daemon.pidFile,
        "--log-file=\(host.directory)/ovn-controller.log", "--detach", "--no-chdir",
      ],
      environment: ["OVS_RUNDIR": host.directory, "OVN_RUNDIR": rundir, "OVS_DBDIR": host.directory],
      outputFile: host.directory + "/ovn-controller.out")
  }

  /// Stops the central daemons; returns what stopped.
  public func stopCentral() -> [String] {
    var stopped: [String] = []
    for (daemon, what) in [(northd, "ovn-northd"), (northboundServer, "northbound"), (southboundServer, "southbound")] {
      if let pid = daemon.stop() { stopped.append("\(what) \(pid)") }
    }
    return stopped
  }
}
