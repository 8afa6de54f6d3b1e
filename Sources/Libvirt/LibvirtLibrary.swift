import CLibvirt

#if canImport(Glibc)
  import Glibc
#endif

/// libvirt opened on first use. Linking it would load ~50 shared libraries (GnuTLS, GLib, Kerberos,
/// …) and run their initialisers on every ovsvirt start, ~15 ms, OVS-only commands included; the
/// C entry points ovsvirt calls are looked up here instead.
struct LibvirtLibrary: @unchecked Sendable {
  typealias ConnectOpen = @convention(c) (UnsafePointer<CChar>?) -> virConnectPtr?
  typealias ConnectClose = @convention(c) (virConnectPtr?) -> Int32
  typealias ConnectString = @convention(c) (virConnectPtr?) -> UnsafePointer<CChar>?
  typealias ConnectOwnedString = @convention(c) (virConnectPtr?) -> UnsafeMutablePointer<CChar>?
  typealias ConnectVersion = @convention(c) (virConnectPtr?, UnsafeMutablePointer<UInt>?) -> Int32
  typealias ListNetworks =
    @convention(c) (
      virConnectPtr?, UnsafeMutablePointer<UnsafeMutablePointer<virNetworkPtr?>?>?, UInt32
    ) -> Int32
  typealias ListDomains =
    @convention(c) (
      virConnectPtr?, UnsafeMutablePointer<UnsafeMutablePointer<virDomainPtr?>?>?, UInt32
    ) -> Int32
  typealias NetworkName = @convention(c) (virNetworkPtr?) -> UnsafePointer<CChar>?
  typealias NetworkFree = @convention(c) (virNetworkPtr?) -> Int32
  typealias DomainName = @convention(c) (virDomainPtr?) -> UnsafePointer<CChar>?
  typealias DomainFree = @convention(c) (virDomainPtr?) -> Int32
  typealias GetLastError = @convention(c) () -> virErrorPtr?
  typealias ResetLastError = @convention(c) () -> Void
  typealias Initialize = @convention(c) () -> Int32
  typealias SetErrorFunc = @convention(c) (UnsafeMutableRawPointer?, virErrorFunc?) -> Void

  let connectOpen: ConnectOpen
  let connectClose: ConnectClose
  let connectGetType: ConnectString
  let connectGetURI: ConnectOwnedString
  let connectGetLibVersion: ConnectVersion
  let connectListAllNetworks: ListNetworks
  let connectListAllDomains: ListDomains
  let networkGetName: NetworkName
  let networkFree: NetworkFree
  let domainGetName: DomainName
  let domainFree: DomainFree
  let getLastError: GetLastError
  let resetLastError: ResetLastError

  /// The library, opened and initialised once per process.
  static let shared: Result<LibvirtLibrary, LibvirtError> = load()

  static func load() -> Result<LibvirtLibrary, LibvirtError> {
    guard let handle = dlopen("libvirt.so.0", RTLD_NOW | RTLD_GLOBAL) else {
      let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
      return .failure(
        LibvirtError(
          code: -1, domain: 0, message: "cannot load libvirt (\(reason)); install libvirt0 (scripts/bootstrap does)",
          operation: "dlopen"))
    }
    var missing: [String] = []
    func symbol<T>(_ name: String, as type: T.Type) -> T? {
      guard let pointer = dlsym(handle, name) else {
        missing.append(name)
        return nil
      }
      return unsafeBitCast(pointer, to: type)
    }
    let library = LibvirtLibrary(
      connectOpen: symbol("virConnectOpen", as: ConnectOpen.self),
      connectClose: symbol("virConnectClose", as: ConnectClose.self),
      connectGetType: symbol("virConnectGetType", as: ConnectString.self),
      connectGetURI: symbol("virConnectGetURI", as: ConnectOwnedString.self),
      connectGetLibVersion: symbol("virConnectGetLibVersion", as: ConnectVersion.self),
      connectListAllNetworks: symbol("virConnectListAllNetworks", as: ListNetworks.self),
      connectListAllDomains: symbol("virConnectListAllDomains", as: ListDomains.self),
      networkGetName: symbol("virNetworkGetName", as: NetworkName.self),
      networkFree: symbol("virNetworkFree", as: NetworkFree.self),
      domainGetName: symbol("virDomainGetName", as: DomainName.self),
      domainFree: symbol("virDomainFree", as: DomainFree.self),
      getLastError: symbol("virGetLastError", as: GetLastError.self),
      resetLastError: symbol("virResetLastError", as: ResetLastError.self),
      initialize: symbol("virInitialize", as: Initialize.self),
      setErrorFunc: symbol("virSetErrorFunc", as: SetErrorFunc.self))
    guard let library, missing.isEmpty else {
      return .failure(
        LibvirtError(
          code: -1, domain: 0, message: "libvirt lacks \(missing.joined(separator: ", ")): too old?",
          operation: "dlsym"))
    }
    return .success(library)
  }

  private init?(
    connectOpen: ConnectOpen?, connectClose: ConnectClose?, connectGetType: ConnectString?,
    connectGetURI: ConnectOwnedString?, connectGetLibVersion: ConnectVersion?, connectListAllNetworks: ListNetworks?,
    connectListAllDomains: ListDomains?, networkGetName: NetworkName?, networkFree: NetworkFree?,
    domainGetName: DomainName?, domainFree: DomainFree?, getLastError: GetLastError?,
    resetLastError: ResetLastError?, initialize: Initialize?, setErrorFunc: SetErrorFunc?
  ) {
    guard let connectOpen, let connectClose, let connectGetType, let connectGetURI, let connectGetLibVersion,
      let connectListAllNetworks, let connectListAllDomains, let networkGetName, let networkFree, let domainGetName,
      let domainFree, let getLastError, let resetLastError, let initialize, let setErrorFunc
    else { return nil }
    // libvirt prints every error to stderr by default; ovsvirt reports them itself, as Swift errors.
    guard initialize() == 0 else { return nil }
    setErrorFunc(nil) { _, _ in }
    self.connectOpen = connectOpen
    self.connectClose = connectClose
    self.connectGetType = connectGetType
    self.connectGetURI = connectGetURI
    self.connectGetLibVersion = connectGetLibVersion
    self.connectListAllNetworks = connectListAllNetworks
    self.connectListAllDomains = connectListAllDomains
    self.networkGetName = networkGetName
    self.networkFree = networkFree
    self.domainGetName = domainGetName
    self.domainFree = domainFree
    self.getLastError = getLastError
    self.resetLastError = resetLastError
  }
}
