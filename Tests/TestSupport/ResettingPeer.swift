import Foundation

/// A TCP peer on 127.0.0.1 that accepts one connection, reads the first request, and resets the
/// connection (SO_LINGER 0, then close: an RST, as when a server is killed mid-request), for the
/// client's handling of a reset as opposed to a clean close.
public final class ResettingPeer: Sendable {
  public let port: Int
  private let listener: Int32

  public init() throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ready = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard ready else {
      close(fd)
      throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE)
    }
    listener = fd
    port = Int(UInt16(bigEndian: address.sin_port))
    // Its own thread: accept and read block.
    Thread.detachNewThread { [fd] in
      let connection = accept(fd, nil, nil)
      guard connection >= 0 else { return }
      var buffer = [UInt8](repeating: 0, count: 4096)
      _ = read(connection, &buffer, buffer.count)
      var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
      _ = setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
      close(connection)
    }
  }

  deinit { close(listener) }
}
