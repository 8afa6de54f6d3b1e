import CLibvirt

#if canImport(Glibc)
  import Glibc
#endif

/// A libvirt virtual network. The handle is freed exactly once, in `deinit`.
public final class Network: @unchecked Sendable {
  let pointer: virNetworkPtr
  let connection: Connection

  init(_ pointer: virNetworkPtr, connection: Connection) {
    self.pointer = pointer
    self.connection = connection
  }

  deinit {
    _ = lib.callAs(.virNetworkFree, LibvirtLibrary.NetworkInt.self)(pointer)
  }

  var lib: LibvirtLibrary { connection.lib }

  public var name: String {
    lib.callAs(.virNetworkGetName, LibvirtLibrary.NetworkName.self)(pointer).map { String(cString: $0) } ?? ""
  }

  /// The network's XML; `inactive` gives the persistent definition instead of the running one.
  public func xml(inactive: Bool = false) throws(LibvirtError) -> String {
    let flags = inactive ? UInt32(VIR_NETWORK_XML_INACTIVE.rawValue) : 0
    guard let text = lib.callAs(.virNetworkGetXMLDesc, LibvirtLibrary.NetworkXML.self)(pointer, flags) else {
      throw LibvirtError.last("virNetworkGetXMLDesc(\(name))", lib)
    }
    defer { free(text) }
    return String(cString: text)
  }

  public func isActive() throws(LibvirtError) -> Bool {
    try flag(.virNetworkIsActive, "virNetworkIsActive")
  }

  public func isPersistent() throws(LibvirtError) -> Bool {
    try flag(.virNetworkIsPersistent, "virNetworkIsPersistent")
  }

  public func autostart() throws(LibvirtError) -> Bool {
    var value: Int32 = 0
    guard lib.callAs(.virNetworkGetAutostart, LibvirtLibrary.NetworkGetAutostart.self)(pointer, &value) == 0 else {
      throw LibvirtError.last("virNetworkGetAutostart(\(name))", lib)
    }
    return value != 0
  }

  public func setAutostart(_ on: Bool) throws(LibvirtError) {
    guard lib.callAs(.virNetworkSetAutostart, LibvirtLibrary.NetworkSetAutostart.self)(pointer, on ? 1 : 0) == 0 else {
      throw LibvirtError.last("virNetworkSetAutostart(\(name))", lib)
    }
  }

  /// Starts a defined network (`virsh net-start`).
  public func start() throws(LibvirtError) {
    try call(.virNetworkCreate, "virNetworkCreate")
  }

  /// Stops it (`virsh net-destroy`); the definition stays.
  public func stop() throws(LibvirtError) {
    try call(.virNetworkDestroy, "virNetworkDestroy")
  }

  /// Removes the definition (`virsh net-undefine`).
  public func undefine() throws(LibvirtError) {
    try call(.virNetworkUndefine, "virNetworkUndefine")
  }

  /// What `update` does to a section.
  public enum UpdateCommand: Sendable {
    case add, delete, modify

    var raw: UInt32 {
      switch self {
      case .add: return UInt32(VIR_NETWORK_UPDATE_COMMAND_ADD_LAST.rawValue)
      case .delete: return UInt32(VIR_NETWORK_UPDATE_COMMAND_DELETE.rawValue)
      case .modify: return UInt32(VIR_NETWORK_UPDATE_COMMAND_MODIFY.rawValue)
      }
    }
  }

  /// Changes one `<portgroup>` (`virsh net-update NAME add|delete|modify portgroup XML`), in the
  /// running network and/or its persistent definition.
  public func updatePortgroup(_ command: UpdateCommand, xml: String, live: Bool, config: Bool) throws(LibvirtError) {
    var flags: UInt32 = 0
    if live { flags |= UInt32(VIR_NETWORK_UPDATE_AFFECT_LIVE.rawValue) }
    if config { flags |= UInt32(VIR_NETWORK_UPDATE_AFFECT_CONFIG.rawValue) }
    let result = lib.callAs(.virNetworkUpdate, LibvirtLibrary.NetworkUpdate.self)(
      pointer, command.raw, UInt32(VIR_NETWORK_SECTION_PORTGROUP.rawValue), -1, xml, flags)
    guard result == 0 else { throw LibvirtError.last("virNetworkUpdate(\(name), portgroup)", lib) }
  }

  private func flag(_ function: LibvirtLibrary.Function, _ operation: String) throws(LibvirtError) -> Bool {
    let result = lib.callAs(function, LibvirtLibrary.NetworkInt.self)(pointer)
    guard result >= 0 else { throw LibvirtError.last("\(operation)(\(name))", lib) }
    return result == 1
  }

  private func call(_ function: LibvirtLibrary.Function, _ operation: String) throws(LibvirtError) {
    guard lib.callAs(function, LibvirtLibrary.NetworkInt.self)(pointer) == 0 else {
      throw LibvirtError.last("\(operation)(\(name))", lib)
    }
  }
}
