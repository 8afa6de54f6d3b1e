import Foundation
import Libvirt
import VirtXML

extension HostLab {
  /// A real libvirt-managed guest on a lab host: a tiny QEMU guest (software emulation, booted from
  /// `scripts/guest-image`'s kernel and busybox initramfs) whose NIC is on a libvirt network of the
  /// host, plugged into the host's Open vSwitch by libvirt itself. It answers pings at the address
  /// it was given. Its definition (MAC, interfaceid) is kept in the lab, so it can be started on
  /// another host the way an HA manager restarts a VM after a failover.
  public struct Guest: Sendable, Equatable {
    public var name: String
    public var host: String
    public var mac: String
    public var interfaceID: String
    /// The `--connect` URI of the libvirtd it runs under.
    public var uri: String
    /// The serial console, written by QEMU.
    public var console: String
    /// How long from `virsh start` to the guest's ready line.
    public var bootTime: Duration
  }

  /// What a new guest is: where its NIC goes and what the guest sets on it.
  public struct GuestRequest: Sendable {
    public var name: String
    public var host: String
    public var network: String
    public var portgroup: String?
    /// Address with prefix length for the guest's eth0; nil leaves it unnumbered.
    public var address: String?
    public var mtu: Int?
    public var mac: String?
    public var interfaceID: String?
    /// virtio or e1000.
    public var model: String
    /// The folder holding `vmlinuz` and `initrd.img` (scripts/guest-image DIR).
    public var image: String
    /// An address the guest pings twice a second from boot on (replies show on its console).
    public var ping: String? = nil

    public init(
      name: String, host: String, network: String, portgroup: String? = nil, address: String? = nil,
      mtu: Int? = nil, mac: String? = nil, interfaceID: String? = nil, model: String = "virtio", image: String
    ) {
      self.name = name
      self.host = host
      self.network = network
      self.portgroup = portgroup
      self.address = address
      self.mtu = mtu
      self.mac = mac
      self.interfaceID = interfaceID
      self.model = model
      self.image = image
    }
  }

  /// What the guest prints on its console once its NIC is up (scripts/guest-image's /init).
  static let guestReadyLine = "OVSVIRT-GUEST-READY"

  var guestDirectory: String { directory + "/guests" }
  func guestDefinitionFile(_ name: String) -> String { guestDirectory + "/\(name).xml" }
  func guestHostFile(_ name: String) -> String { guestDirectory + "/\(name).host" }

  /// Defines and starts `request` on its host's libvirtd; returns once the guest says its NIC is up,
  /// within `timeout`.
  public func addGuest(_ request: GuestRequest, timeout: Duration) async throws -> Guest {
    let host = try libvirtHost(request.host)
    try Self.checkGuestName(request.name)
    guard !FileManager.default.fileExists(atPath: guestDefinitionFile(request.name)) else {
      throw SandboxError.invalid("guest '\(request.name)' exists already (move it with --move-to, or --remove it)")
    }
    if let address = request.address, !address.contains("/") {
      throw SandboxError.invalid("address '\(address)': give it as CIDR, e.g. 10.120.0.11/24")
    }
    if let mtu = request.mtu, !(68...9000).contains(mtu) { throw SandboxError.invalid("MTU \(mtu) is outside 68–9000") }
    guard ["virtio", "e1000"].contains(request.model) else {
      throw SandboxError.invalid("NIC model '\(request.model)': the guest image has drivers for virtio and e1000")
    }
    let kernel = request.image + "/vmlinuz"
    let initrd = request.image + "/initrd.img"
    for file in [kernel, initrd] where !FileManager.default.fileExists(atPath: file) {
      throw SandboxError.invalid("no \(file): make the guest image with `scripts/guest-image \(request.image)`")
    }
    let mac = (request.mac ?? Self.mac(for: directory + "/guest/" + request.name)).lowercased()
    guard MACAddress.isUnicast(mac) else {
      throw SandboxError.invalid("MAC address '\(mac)': six hex pairs with ':', unicast (e.g. 52:54:00:12:34:56)")
    }
    let interfaceID = request.interfaceID ?? UUID().uuidString.lowercased()
    var commandLine = ["console=ttyS0", "quiet", "panic=-1"]
    if let address = request.address { commandLine.append("ovsvirt.ip=" + address) }
    if let target = request.ping {
      guard target.split(separator: ".").count == 4, target.allSatisfy({ $0.isNumber || $0 == "." }) else {
        throw SandboxError.invalid("--ping '\(target)': give an IPv4 address")
      }
      commandLine.append("ovsvirt.ping=" + target)
    }
    // A virtio guest learns its MTU from libvirt (`<mtu size>` becomes QEMU's host_mtu); e1000 cannot.
    if let mtu = request.mtu, request.model != "virtio" { commandLine.append("ovsvirt.mtu=\(mtu)") }
    try FileManager.default.createDirectory(atPath: guestDirectory, withIntermediateDirectories: true)
    let definition = GuestDefinition(
      name: request.name, kernel: kernel, initrd: initrd, commandLine: commandLine.joined(separator: " "),
      console: guestDirectory + "/\(request.name).console",
      interface: InterfaceDefinition(
        mac: mac, target: .network(request.network, portgroup: request.portgroup), interfaceID: interfaceID,
        model: request.model, mtu: request.mtu))
    let xml = try definition.xml()
    try xml.write(toFile: guestDefinitionFile(request.name), atomically: true, encoding: .utf8)
    do {
      return try await boot(request.name, xml: xml, on: host, timeout: timeout)
    } catch {
      // Nothing half made stays behind: the domain libvirt may have defined, and the lab's record.
      try? await Self.remove(request.name, uri: host.uri)
      for file in [guestDefinitionFile(request.name), guestHostFile(request.name)] {
        try? FileManager.default.removeItem(atPath: file)
      }
      throw error
    }
  }

