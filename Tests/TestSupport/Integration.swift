import Foundation
import OVSVirt
import Testing

/// Gate for tests that need real components. Locally a missing component skips the test with a
/// printed reason; with OVSVIRT_REQUIRE_INTEGRATION=1 (CI) it is a failure, never a silent pass.
public enum Integration {
  public struct Unavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "integration component unavailable: \(reason)" }
  }

  public static var required: Bool {
    ProcessInfo.processInfo.environment["OVSVIRT_REQUIRE_INTEGRATION"] == "1"
  }

  /// How much slower than a plain build the code under test runs: `scripts/test --sanitize` sets
  /// OVSVIRT_TEST_SLOWDOWN (ThreadSanitizer makes ovsvirt several times slower). Bounds that time
  /// ovsvirt's own work, not a deadline it must keep, are multiplied by it; 1 otherwise.
  public static var slowdown: Double {
    guard let text = ProcessInfo.processInfo.environment["OVSVIRT_TEST_SLOWDOWN"], let value = Double(text),
      value.isFinite, value >= 1
    else { return 1 }
    return value
  }

  /// Ends the current test: failure under OVSVIRT_REQUIRE_INTEGRATION=1, skip otherwise.
  public static func unavailable(_ reason: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Never {
    if required {
      Issue.record("required integration component missing: \(reason)", sourceLocation: sourceLocation)
      throw Unavailable(reason: reason)
    }
    print("SKIP (\(reason)); set up with scripts/test")
    try Test.cancel(Comment(rawValue: reason), sourceLocation: sourceLocation)
  }

  /// The path of an installed program, or the test ends through `unavailable`.
  public static func program(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    guard let path = Executables.find(name) else {
      try unavailable("\(name) is not installed (scripts/bootstrap installs it)", sourceLocation: sourceLocation)
    }
    return path
  }

  /// An environment variable scripts/test exports, or the test ends through `unavailable`.
  public static func environment(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
      try unavailable("\(name) is not set (run the tests through scripts/test)", sourceLocation: sourceLocation)
    }
    return value
  }
}
