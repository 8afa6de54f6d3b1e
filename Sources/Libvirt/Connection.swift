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
    guard let pointer = lib.callAs(.virConnectOpen, LibvirtLibrary.ConnectOpen.self)(uri) else {
      throw LibvirtError.last("virConnectOpen(\(uri))", lib)
    }
    self.uri = uri
    self.pointer = pointer
  }

  deinit {
    _ = lib.callAs(.virConnectClose, LibvirtLibrary.ConnectInt.self)(pointer)
  }

  /// The driver name, e.g. "QEMU" or "TEST".
  public func driverType() throws(LibvirtError) -> String {
    guard let type = lib.callAs(.virConnectGetType, LibvirtLibrary.ConnectString.self)(pointer) else {
      throw LibvirtError.last("virConnectGetType", lib)
    }
    // Owned by the connection: not freed here.
    return String(cString: type)
  }

  /// Whether the connection still reaches its daemon. libvirt notices a closed socket on its event
  /// loop; the driver name, by contrast, is answered locally even after libvirtd died.
  public func isAlive() -> Bool {
    lib.runEventLoop()
    return lib.callAs(.virConnectIsAlive, LibvirtLibrary.ConnectInt.self)(pointer) == 1
  }

  /// The libvirt library version in the daemon, as major.minor.release.
  public func libraryVersion() throws(LibvirtError) -> (major: Int, minor: Int, release: Int) {
    var version: UInt = 0
    guard lib.callAs(.virConnectGetLibVersion, LibvirtLibrary.ConnectVersion.self)(pointer, &version) == 0 else {
      throw LibvirtError.last("virConnectGetLibVersion", lib)
    }
    return (Int(version / 1_000_000), Int(version / 1000 % 1000), Int(version % 1000))
  }

  /// The canonical URI of the connection as the daemon reports it.
  public func canonicalURI() throws(LibvirtError) -> String {
    guard let uri = lib.callAs(.virConnectGetURI, LibvirtLibrary.ConnectOwnedString.self)(pointer) else {
      throw LibvirtError.last("virConnectGetURI", lib)
    }
    defer { free(uri) }
    return String(cString: uri)
  }

  /// All networks, active and inactive, sorted by name.
  public func networks() throws(LibvirtError) -> [Network] {
    var list: UnsafeMutablePointer<virNetworkPtr?>? = nil
    let count = lib.callAs(.virConnectListAllNetworks, LibvirtLibrary.ListNetworks.self)(pointer, &list, 0)
    guard count >= 0 else { throw LibvirtError.last("virConnectListAllNetworks", lib) }
    defer { free(list) }
    // Each element is owned by the Network wrapping it; the array itself is freed above.
    return (0..<Int(count)).compactMap { list?[$0] }.map { Network($0, connection: self) }.sorted { $0.name < $1.name }
  }

  public func networkNames() throws(LibvirtError) -> [String] { try networks().map(\.name) }

  /// The network called `name`; libvirt's error (code 43, VIR_ERR_NO_NETWORK) if there is none.
  public func network(named name: String) throws(LibvirtError) -> Network {
    guard let network = lib.callAs(.virNetworkLookupByName, LibvirtLibrary.NetworkByName.self)(pointer, name) else {
      throw LibvirtError.last("virNetworkLookupByName(\(name))", lib)
    }
    return Network(network, connection: self)
  }

  /// Defines (or redefines) a persistent network from XML (`virsh net-define`).
  public func defineNetwork(xml: String) throws(LibvirtError) -> Network {
    guard let network = lib.callAs(.virNetworkDefineXML, LibvirtLibrary.NetworkByName.self)(pointer, xml) else {
      throw LibvirtError.last("virNetworkDefineXML", lib)
    }
    return Network(network, connection: self)
  }

  /// Domains, sorted by name; `activeOnly` lists just the running ones.
  public func domains(activeOnly: Bool = false) throws(LibvirtError) -> [Domain] {
    var list: UnsafeMutablePointer<virDomainPtr?>? = nil
    let flags = activeOnly ? UInt32(VIR_CONNECT_LIST_DOMAINS_ACTIVE.rawValue) : 0
    let count = lib.callAs(.virConnectListAllDomains, LibvirtLibrary.ListDomains.self)(pointer, &list, flags)
    guard count >= 0 else { throw LibvirtError.last("virConnectListAllDomains", lib) }
    defer { free(list) }
    return (0..<Int(count)).compactMap { list?[$0] }.map { Domain($0, connection: self) }.sorted { $0.name < $1.name }
  }

  public func domainNames() throws(LibvirtError) -> [String] { try domains().map(\.name) }

  public func domain(named name: String) throws(LibvirtError) -> Domain {
    guard let domain = lib.callAs(.virDomainLookupByName, LibvirtLibrary.DomainByName.self)(pointer, name) else {
      throw LibvirtError.last("virDomainLookupByName(\(name))", lib)
    }
    return Domain(domain, connection: self)
  }

  /// Defines a persistent domain from XML (`virsh define`).
  public func defineDomain(xml: String) throws(LibvirtError) -> Domain {
    guard let domain = lib.callAs(.virDomainDefineXML, LibvirtLibrary.DomainByName.self)(pointer, xml) else {
      throw LibvirtError.last("virDomainDefineXML", lib)
    }
    return Domain(domain, connection: self)
  }

  /// Starts a transient domain from XML (`virsh create`).
  public func createDomain(xml: String) throws(LibvirtError) -> Domain {
    guard let domain = lib.callAs(.virDomainCreateXML, LibvirtLibrary.DomainCreateXML.self)(pointer, xml, 0) else {
      throw LibvirtError.last("virDomainCreateXML", lib)
    }
    return Domain(domain, connection: self)
  }
}