  /// A failover, as an HA manager does it: the guest is stopped (and undefined) where it runs, then
  /// defined and started on `target` from the same definition — same MAC, same interfaceid.
  public func moveGuest(_ name: String, to target: String, timeout: Duration) async throws -> Guest {
    let (xml, source) = try guestRecord(name)
    let destination = try libvirtHost(target)
    guard source != target else { throw SandboxError.invalid("guest '\(name)' already runs on \(target)") }
    if let from = try hosts().first(where: { $0.name == source }) {
      try await Self.remove(name, uri: HostLibvirt(host: from).uri)
    }
    return try await boot(name, xml: xml, on: destination, timeout: timeout)
  }

  /// Stops and undefines the guest, and forgets it.
  public func removeGuest(_ name: String) async throws {
    let (_, source) = try guestRecord(name)
    if let from = try hosts().first(where: { $0.name == source }) {
      try await Self.remove(name, uri: HostLibvirt(host: from).uri)
    }
    for file in [guestDefinitionFile(name), guestHostFile(name), guestDirectory + "/\(name).console"] {
      try? FileManager.default.removeItem(atPath: file)
    }
  }

  private func guestRecord(_ name: String) throws -> (xml: String, host: String) {
    guard let xml = try? String(contentsOfFile: guestDefinitionFile(name), encoding: .utf8) else {
      throw SandboxError.invalid("no guest '\(name)' in this sandbox")
    }
    let host = (try? String(contentsOfFile: guestHostFile(name), encoding: .utf8)) ?? ""
    return (xml, host.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  private func libvirtHost(_ name: String) throws -> HostLibvirt {
    let all = try hosts()
    guard let host = all.first(where: { $0.name == name }) else {
      throw SandboxError.invalid(
        "no host '\(name)' in this sandbox (it has \(all.map(\.name).joined(separator: ", ")))")
    }
    let libvirt = HostLibvirt(host: host)
    guard libvirt.isRunning else {
      throw SandboxError.invalid(
        "host \(name) runs no libvirtd: start the sandbox with --libvirt (ovsvirt sandbox --hosts … --libvirt)")
    }
    return libvirt
  }

  private func boot(_ name: String, xml: String, on host: HostLibvirt, timeout: Duration) async throws -> Guest {
    let console = guestDirectory + "/\(name).console"
    try? FileManager.default.removeItem(atPath: console)
    let started = ContinuousClock.now
    let uri = host.uri
    let live = try await Self.libvirt.run { () throws -> String in
      let connection = try Connection(uri: uri)
      let domain = try connection.defineDomain(xml: xml)
      try domain.start()
      return try domain.xml()
    }
    try host.hostName.write(toFile: guestHostFile(name), atomically: true, encoding: .utf8)
    let deadline = started + timeout
    while true {
      if let text = try? String(contentsOfFile: console, encoding: .utf8), text.contains(Self.guestReadyLine) { break }
      guard ContinuousClock.now < deadline else {
        throw SandboxError.commandFailed(
          command: "guest \(name)", status: 0,
          output: "no ready line on its console (\(console)) within \(timeout); it runs on \(host.hostName)")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    let interface = try DomainInterface.all(inDomainXML: live).first
    return Guest(
      name: name, host: host.hostName, mac: interface?.mac ?? "", interfaceID: interface?.interfaceID ?? "",
      uri: uri, console: console, bootTime: ContinuousClock.now - started)
  }

  /// Destroys and undefines `name` on the libvirtd at `uri`, whichever of it exists.
  static func remove(_ name: String, uri: String) async throws {
    try await libvirt.run { () throws in
      let connection = try Connection(uri: uri)
      let domain: Domain
      do {
        domain = try connection.domain(named: name)
      } catch let error as LibvirtError where error.isNoDomain {
        return
      }
      if try domain.isActive() { try domain.destroy() }
      try domain.undefine()
    }
  }

  /// Guest names name QEMU processes and libvirt files.
  static func checkGuestName(_ name: String) throws(SandboxError) {
    guard !name.isEmpty, name.utf8.count <= 40,
      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    else { throw .invalid("guest name '\(name)': 1–40 letters, digits, '-' or '_'") }
  }

  /// libvirt's blocking calls for the lab, off Swift's cooperative pool.
  static let libvirt = LibvirtExecutor(name: "sandbox-libvirt")
}
