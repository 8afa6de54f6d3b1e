/// One change a convergence makes to the switch (or would make), in the words of the objects
/// involved: printed by `plan`, logged by `watch`.
public struct SwitchChange: Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable {
    case add = "+"
    case change = "~"
    case remove = "-"
  }

  public var kind: Kind
  /// e.g. "bridge ovsbr0", "tunnel mesh-b", "fake bridge brlv140".
  public var subject: String
  public var detail: String

  public init(_ kind: Kind, _ subject: String, _ detail: String = "") {
    self.kind = kind
    self.subject = subject
    self.detail = detail
  }

  public var description: String { "\(kind.rawValue) \(subject)\(detail.isEmpty ? "" : ": \(detail)")" }
}
