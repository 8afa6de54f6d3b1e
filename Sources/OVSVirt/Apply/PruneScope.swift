/// How far `--prune` may reach, decided from the spec and the flags before anything is read or
/// written. Removing every bridge ovsvirt created takes two explicit statements: `bridges: []` in the
/// file and `--prune-all` on the command line. A spec that names no bridges (an empty or truncated
/// file, a file with only networks) is never read as "remove them all".
public enum PruneScope: Sendable, Equatable {
  case off
  /// `--prune`: ovsvirt-owned objects a spec that lists bridges no longer names.
  case unnamed
  /// `--prune-all`: every ovsvirt-owned object, for a spec that says `bridges: []`.
  case everything

  /// The scope the flags ask for; refused (with what to do) when it does not fit the spec.
  public init(prune: Bool, pruneAll: Bool, spec: HostSpec) throws(SpecError) {
    self = pruneAll ? .everything : prune ? .unnamed : .off
    try check(spec)
  }

  public var isOn: Bool { self != .off }

  /// Refuses a scope that does not fit what the spec says about bridges.
  public func check(_ spec: HostSpec) throws(SpecError) {
    guard let (problem, fix) = mismatch(spec.bridgeStatement) else { return }
    throw SpecError([
      SpecProblem(location: SpecLocation(file: spec.file, line: 1, column: 1), path: "", problem: problem, fix: fix)
    ])
  }

  private func mismatch(_ statement: HostSpec.BridgeStatement) -> (problem: String, fix: String)? {
    let all = "write `bridges: []` in the file and run again with --prune-all"
    switch (self, statement) {
    case (.off, _), (.unnamed, .listed), (.everything, .emptyList):
      return nil
    case (.unnamed, .blankFile):
      return (
        "the file is empty (nothing but comments or blank lines): --prune would remove every bridge ovsvirt created, with all their ports",
        "check that this is the right file; to remove them all on purpose, \(all)"
      )
    case (.unnamed, .absent):
      return (
        "the spec names no bridges: --prune would remove every bridge ovsvirt created, with all their ports",
        "list this host's bridges under `bridges:`; to remove them all on purpose, \(all)"
      )
    case (.unnamed, .emptyList):
      return (
        "`bridges: []` with --prune would remove every bridge ovsvirt created, with all their ports",
        "run again with --prune-all if that is what you want"
      )
    case (.everything, .listed):
      return (
        "--prune-all is only for a spec that says `bridges: []`; this one lists bridges",
        "use --prune to remove only what the spec no longer names"
      )
    case (.everything, .blankFile):
      return (
        "the file is empty (nothing but comments or blank lines)", "to remove every bridge ovsvirt created, \(all)"
      )
    case (.everything, .absent):
      return ("--prune-all needs the spec to say `bridges: []`; this one has no `bridges:` list", all)
    }
  }
}
