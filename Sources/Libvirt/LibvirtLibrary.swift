import CLibvirt
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// libvirt opened on first use. Linking it would load ~50 shared libraries (GnuTLS, GLib, Kerberos,
/// …) and run their initialisers on every ovsvirt start, ~15 ms, OVS-only commands included; the
/// C entry points ovsvirt calls are looked up here instead, all at once, so a missing one is
/// reported when libvirt is first needed rather than in the middle of a change.
final class LibvirtLibrary: Sendable {
  /// Every function ovsvirt calls, with its C signature (libvirt-*.h).
  enum Function: String, CaseIterable {
    case virInitialize, virSetErrorFunc, virGetLastError, virResetLastError
    case virConnectOpen, virConnectClose, virConnectGetType, virConnectGetURI, virConnectGetLibVersion
    case virConnectIsAlive
    case virConnectListAllNetworks, virNetworkLookupByName, virNetworkDefineXML, virNetworkCreate, virNetworkDestroy
    case virNetworkUndefine, virNetworkFree, virNetworkGetName, virNetworkGetXMLDesc, virNetworkIsActive
    case virNetworkIsPersistent, virNetworkGetAutostart, virNetworkSetAutostart, virNetworkUpdate
    case virConnectListAllDomains, virDomainLookupByName, virDomainDefineXML, virDomainCreateXML, virDomainCreate
    case virDomainDestroy, virDomainUndefine, virDomainFree, virDomainGetName, virDomainGetXMLDesc, virDomainIsActive
    case virDomainUpdateDeviceFlags, virDomainAttachDeviceFlags, virDomainDetachDeviceFlags
    case virEventRegisterDefaultImpl, virEventRunDefaultImpl, virDomainGetUUIDString
    case virConnectDomainEventRegisterAny, virConnectDomainEventDeregisterAny
  }

  typealias Initialize = @convention(c) () -> Int32
  typealias SetErrorFunc = @convention(c) (UnsafeMutableRawPointer?, virErrorFunc?) -> Void
  typealias GetLastError = @convention(c) () -> virErrorPtr?
  typealias Void0 = @convention(c) () -> Void
  typealias ConnectOpen = @convention(c) (UnsafePointer<CChar>?) -> virConnectPtr?
  typealias ConnectInt = @convention(c) (virConnectPtr?) -> Int32
  typealias ConnectString = @convention(c) (virConnectPtr?) -> UnsafePointer<CChar>?
  typealias ConnectOwnedString = @convention(c) (virConnectPtr?) -> UnsafeMutablePointer<CChar>?
  typealias ConnectVersion = @convention(c) (virConnectPtr?, UnsafeMutablePointer<UInt>?) -> Int32
  typealias ListNetworks =
    @convention(c) (
      virConnectPtr?, UnsafeMutablePointer<UnsafeMutablePointer<virNetworkPtr?>?>?, UInt32
    ) -> Int32
  typealias NetworkByName = @convention(c) (virConnectPtr?, UnsafePointer<CChar>?) -> virNetworkPtr?
  typealias NetworkInt = @convention(c) (virNetworkPtr?) -> Int32
  typealias NetworkName = @convention(c) (virNetworkPtr?) -> UnsafePointer<CChar>?
  typealias NetworkXML = @convention(c) (virNetworkPtr?, UInt32) -> UnsafeMutablePointer<CChar>?
  typealias NetworkGetAutostart = @convention(c) (virNetworkPtr?, UnsafeMutablePointer<Int32>?) -> Int32
  typealias NetworkSetAutostart = @convention(c) (virNetworkPtr?, Int32) -> Int32
  typealias NetworkUpdate =
    @convention(c) (virNetworkPtr?, UInt32, UInt32, Int32, UnsafePointer<CChar>?, UInt32) -> Int32
  typealias ListDomains =
    @convention(c) (
      virConnectPtr?, UnsafeMutablePointer<UnsafeMutablePointer<virDomainPtr?>?>?, UInt32
    ) -> Int32
  typealias DomainByName = @convention(c) (virConnectPtr?, UnsafePointer<CChar>?) -> virDomainPtr?
  typealias DomainCreateXML = @convention(c) (virConnectPtr?, UnsafePointer<CChar>?, UInt32) -> virDomainPtr?
  typealias DomainInt = @convention(c) (virDomainPtr?) -> Int32
  typealias DomainName = @convention(c) (virDomainPtr?) -> UnsafePointer<CChar>?
  typealias DomainXML = @convention(c) (virDomainPtr?, UInt32) -> UnsafeMutablePointer<CChar>?
  typealias DomainDevice = @convention(c) (virDomainPtr?, UnsafePointer<CChar>?, UInt32) -> Int32
  typealias EventRegister =
    @convention(c) (
      virConnectPtr?, virDomainPtr?, Int32, virConnectDomainEventGenericCallback?, UnsafeMutableRawPointer?,
      virFreeCallback?
    ) -> Int32
  typealias DomainUUID = @convention(c) (virDomainPtr?, UnsafeMutablePointer<CChar>?) -> Int32
  typealias EventDeregister = @convention(c) (virConnectPtr?, Int32) -> Int32

