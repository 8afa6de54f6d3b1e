import Foundation

/// A libvirtd of a lab host's own, so the host runs real libvirt-managed guests.
///
/// libvirt's system daemon keeps its sockets and state at fixed paths (/run/libvirt, /var/lib/libvirt,
/// /etc/libvirt, …), so two cannot run side by side as they are. Each host's libvirtd is started in
/// the host's network namespace (its taps appear where the host's ovs-vswitchd opens them) inside a
/// mount namespace where those paths are the host's own folders; `OVS_RUNDIR` points the
/// `ovs-vsctl` it runs to plug a NIC at the host's own ovsdb-server. Clients reach it through the
/// socket in the host's folder: `qemu:///system?socket=…`.
public struct HostLibvirt: Sendable {
  /// The lab host's folder and name (`namespace` is needed to start, not to stop).
  let hostDirectory: String
  let hostName: String
  let namespace: String?

  public init(host: HostLab.Host) {
    hostDirectory = host.directory
    hostName = host.name
    namespace = host.namespace
  }

  /// For stopping what a host's folder records, when the lab's manifest may be gone.
  init(directory: String, name: String) {
    hostDirectory = directory
    hostName = name
    namespace = nil
  }

  /// Where the host's libvirtd keeps everything (the folders mounted over libvirt's own).
  public var directory: String { hostDirectory + "/libvirt" }
  /// The `--connect` URI of this host's libvirtd.
  public var uri: String { Self.uri(directory: directory) }
  var pidFile: String { directory + "/libvirtd.pid" }
  var socket: String { directory + "/run/libvirt-sock" }

  static func uri(directory: String) -> String { "qemu:///system?socket=" + directory + "/run/libvirt-sock" }

  /// libvirt's fixed folders and the names of the host's folders that replace them.
  static let mounts: [(folder: String, over: String)] = [
    ("run", "/run/libvirt"), ("lib", "/var/lib/libvirt"), ("cache", "/var/cache/libvirt"),
    ("log", "/var/log/libvirt"), ("etc", "/etc/libvirt"),
  ]

  /// The QEMU driver's settings for a lab host: QEMU runs as root (the guest's kernel and console
  /// live in the lab's folder), writes its output to a file (no virtlogd in the mount namespace),
  /// and uses no cgroups, so guests of the same name on two hosts (a failover) do not collide.
  static let qemuConfiguration = """
    user = "root"
    group = "root"
    stdio_handler = "file"
    cgroup_controllers = [ ]
    """

  public var daemon: ManagedDaemon { ManagedDaemon(program: "libvirtd", pidFile: pidFile) }
  public var isRunning: Bool { daemon.runningPID() != nil }

