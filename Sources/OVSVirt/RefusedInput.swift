/// A request ovsvirt refuses before changing anything, because of what the user asked (a network
/// or portgroup that does not exist, a MAC that is not one): exit status 1, never retried.
public struct RefusedInput: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
