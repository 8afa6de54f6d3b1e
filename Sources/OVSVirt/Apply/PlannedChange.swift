/// One change `apply` makes (or `plan` says it would make), in the words of the objects involved.
public struct PlannedChange: Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable {
    case add = "+"
    case change = "~"
    case remove = "-"
  }

  public var kind: Kind
  /// e.g. "bridge ovsbr0", "network ovsvl", "domain web1 NIC 52:54:00:aa:00:01".
  public var subject: String
  public var detail: String

  public init(_ kind: Kind, _ subject: String, _ detail: String = "") {
    self.kind = kind
    self.subject = subject
    self.detail = detail
  }

  public var description: String { "\(kind.rawValue) \(subject)\(detail.isEmpty ? "" : ": \(detail)")" }
}
