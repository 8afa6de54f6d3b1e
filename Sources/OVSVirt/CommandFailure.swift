import Libvirt
import VSwitch
import VirtXML

/// Why a use case did not do what it was asked, in the terms the command line needs: whether the
/// request itself was refused (nothing changed, retrying will not help: exit 1), something it
/// depends on failed or could not be reached (exit 2), or it stopped half way (exit 3).
public struct CommandFailure: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: Int32, Sendable {
    case refused = 1
    case failed = 2
    case partial = 3
  }

  public var kind: Kind
  public var message: String
  /// Lines that say what exactly went wrong (e.g. each problem of a spec, with its file:line),
  /// shown before the message.
  public var details: [String]

  public init(_ kind: Kind, _ message: String, details: [String] = []) {
    self.kind = kind
    self.message = message
    self.details = details
  }

  public var description: String { message }

  public static func refused(_ message: String) -> CommandFailure { CommandFailure(.refused, message) }
  public static func failed(_ message: String) -> CommandFailure { CommandFailure(.failed, message) }

  /// Any error of the libvirt side as a failure: what names something that does not exist (a
  /// domain, a network) or what the user's input made unreadable is refused; the rest failed.
  public static func classify(_ error: any Error, subject: String? = nil) -> CommandFailure {
    let prefix = subject.map { "\($0): " } ?? ""
    switch error {
    case let failure as CommandFailure: return failure
    case let refused as RefusedInput: return .refused("\(prefix)\(refused)")
    case let invalid as VSwitch.ValidationError: return .refused("\(invalid)")
    case let xml as XMLError: return .refused("\(prefix)\(xml)")
    case let libvirt as LibvirtError:
      return CommandFailure(libvirt.isNoDomain || libvirt.isNoNetwork ? .refused : .failed, "\(libvirt)")
    default: return .failed("\(prefix)\(error)")
    }
  }
}

/// Where libvirt is and how ovsvirt writes its XML: what every libvirt use case is given.
public struct LibvirtAccess: Sendable {
  public var uri: String
  /// A directory of customised templates (NAME.mustache); nil: the built-in ones.
  public var templatesDirectory: String?

  public init(uri: String, templatesDirectory: String? = nil) {
    self.uri = uri
    self.templatesDirectory = templatesDirectory
  }

  /// A connection to libvirt; unreachable is a failure (exit 2).
  public func open() throws(CommandFailure) -> Connection {
    do {
      return try Connection(uri: uri)
    } catch {
      throw .failed("\(error)")
    }
  }

  /// The templates in force; a directory that cannot be read is refused.
  public func templates() throws(CommandFailure) -> Templates {
    guard let templatesDirectory else { return .embedded }
    do {
      return try Templates(directory: templatesDirectory)
    } catch {
      throw .refused("\(error)")
    }
  }
}