  /// Starts the host's libvirtd unless it runs; returns once its socket answers, within `timeout`.
  public func start(timeout: Duration = .seconds(30)) async throws {
    if isRunning { return }
    let files = FileManager.default
    for mount in Self.mounts {
      try files.createDirectory(atPath: directory + "/" + mount.folder, withIntermediateDirectories: true)
      // A bind mount needs its mount point: on a machine where the system's libvirtd never ran,
      // /run/libvirt does not exist yet (an empty folder there is what libvirtd's first start makes).
      try files.createDirectory(atPath: mount.over, withIntermediateDirectories: true)
    }
    try Self.qemuConfiguration.write(toFile: directory + "/etc/qemu.conf", atomically: true, encoding: .utf8)
    try "log_outputs = \"3:file:/var/log/libvirt/libvirtd.log\"\n".write(
      toFile: directory + "/etc/libvirtd.conf", atomically: true, encoding: .utf8)
    seedCapabilities()
    guard let namespace else { throw SandboxError.invalid("no network namespace for \(hostName)") }
    let ip = try Executables.require("ip", package: "iproute2")
    let libvirtd = try Executables.require("libvirtd", package: "libvirt-daemon-system")
    let mount = try Executables.require("mount", package: "mount")
    // `ip netns exec` gives the command a mount namespace of its own (private to it), so these bind
    // mounts are seen by this libvirtd and its QEMUs only.
    var script = Self.mounts.map { "\(mount) --bind \(Self.quote(directory + "/" + $0.folder)) \($0.over)" }
    script.append(
      "OVS_RUNDIR=\(Self.quote(hostDirectory)) exec \(libvirtd) --daemon --pid-file \(Self.quote(pidFile))")
    try? files.removeItem(atPath: socket)
    try await CommandRunner.runOffPool(
      ip, ["netns", "exec", namespace, "/bin/sh", "-c", script.joined(separator: " && ")],
      outputFile: directory + "/start.out")
    let deadline = ContinuousClock.now + timeout
    while !files.fileExists(atPath: socket) || !isRunning {
      guard ContinuousClock.now < deadline else {
        throw SandboxError.commandFailed(
          command: libvirtd, status: 0,
          output: "the libvirtd of \(hostName) did not open \(socket) within \(timeout); see \(directory)/log")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    // Everything this libvirtd starts (guests, the QEMUs that answer its capability probe) shares
    // its mount namespace: recorded, it finds them even after libvirtd itself was killed. A restarted
    // libvirtd gets a new one while the guests of the old one run on: each is recorded, one a line.
    if let pid = daemon.runningPID(), let namespace = Self.mountNamespace(of: pid),
      namespace != Self.mountNamespace(of: getpid())
    {
      let recorded = recordedMountNamespaces()
      if !recorded.contains(namespace) {
        try (recorded + [namespace]).map { $0 + "\n" }.joined().write(
          toFile: mountNamespaceFile, atomically: true, encoding: .utf8)
      }
    }
  }

  /// Restarts the host's libvirtd (SIGTERM, or SIGKILL with `crash`), leaving its guests running:
  /// the new libvirtd finds them again, as after `systemctl restart libvirtd`. Returns the old pid.
  public func restart(crash: Bool = false, down: Duration = .zero) async throws -> pid_t? {
    let old = daemon.stop(grace: .seconds(10), crash: crash)
    if down > .zero { try await Task.sleep(for: down) }
    try await start()
    return old
  }

  func recordedMountNamespaces() -> [String] {
    let text = (try? String(contentsOfFile: mountNamespaceFile, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  var mountNamespaceFile: String { directory + "/mount-namespace" }

  /// The mount namespace of `pid`, as the kernel names it ("mnt:[4026532…]").
  static func mountNamespace(of pid: pid_t) -> String? {
    try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/mnt")
  }

  /// libvirtd asks QEMU what it can do before its first domain call — tens of seconds under
  /// software emulation — and caches the answer. The machine's own libvirtd has usually done so for
  /// the same QEMU; libvirtd checks a copied answer against the binaries and probes again if stale.
  private func seedCapabilities() {
    let source = "/var/cache/libvirt/qemu/capabilities"
    let target = directory + "/cache/qemu/capabilities"
    let files = FileManager.default
    guard let cached = try? files.contentsOfDirectory(atPath: source), !cached.isEmpty else { return }
    try? files.createDirectory(atPath: target, withIntermediateDirectories: true)
    for file in cached where file.hasSuffix(".xml") && !files.fileExists(atPath: target + "/" + file) {
      try? files.copyItem(atPath: source + "/" + file, toPath: target + "/" + file)
    }
  }

  /// Stops the host's guests and its libvirtd; returns what it stopped.
  @discardableResult
  public func stop() -> [String] {
    var stopped: [String] = []
    let ours = Self.mountNamespace(of: getpid())
    // Its mount namespaces: the one recorded at start, and that of any libvirtd of this host still
    // alive — found by its pidfile, or by the pidfile path on its command line when it was killed
    // before writing it (a sandbox SIGKILLed while starting). Never the one ovsvirt runs in: that
    // would be every process of the machine.
    var daemons = Set(Self.processes(withArgument: pidFile, program: "libvirtd"))
    if let pid = daemon.runningPID() { daemons.insert(pid) }
    var namespaces = Set(daemons.compactMap { Self.mountNamespace(of: $0) })
    namespaces.formUnion(recordedMountNamespaces())
    if let ours { namespaces.remove(ours) }
    // QEMU outlives a libvirtd that is stopped: end the guests first, found by their pidfiles.
    let qemuRun = directory + "/run/qemu"
    for file in (try? FileManager.default.contentsOfDirectory(atPath: qemuRun)) ?? [] where file.hasSuffix(".pid") {
      if let pid = ManagedDaemon(program: "qemu-system-x86_64", pidFile: qemuRun + "/" + file).stop() {
        stopped.append("guest \(file.dropLast(4)) (qemu \(pid), \(hostName))")
      }
    }
    if let pid = daemon.stop() {
      stopped.append("libvirtd \(pid) (\(hostName))")
      daemons.remove(pid)
    }
    for pid in daemons where kill(pid, SIGKILL) == 0 { stopped.append("libvirtd \(pid) (\(hostName), no pidfile yet)") }
    // Whatever is left in those namespaces: a guest of a libvirtd that died first, a capability
    // probe (`qemu -machine none`, daemonized) of one stopped mid-probe.
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
      guard let pid = pid_t(entry), pid != getpid(), let namespace = Self.mountNamespace(of: pid),
        namespaces.contains(namespace)
      else { continue }
      kill(pid, SIGKILL)
      stopped.append("process \(pid) of the libvirtd of \(hostName)")
    }
    try? FileManager.default.removeItem(atPath: mountNamespaceFile)
    return stopped
  }

  /// Live processes named `program` with `argument` on their command line.
  static func processes(withArgument argument: String, program: String) -> [pid_t] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
      guard let pid = pid_t(entry), ProcessTable.isRunning(pid, program: program),
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
      else { return nil }
      let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      return arguments.contains(argument) ? pid : nil
    }
  }

  /// `text` as one word for /bin/sh.
  static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