  /// Addresses by function, as bit patterns (raw pointers are not Sendable; these never change).
  private let addresses: [Function: UInt]

  private init(addresses: [Function: UInt]) {
    self.addresses = addresses
  }

  /// The library, opened and initialised once per process.
  static let shared: Result<LibvirtLibrary, LibvirtError> = load()

  /// The C function `function` as a callable of type `T` (its signature above).
  func callAs<T>(_ function: Function, _ type: T.Type) -> T {
    // Every case was resolved in `load`, so the lookup cannot miss.
    unsafeBitCast(UnsafeRawPointer(bitPattern: addresses[function] ?? 0), to: type)
  }

  static func load() -> Result<LibvirtLibrary, LibvirtError> {
    guard let handle = dlopen("libvirt.so.0", RTLD_NOW | RTLD_GLOBAL) else {
      let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
      return .failure(
        LibvirtError(
          code: -1, domain: 0, message: "cannot load libvirt (\(reason)); install libvirt0 (scripts/bootstrap does)",
          operation: "dlopen"))
    }
    var addresses: [Function: UInt] = [:]
    var missing: [String] = []
    for function in Function.allCases {
      if let pointer = dlsym(handle, function.rawValue) {
        addresses[function] = UInt(bitPattern: pointer)
      } else {
        missing.append(function.rawValue)
      }
    }
    guard missing.isEmpty else {
      return .failure(
        LibvirtError(
          code: -1, domain: 0, message: "libvirt lacks \(missing.joined(separator: ", ")): too old?", operation: "dlsym"
        ))
    }
    let library = LibvirtLibrary(addresses: addresses)
    guard library.callAs(.virInitialize, Initialize.self)() == 0 else {
      return .failure(LibvirtError(code: -1, domain: 0, message: "virInitialize failed", operation: "virInitialize"))
    }
    // libvirt prints every error to stderr by default; ovsvirt reports them itself, as Swift errors.
    library.callAs(.virSetErrorFunc, SetErrorFunc.self)(nil) { _, _ in }
    // Events and the remote driver's keepalive need libvirt's event loop, registered before any
    // connection is opened; it runs from the first `runEventLoop` on.
    guard library.callAs(.virEventRegisterDefaultImpl, Initialize.self)() == 0 else {
      return .failure(
        LibvirtError(
          code: -1, domain: 0, message: "cannot register libvirt's event loop", operation: "virEventRegisterDefaultImpl"
        ))
    }
    return .success(library)
  }

  /// Runs libvirt's event loop on a thread of its own, from the first call on, for the life of the
  /// process: what events, keepalive and noticing a dead daemon need. Plain calls do not (the calling
  /// thread does a remote call's I/O itself), and with the loop thread also woken by every reply, a
  /// one-shot command's round trips to libvirtd took longer: reading 250 domains' XML, 39 → 56 ms.
  func runEventLoop() {
    _ = Self.eventLoop
  }

  private static let eventLoop: Void = {
    guard case .success(let library) = shared else { return }
    let run = library.callAs(.virEventRunDefaultImpl, Initialize.self)
    let thread = Thread {
      while true { _ = run() }
    }
    thread.name = "libvirt-events"
    thread.start()
  }()
}
