import Foundation

/// A TCP peer on 127.0.0.1 that accepts one connection, reads the first request, and resets the
/// connection (SO_LINGER 0, then close: an RST, as when a server is killed mid-request), for the
/// client's handling of a reset as opposed to a clean close.
public final class ResettingPeer: Sendable {
  public let port: Int
  private let listener: Int32

  public init() throws {
    let (fd, port) = try FreePort.bound(listening: true)
    listener = fd
    self.port = port
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
