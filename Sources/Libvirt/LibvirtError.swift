import CLibvirt

/// A failed libvirt call, keeping libvirt's own error code, domain and message.
public struct LibvirtError: Error, Sendable, Equatable, CustomStringConvertible {
  /// `virErrorNumber` (e.g. 43 = VIR_ERR_NO_NETWORK).
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

  /// Captures the calling thread's last libvirt error (libvirt keeps it thread-local).
  static func last(_ operation: String, _ lib: LibvirtLibrary) -> LibvirtError {
    guard let error = lib.getLastError() else {
      return LibvirtError(code: -1, domain: 0, message: "unknown libvirt error", operation: operation)
    }
    let message = error.pointee.message.map { String(cString: $0) } ?? "libvirt error \(error.pointee.code)"
    let result = LibvirtError(
      code: error.pointee.code, domain: error.pointee.domain, message: message, operation: operation)
    lib.resetLastError()
    return result
  }

  public var description: String { "libvirt \(operation) failed: \(message)" }
}
