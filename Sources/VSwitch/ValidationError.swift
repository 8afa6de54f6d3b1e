/// A request that would be wrong to write; the message names the object and the fix.
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
  public var subject: String
  public var problem: String
  public var fix: String

  public init(subject: String, problem: String, fix: String) {
    self.subject = subject
    self.problem = problem
    self.fix = fix
  }

  public var description: String { "\(subject): \(problem); \(fix)" }
}
