import Foundation
import OVSDB

/// A client of ovs-vswitchd's control socket (what `ovs-appctl` talks to): one JSON-RPC 1.0 request
/// on the unix socket `<rundir>/ovs-vswitchd.<pid>.ctl`, one reply whose `result` is the command's
/// text. ovsvirt asks Open vSwitch itself how it would forward a frame (`ofproto/trace`) this way,
/// without spawning ovs-appctl.
///
/// Its calls block: they run on a thread of ovsvirt's own (see `UnixctlClient.call`), never on
/// Swift's cooperative pool.
public struct UnixctlClient: Sendable {
  public struct Failure: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// The socket's path.
  public var path: String
  /// How long one call may take, connecting included.
  public var timeout: Duration

  public init(path: String, timeout: Duration = .seconds(10)) {
    self.path = path
    self.timeout = timeout
  }

  /// The control socket of the ovs-vswitchd whose pidfile is in `rundir` (OVS_RUNDIR, default
  /// /var/run/openvswitch): `ovs-vswitchd.<pid>.ctl`, or `ovs-vswitchd.ctl` when a sandbox named it so.
  public static func defaultPath(rundir: String? = nil) -> String {
    let dir =
      rundir ?? ProcessInfo.processInfo.environment["OVS_RUNDIR"].flatMap { $0.isEmpty ? nil : $0 }
      ?? "/var/run/openvswitch"
    if let pid = try? String(contentsOfFile: dir + "/ovs-vswitchd.pid", encoding: .utf8)
      .trimmingCharacters(in: .whitespacesAndNewlines), !pid.isEmpty, pid.allSatisfy(\.isNumber)
    {
      return "\(dir)/ovs-vswitchd.\(pid).ctl"
    }
    return dir + "/ovs-vswitchd.ctl"
  }

  /// Sends `method` with `params` and returns the reply's text; an error reply, a closed socket or
  /// running out of time throws `Failure`. Blocks the calling thread.
  public func callBlocking(_ method: String, _ params: [String]) throws(Failure) -> String {
    let deadline = ContinuousClock.now + timeout
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Failure(description: "socket(): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
      throw Failure(description: "control socket path too long: \(path)")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in bytes.enumerated() { raw[index] = byte }
      raw[bytes.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard connected == 0 else {
      throw Failure(
        description:
          "cannot connect to ovs-vswitchd's control socket \(path): \(String(cString: strerror(errno))) (is ovs-vswitchd running? give --unixctl PATH)"
      )
    }
    let request = JSON.object(["id": 0, "method": .string(method), "params": .array(params.map(JSON.string))])
    var out = Array(request.description.utf8)
    while !out.isEmpty {
      try wait(fd, for: Int16(POLLOUT), until: deadline)
      let sent = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      guard sent > 0 else { throw Failure(description: "writing to \(path): \(String(cString: strerror(errno)))") }
      out.removeFirst(sent)
    }
    var received: [UInt8] = []
    var scanner = JSONFrameScanner()
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      try wait(fd, for: Int16(POLLIN), until: deadline)
      let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      guard count > 0 else {
        throw Failure(description: "ovs-vswitchd closed its control socket \(path) before answering \(method)")
      }
      let start = received.count
      received.append(contentsOf: chunk[0..<count])
      let frame: Range<Int>?
      do {
        frame = try received.withUnsafeBytes { try scanner.scan($0, from: start) }
      } catch {
        throw Failure(description: "ovs-vswitchd's answer to \(method) is not JSON: \(error)")
      }
      guard let frame else { continue }
      let reply: JSON
      do {
        reply = try JSONParser.parse(received[frame])
      } catch {
        throw Failure(description: "ovs-vswitchd's answer to \(method) is not JSON: \(error)")
      }
      if let error = reply["error"], !error.isNull {
        throw Failure(description: "ovs-vswitchd refused \(method): \(error.stringValue ?? error.description)")
      }
      return reply["result"]?.stringValue ?? ""
    }
  }

  private func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) throws(Failure) {
    while true {
      let left = deadline - ContinuousClock.now
      guard left > .zero else {
        throw Failure(description: "ovs-vswitchd did not answer on \(path) within \(timeout)")
      }
      var entry = pollfd(fd: fd, events: events, revents: 0)
      let millis = Int32(
        clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
      let ready = poll(&entry, 1, millis)
      if ready > 0 { return }
      if ready < 0 && errno != EINTR {
        throw Failure(description: "poll on \(path): \(String(cString: strerror(errno)))")
      }
    }
  }
}
