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
  let lib: LibvirtLibrary

  /// Opens `uri` read-write. Fails with libvirt's own message (e.g. no daemon listening).
  public init(uri: String) throws(LibvirtError) {
    lib = try LibvirtLibrary.shared.get()
    guard let pointer = lib.connectOpen(uri) else { throw LibvirtError.last("virConnectOpen(\(uri))", lib) }
    self.uri = uri
    self.pointer = pointer
  }

  deinit {
    _ = lib.connectClose(pointer)
  }

  /// The driver name, e.g. "QEMU" or "TEST".
  public func driverType() throws(LibvirtError) -> String {
    guard let type = lib.connectGetType(pointer) else { throw LibvirtError.last("virConnectGetType", lib) }
    // Owned by the connection: not freed here.
    return String(cString: type)
  }

  /// The libvirt library version in the daemon, as major.minor.release.
  public func libraryVersion() throws(LibvirtError) -> (major: Int, minor: Int, release: Int) {
    var version: UInt = 0
    guard lib.connectGetLibVersion(pointer, &version) == 0 else {
      throw LibvirtError.last("virConnectGetLibVersion", lib)
    }
    return (Int(version / 1_000_000), Int(version / 1000 % 1000), Int(version % 1000))
  }

  /// The canonical URI of the connection as the daemon reports it.
  public func canonicalURI() throws(LibvirtError) -> String {
    guard let uri = lib.connectGetURI(pointer) else { throw LibvirtError.last("virConnectGetURI", lib) }
    defer { free(uri) }
    return String(cString: uri)
  }

  /// Names of all networks, active and inactive, sorted.
  public func networkNames() throws(LibvirtError) -> [String] {
    var list: UnsafeMutablePointer<virNetworkPtr?>? = nil
    let count = lib.connectListAllNetworks(pointer, &list, 0)
    guard count >= 0 else { throw LibvirtError.last("virConnectListAllNetworks", lib) }
    defer { free(list) }
    var names: [String] = []
    for i in 0..<Int(count) {
      guard let network = list?[i] else { continue }
      if let name = lib.networkGetName(network) { names.append(String(cString: name)) }
      _ = lib.networkFree(network)
    }
    return names.sorted()
  }

  /// Names of all domains, running and defined, sorted.
  public func domainNames() throws(LibvirtError) -> [String] {
    var list: UnsafeMutablePointer<virDomainPtr?>? = nil
    let count = lib.connectListAllDomains(pointer, &list, 0)
    guard count >= 0 else { throw LibvirtError.last("virConnectListAllDomains", lib) }
    defer { free(list) }
    var names: [String] = []
    for i in 0..<Int(count) {
      guard let domain = list?[i] else { continue }
      if let name = lib.domainGetName(domain) { names.append(String(cString: name)) }
      _ = lib.domainFree(domain)
    }
    return names.sorted()
  }
}
