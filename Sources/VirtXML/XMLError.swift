/// XML that libxml2 could not parse, or that lacks what libvirt requires.
public struct XMLError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
