import CLibvirt

/// A failed libvirt call, keeping libvirt's own error code, domain and message.
public struct LibvirtError: Error, Sendable, Equatable, CustomStringConvertible {
  /// `virErrorNumber` (e.g. 43 = VIR_ERR_NO_NETWORK; see `isNoDomain`, `isNoNetwork`).
  public var code: Int32
  /// `virErrorDomain`: which libvirt subsystem raised it.
  public var domain: Int32
  public var message: String
  /// The libvirt function that failed, for context.
  public var operation: String

  public init(code: Int32, domain: Int32, message: String, operation: String) {
    self.code = code
    self.domain = domain
    self.message = message
    self.operation = operation
  }

  /// Captures the calling thread's last libvirt error (libvirt keeps it thread-local). `operation`
  /// is evaluated only afterwards: it may call libvirt (a domain's name), and every libvirt call
  /// starts by clearing the last error.
  static func last(_ operation: @autoclosure () -> String, _ lib: LibvirtLibrary) -> LibvirtError {
    let error = lib.callAs(.virGetLastError, LibvirtLibrary.GetLastError.self)()
    let code = error?.pointee.code ?? -1
    let domain = error?.pointee.domain ?? 0
    let message = error.map { e in e.pointee.message.map { String(cString: $0) } ?? "libvirt error \(e.pointee.code)" }
    lib.callAs(.virResetLastError, LibvirtLibrary.Void0.self)()
    return LibvirtError(
      code: code, domain: domain, message: message ?? "unknown libvirt error", operation: operation())
  }

  public var description: String { "libvirt \(operation) failed: \(message)" }

  /// The domain is gone (VIR_ERR_NO_DOMAIN): e.g. a transient VM that stopped after it was listed.
  public var isNoDomain: Bool { code == Int32(VIR_ERR_NO_DOMAIN.rawValue) }

  /// No network by that name (VIR_ERR_NO_NETWORK).
  public var isNoNetwork: Bool { code == Int32(VIR_ERR_NO_NETWORK.rawValue) }
}
