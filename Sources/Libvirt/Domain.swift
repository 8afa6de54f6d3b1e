import CLibvirt

#if canImport(Glibc)
  import Glibc
#endif

/// A libvirt domain (VM). The handle is freed exactly once, in `deinit`.
public final class Domain: @unchecked Sendable {
  let pointer: virDomainPtr
  let connection: Connection
  /// Read once, when the handle is made: libvirt keeps it in the handle (only a rename through this
  /// very handle changes it, which ovsvirt never does), and sorting hundreds of domains by a name
  /// read on every comparison cost more than listing them.
  public let name: String

  init(_ pointer: virDomainPtr, connection: Connection) {
    self.pointer = pointer
    self.connection = connection
    name =
      connection.lib.callAs(.virDomainGetName, LibvirtLibrary.DomainName.self)(pointer).map { String(cString: $0) }
      ?? ""
  }

  deinit {
    _ = lib.callAs(.virDomainFree, LibvirtLibrary.DomainInt.self)(pointer)
  }

  var lib: LibvirtLibrary { connection.lib }

  /// The domain's UUID (libvirt's vm-id, which OVS ports carry in external_ids).
  public var uuid: String {
    var buffer = [CChar](repeating: 0, count: 37)
    guard lib.callAs(.virDomainGetUUIDString, LibvirtLibrary.DomainUUID.self)(pointer, &buffer) == 0 else { return "" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The domain's XML: live, or the persistent definition (`inactive`). `secure` includes what
  /// libvirt otherwise leaves out (graphics passwords, cookies): whatever is defined back from this
  /// text must be read with it, or those settings are silently lost.
  public func xml(inactive: Bool = false, secure: Bool = false) throws(LibvirtError) -> String {
    var flags = inactive ? UInt32(VIR_DOMAIN_XML_INACTIVE.rawValue) : 0
    if secure { flags |= UInt32(VIR_DOMAIN_XML_SECURE.rawValue) }
    guard let text = lib.callAs(.virDomainGetXMLDesc, LibvirtLibrary.DomainXML.self)(pointer, flags) else {
      throw LibvirtError.last("virDomainGetXMLDesc(\(name))", lib)
    }
    defer { free(text) }
    return String(cString: text)
  }

  /// The live XML (as `xml()`), or nil when the domain no longer exists: a transient VM that
  /// stopped, or one that migrated away, after it was listed.
  public func xmlUnlessGone() throws(LibvirtError) -> String? {
    do {
      return try xml()
    } catch {
      if error.isNoDomain { return nil }
      throw error
    }
  }

  public func isActive() throws(LibvirtError) -> Bool {
    let result = lib.callAs(.virDomainIsActive, LibvirtLibrary.DomainInt.self)(pointer)
    guard result >= 0 else { throw LibvirtError.last("virDomainIsActive(\(name))", lib) }
    return result == 1
  }

  /// Starts a defined domain.
  public func start() throws(LibvirtError) {
    try call(.virDomainCreate, "virDomainCreate")
  }

  /// Powers it off at once (`virsh destroy`).
  public func destroy() throws(LibvirtError) {
    try call(.virDomainDestroy, "virDomainDestroy")
  }

  public func undefine() throws(LibvirtError) {
    try call(.virDomainUndefine, "virDomainUndefine")
  }

  /// Where a device change applies: the running VM, its persistent definition, or both.
  public struct Scope: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let live = Scope(rawValue: UInt32(VIR_DOMAIN_AFFECT_LIVE.rawValue))
    public static let config = Scope(rawValue: UInt32(VIR_DOMAIN_AFFECT_CONFIG.rawValue))
  }

  /// Changes a device in place (`virsh update-device`), e.g. an interface's `<vlan>`.
  public func updateDevice(_ xml: String, _ scope: Scope) throws(LibvirtError) {
    try device(.virDomainUpdateDeviceFlags, "virDomainUpdateDeviceFlags", xml, scope)
  }

  public func attachDevice(_ xml: String, _ scope: Scope) throws(LibvirtError) {
    try device(.virDomainAttachDeviceFlags, "virDomainAttachDeviceFlags", xml, scope)
  }

  public func detachDevice(_ xml: String, _ scope: Scope) throws(LibvirtError) {
    try device(.virDomainDetachDeviceFlags, "virDomainDetachDeviceFlags", xml, scope)
  }

  private func device(_ function: LibvirtLibrary.Function, _ operation: String, _ xml: String, _ scope: Scope)
    throws(LibvirtError)
  {
    guard lib.callAs(function, LibvirtLibrary.DomainDevice.self)(pointer, xml, scope.rawValue) == 0 else {
      throw LibvirtError.last("\(operation)(\(name))", lib)
    }
  }

  private func call(_ function: LibvirtLibrary.Function, _ operation: String) throws(LibvirtError) {
    guard lib.callAs(function, LibvirtLibrary.DomainInt.self)(pointer) == 0 else {
      throw LibvirtError.last("\(operation)(\(name))", lib)
    }
  }
}
