import OVSVirt

extension CommandFailure {
  /// A spec with problems is refused (exit 1, nothing changed), each problem listed with its line.
  static func refused(_ error: SpecError, in path: String) -> CommandFailure {
    let count = error.problems.count
    return CommandFailure(
      .refused, "\(count) problem\(count == 1 ? "" : "s") in \(path); nothing changed",
      details: error.problems.map(\.description))
  }
}
