import Foundation

extension HostLab {
  /// A daemon of a lab host that can be restarted, to rehearse what an HA script or `watch` must
  /// live through.
  public enum Daemon: String, Sendable, CaseIterable {
    case ovsdb, vswitchd, libvirtd

    public var program: String {
      switch self {
      case .ovsdb: return "ovsdb-server"
      case .vswitchd: return "ovs-vswitchd"
      case .libvirtd: return "libvirtd"
      }
    }
  }

  /// What a restart did.
  public struct Restarted: Sendable, Equatable {
    public var host: String
    public var program: String
    /// The pid stopped, nil when it was not running.
    public var stopped: pid_t?
    public var started: pid_t
    public var emptyDatabase: Bool
  }

  /// How a restart goes.
  public struct RestartRequest: Sendable {
    public var daemon: Daemon
    public var host: String
    /// ovsdb only: the database comes back empty but for its root row, as on a newly installed host.
    public var emptyDatabase = false
    /// SIGKILL instead of SIGTERM: the daemon dies without cleaning up.
    public var crash = false
    /// How long the daemon stays stopped.
    public var down: Duration = .zero

    public init(daemon: Daemon, host: String) {
      self.daemon = daemon
      self.host = host
    }
  }

  /// Stops one daemon of a host and starts it again as `start` did (same command line, pidfile,
  /// namespaces). ovs-vswitchd and the guests keep running through an ovsdb-server restart; the
  /// guests keep running through a libvirtd restart. The lab's own underlay (br-phy, its address)
  /// is put back when the database comes back empty or ovs-vswitchd made br-phy's device anew:
  /// it stands for the host's NIC setup, not for anything a spec manages.
  public func restart(_ request: RestartRequest) async throws -> Restarted {
    let all = try hosts()
    guard let host = all.first(where: { $0.name == request.host }) else {
      throw SandboxError.invalid(
        "no host '\(request.host)' in this sandbox (it has \(all.map(\.name).joined(separator: ", ")))")
    }
    guard !request.emptyDatabase || request.daemon == .ovsdb else {
      throw SandboxError.invalid("--empty-db goes with ovsdb (it replaces the database ovsdb-server serves)")
    }
    guard request.down >= .zero, request.down <= .seconds(3600) else {
      throw SandboxError.invalid("--down: give seconds between 0 and 3600")
    }
    let sandbox = Sandbox(directory: host.directory, networkNamespace: host.namespace)
    let stopped: pid_t?
    let started: pid_t?
    switch request.daemon {
    case .ovsdb:
      stopped = sandbox.ovsdbServer.stop(crash: request.crash)
      if request.emptyDatabase {
        for file in [sandbox.databaseFile, host.directory + "/.conf.db.~lock~"] {
          try? FileManager.default.removeItem(atPath: file)
        }
      }
      if request.down > .zero { try await Task.sleep(for: request.down) }
      _ = try await sandbox.start()
      if request.emptyDatabase { try await replugUnderlay(sandbox, host: host) }
      started = sandbox.ovsdbServer.runningPID()
    case .vswitchd:
      stopped = sandbox.vswitchd.stop(crash: request.crash)
      if request.down > .zero { try await Task.sleep(for: request.down) }
      _ = try await sandbox.start()
      try await replugUnderlay(sandbox, host: host)
      started = sandbox.vswitchd.runningPID()
    case .libvirtd:
      let libvirt = HostLibvirt(host: host)
      guard FileManager.default.fileExists(atPath: libvirt.directory + "/etc/qemu.conf") else {
        throw SandboxError.invalid(
          "host \(host.name) runs no libvirtd: start the sandbox with --libvirt (ovsvirt sandbox --hosts … --libvirt)")
      }
      stopped = try await libvirt.restart(crash: request.crash, down: request.down)
      started = libvirt.daemon.runningPID()
    }
    guard let started else {
      throw SandboxError.commandFailed(
        command: request.daemon.program, status: 0, output: "it exited right after starting (see \(host.directory))")
    }
    return Restarted(
      host: host.name, program: request.daemon.program, stopped: stopped, started: started,
      emptyDatabase: request.emptyDatabase)
  }

  /// br-phy, ul0 on it and the tunnel address, as `start` made them (nothing is written if they are there).
  private func replugUnderlay(_ sandbox: Sandbox, host: Host) async throws {
    let ip = try Executables.require("ip", package: "iproute2")
    let log = directory + "/ip.out"
    let mtu = try await linkMTU("ul0", in: host.namespace, ip: ip)
    try await plugUnderlay(sandbox, namespace: host.namespace, address: host.underlayIP, mtu: mtu, ip: ip, log: log)
  }

  func linkMTU(_ device: String, in namespace: String, ip: String) async throws -> Int {
    let out = directory + "/mtu.out"
    try await CommandRunner.runOffPool(ip, ["-n", namespace, "-o", "link", "show", device], outputFile: out)
    let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    guard let range = text.range(of: #" mtu [0-9]+"#, options: .regularExpression),
      let mtu = Int(text[range].dropFirst(" mtu ".count))
    else {
      throw SandboxError.commandFailed(command: ip, status: 0, output: "no MTU for \(device): \(text)")
    }
    return mtu
  }
}
