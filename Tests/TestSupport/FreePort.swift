import Foundation

/// A TCP port free on 127.0.0.1 right now, for a server that cannot be told to pick one itself and
/// say which (Prometheus logs the address it was given, not the port it bound).
public enum FreePort {
  public static func loopback() throws -> Int {
    let (fd, port) = try bound(listening: false)
    close(fd)
    return port
  }

  /// A TCP socket bound to a port the kernel chose on 127.0.0.1 (listening, if asked), and the port.
  public static func bound(listening: Bool) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ready = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && (!listening || listen(fd, 1) == 0) && getsockname(fd, $0, &length) == 0
      }
    }
    guard ready else {
      let code = POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE
      close(fd)
      throw POSIXError(code)
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
  }
}
