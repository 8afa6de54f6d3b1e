import CLibvirt
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An open libvirt connection (`qemu:///system`, `test:///default`, …).
///
/// libvirt connections are safe to use from several threads at once, which is why this class is
/// `@unchecked Sendable`; the pointer is closed exactly once, in `deinit`.
public final class Connection: @unchecked Sendable {
  public let uri: String
  let pointer: virConnectPtr

  /// Opens `uri` read-write. Fails with libvirt's own message (e.g. no daemon listening).
  public init(uri: String) throws(LibvirtError) {
    guard LibvirtSession.initialized else {
      throw LibvirtError(code: -1, domain: 0, message: "libvirt failed to initialise", operation: "virInitialize")
    }
    guard let pointer = virConnectOpen(uri) else { throw LibvirtError.last("virConnectOpen(\(uri))") }
    self.uri = uri
    self.pointer = pointer
  }

  deinit {
    virConnectClose(pointer)
  }

  /// The driver name, e.g. "QEMU" or "TEST".
  public func driverType() throws(LibvirtError) -> String {
    guard let type = virConnectGetType(pointer) else { throw LibvirtError.last("virConnectGetType") }
    // Owned by the connection: not freed here.
    return String(cString: type)
  }

  /// The libvirt library version in the daemon, as major.minor.release.
  public func libraryVersion() throws(LibvirtError) -> (major: Int, minor: Int, release: Int) {
    var version: UInt = 0
    guard virConnectGetLibVersion(pointer, &version) == 0 else { throw LibvirtError.last("virConnectGetLibVersion") }
    return (Int(version / 1_000_000), Int(version / 1000 % 1000), Int(version % 1000))
  }

  /// The canonical URI of the connection as the daemon reports it.
  public func canonicalURI() throws(LibvirtError) -> String {
    guard let uri = virConnectGetURI(pointer) else { throw LibvirtError.last("virConnectGetURI") }
    defer { free(uri) }
    return String(cString: uri)
  }

  /// Names of all networks, active and inactive, sorted.
  public func networkNames() throws(LibvirtError) -> [String] {
    var list: UnsafeMutablePointer<virNetworkPtr?>? = nil
    let count = virConnectListAllNetworks(pointer, &list, 0)
    guard count >= 0 else { throw LibvirtError.last("virConnectListAllNetworks") }
    defer { free(list) }
    var names: [String] = []
    for i in 0..<Int(count) {
      guard let network = list?[i] else { continue }
      if let name = virNetworkGetName(network) { names.append(String(cString: name)) }
      virNetworkFree(network)
    }
    return names.sorted()
  }

  /// Names of all domains, running and defined, sorted.
  public func domainNames() throws(LibvirtError) -> [String] {
    var list: UnsafeMutablePointer<virDomainPtr?>? = nil
    let count = virConnectListAllDomains(pointer, &list, 0)
    guard count >= 0 else { throw LibvirtError.last("virConnectListAllDomains") }
    defer { free(list) }
    var names: [String] = []
    for i in 0..<Int(count) {
      guard let domain = list?[i] else { continue }
      if let name = virDomainGetName(domain) { names.append(String(cString: name)) }
      virDomainFree(domain)
    }
    return names.sorted()
  }
}
