/// A name the kernel accepts for a network device, which OVS uses for ports and interfaces too.
public struct InterfaceName: Sendable, Hashable, CustomStringConvertible {
  /// IFNAMSIZ is 16 including the terminating NUL.
  public static let maxBytes = 15

  public let rawValue: String

  /// Validates `name`; `role` ("bridge", "port", …) only shapes the error message.
  public init(_ name: String, role: String = "interface") throws(ValidationError) {
    let subject = "\(role) '\(name)'"
    let fix = "use 1–\(Self.maxBytes) bytes without '/', whitespace or control characters"
    guard !name.isEmpty else { throw ValidationError(subject: "\(role) name", problem: "is empty", fix: fix) }
    guard name.utf8.count <= Self.maxBytes else {
      throw ValidationError(
        subject: subject, problem: "is \(name.utf8.count) bytes, longer than the kernel's limit of \(Self.maxBytes)",
        fix: fix)
    }
    guard name != ".", name != ".." else {
      throw ValidationError(subject: subject, problem: "is reserved by the kernel", fix: fix)
    }
    for scalar in name.unicodeScalars {
      if scalar == "/" || scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F {
        throw ValidationError(
          subject: subject, problem: "contains \(scalar == "/" ? "'/'" : "whitespace or a control character")",
          fix: fix)
      }
    }
    rawValue = name
  }

  public var description: String { rawValue }
}
