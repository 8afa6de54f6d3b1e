import Foundation
import NIOConcurrencyHelpers

/// A hold on the daemons scripts/test shares between tests (ovsdb-server, ovs-vswitchd, libvirtd).
/// Tests that use them hold a shared lease; tests that stop or restart them (failover, watch) an
/// exclusive one, so no test sees a daemon vanish under it. Backed by flock(2) on a file in the
/// run directory, polled without blocking a thread of the (small) cooperative pool.
public final class HostLease: Sendable {
  private let descriptor: NIOLockedValueBox<Int32?>

  private init(_ fd: Int32) { descriptor = NIOLockedValueBox(fd) }

  public static func acquire(exclusive: Bool = false) async throws -> HostLease {
    let directory = ProcessInfo.processInfo.environment["OVSVIRT_TEST_RUNDIR"] ?? NSTemporaryDirectory()
    let path = directory + "/shared-host.lock"
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    while flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
      guard errno == EWOULDBLOCK || errno == EINTR else {
        let code = errno
        close(fd)
        throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    return HostLease(fd)
  }

  public func release() {
    descriptor.withLockedValue { fd in
      if let open = fd { close(open) }
      fd = nil
    }
  }

  deinit { release() }
}
