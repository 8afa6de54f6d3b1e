import OVSVirt

extension FuzzTarget {
  /// The spec loader (preflight, YAML via libyaml and YAMLComposer, the builder) on any text: it returns a spec or
  /// problems, and every problem points at a line of the file.
  public static let spec = FuzzTarget(name: "spec") { input throws(FuzzFailure) in
    let text = String(decoding: input, as: UTF8.self)
    do throws(SpecError) {
      _ = try SpecLoader.parse(text, file: "fuzz.yaml", host: "h1")
    } catch {
      guard !error.problems.isEmpty else { throw FuzzFailure("a refused spec with no problem listed") }
      let lines = text.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
      for problem in error.problems where problem.location.line < 1 || problem.location.line > lines + 1 {
        throw FuzzFailure("a problem at line \(problem.location.line) of a \(lines)-line file: \(problem)")
      }
    }
  }
}
