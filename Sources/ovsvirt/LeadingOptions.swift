import ArgumentParser

/// ovs-vsctl users write `--db=…` before the command, virsh users `-c URI`: those options are
/// accepted there too, and moved behind the command (and its subcommand) before parsing, where
/// every command that takes them declares them. Same meaning, one set of declarations.
enum LeadingOptions {
  static let taking: Set<String> = ["--db", "--connect", "--timeout", "--templates"]
  static let flags: Set<String> = ["--json", "--dry-run", "--no-wait"]

  /// `arguments` (without the program name) with leading global options moved behind the command
  /// path; unchanged when there are none or no command follows them.
  static func reorder(_ arguments: [String], root: any ParsableCommand.Type) -> [String] {
    var globals: [String] = []
    var index = 0
    while index < arguments.count {
      let token = arguments[index]
      let name = String(token.prefix { $0 != "=" })
      if token == "-c", index + 1 < arguments.count {
        globals += ["--connect", arguments[index + 1]]
        index += 2
      } else if taking.contains(name) {
        if token.contains("=") {
          globals.append(token)
          index += 1
        } else {
          guard index + 1 < arguments.count else { return arguments }
          globals += [token, arguments[index + 1]]
          index += 2
        }
      } else if flags.contains(token) {
        globals.append(token)
        index += 1
      } else {
        break
      }
    }
    guard !globals.isEmpty else { return arguments }
    var path: [String] = []
    var command: any ParsableCommand.Type = root
    while index < arguments.count,
      let next = command.configuration.subcommands.first(where: { $0._commandName == arguments[index] })
    {
      path.append(arguments[index])
      command = next
      index += 1
    }
    guard !path.isEmpty else { return arguments }
    return path + globals + arguments[index...]
  }
}
