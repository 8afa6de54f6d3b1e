/// Where something is written in a spec file (1-based, as editors count).
public struct SpecLocation: Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String { "\(file):\(line):\(column)" }
}

/// One thing wrong with a spec: where, which setting, what is wrong and how to fix it.
public struct SpecProblem: Sendable, Equatable, CustomStringConvertible {
  public var location: SpecLocation
  /// The setting as a path, e.g. `bridges[0].ports[2].access`.
  public var path: String
  public var problem: String
  public var fix: String

  public var description: String { "\(location): \(path.isEmpty ? "" : "\(path): ")\(problem); \(fix)" }
}

/// A spec that cannot be applied; every problem found is listed, each with file:line.
public struct SpecError: Error, Sendable, CustomStringConvertible {
  public var problems: [SpecProblem]

  public init(_ problems: [SpecProblem]) { self.problems = problems }

  public var description: String { problems.map(\.description).joined(separator: "\n") }
}
