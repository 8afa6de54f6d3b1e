import ArgumentParser
import OVSDB

/// The one-shot OVS commands admins run in loops (port add / set / del, tunnel add, bridge add) and
/// the read commands (show, port / bridge / tunnel list), parsed without argument-parser when their
/// command line is plain: only `--name value`, `--name=value` and flags the command declares, each
/// once (repeatable options repeated), values that do not start with `-`, the positionals it takes. argument-parser's first parse in a process
/// instantiates its generic property wrappers from mangled names, whose requirement checks scan the
/// binary's ~7,300 protocol conformance records dozens of times (21 M of a `port add`'s 39 M
/// instructions, measured with callgrind); the command itself needs a few thousand. A `show` of a
/// one-bridge switch ran 24 M instructions, 12.6 M of them argument-parser's.
///
/// Anything else — help, a misspelt or repeated option, a value that does not convert, a failed
/// `validate()` — returns nil, and argument-parser parses the line as before, so its messages and
/// exit codes stay the only ones. Each command's quick form assigns the same properties
/// argument-parser would; `OVSVIRT_QUICK_PARSE_CHECK=1` makes the binary compare the two parses of
/// its command line instead of running it (`QuickParseTests` does, for every option).
enum QuickParse {
  /// The command `arguments` (after `LeadingOptions.reorder`) name, parsed and validated; nil when
  /// argument-parser must decide.
  static func command(_ arguments: [String]) -> (any QuickCommand)? {
    guard let first = arguments.first else { return nil }
    do throws(Declined) {
      if first == "show" { return try ShowCommand.quick(arguments.dropFirst(), positionals: 0) }
      guard arguments.count >= 2 else { return nil }
      let rest = arguments.dropFirst(2)
      switch (first, arguments[1]) {
      case ("port", "add"): return try PortCommand.Add.quick(rest)
      case ("port", "set"): return try PortCommand.SetVLAN.quick(rest)
      case ("port", "del"): return try PortCommand.Delete.quick(rest)
      case ("tunnel", "add"): return try TunnelCommand.Add.quick(rest)
      case ("bridge", "add"): return try BridgeCommand.Add.quick(rest)
      case ("port", "list"): return try PortCommand.List.quick(rest, positionals: 1) { $0.bridge = $1[0] }
      case ("bridge", "list"): return try BridgeCommand.List.quick(rest, positionals: 0)
      case ("tunnel", "list"): return try TunnelCommand.List.quick(rest, positionals: 0)
      default: return nil
      }
    } catch {
      return nil
    }
  }

  /// The line is not plain enough: argument-parser decides.
  struct Declined: Error {}

  /// With `OVSVIRT_QUICK_PARSE_CHECK` set: both parses of `arguments` as text ("quick: none" when
  /// the quick one declines), for the caller to compare and print.
  static func check(_ arguments: [String]) -> (quick: String, full: String) {
    let quick = command(arguments).map { String(describing: $0) } ?? "none"
    let full: String
    do {
      full = String(describing: try OVSVirtCommand.parseAsRoot(arguments))
    } catch {
      full = "error: \(OVSVirtCommand.fullMessage(for: error))"
    }
    return (quick, full)
  }
}

/// A command `QuickParse` produces. `runQuick` is `run` on the caller's executor: `Main` calls it
/// on the main thread, and on the direct path (a blocking connection, see `SwitchSession+Direct`)
/// nothing hops to Swift's global executor, whose first job starts its worker threads (four
/// short-lived threads per command before). The full path, when the direct one cannot decide,
/// still runs its clients on their own executors.
protocol QuickCommand: AsyncParsableCommand {
  nonisolated(nonsending) func runQuick() async throws
}

extension PortCommand.Add: QuickCommand {}
extension PortCommand.SetVLAN: QuickCommand {}
extension PortCommand.Delete: QuickCommand {}
extension TunnelCommand.Add: QuickCommand {}
extension BridgeCommand.Add: QuickCommand {}
extension PortCommand.List: SwitchReadCommand {}
extension BridgeCommand.List: SwitchReadCommand {}
extension TunnelCommand.List: SwitchReadCommand {}
extension ShowCommand: SwitchReadCommand {}

/// A plain command line split into its options and positionals (see `QuickParse`). Names are
/// kept in arrays, searched in order: a command has a dozen at most, and a `Set` or `Dictionary`
/// of Strings here cost a conformance scan of the binary on first use (0.44 M instructions each,
/// callgrind), more than the whole parse.
struct QuickArguments {
  private var values: [(name: String, value: String)] = []
  private var flags: [String] = []
  private(set) var positionals: [String] = []

  /// `options` take a value (`repeatable` ones may be given more than once), `flagNames` do not.
  init(
    _ tokens: ArraySlice<String>, options: [String], repeatable: [String] = [], flags flagNames: [String]
  ) throws(QuickParse.Declined) {
    var index = tokens.startIndex
    while index < tokens.endIndex {
      let token = tokens[index]
      index += 1
      guard token.hasPrefix("-") else {
        positionals.append(token)
        continue
      }
      guard token.hasPrefix("--"), token.count > 2 else { throw QuickParse.Declined() }
      let body = token.dropFirst(2)
      let name: String
      let value: String
      if let equals = body.firstIndex(of: "=") {
        name = String(body[..<equals])
        value = String(body[body.index(after: equals)...])
      } else if flagNames.contains(String(body)) {
        guard !flags.contains(String(body)) else { throw QuickParse.Declined() }
        flags.append(String(body))
        continue
      } else {
        guard index < tokens.endIndex else { throw QuickParse.Declined() }
        name = String(body)
        value = tokens[index]
        index += 1
      }
      guard options.contains(name), !value.isEmpty, !value.hasPrefix("-"),
        !values.contains(where: { $0.name == name }) || repeatable.contains(name)
      else { throw QuickParse.Declined() }
      values.append((name, value))
    }
  }

  func flag(_ name: String) -> Bool { flags.contains(name) }

  func string(_ name: String) -> String? { values.first { $0.name == name }?.value }

  func strings(_ name: String) -> [String] { values.filter { $0.name == name }.map(\.value) }

  func int(_ name: String) throws(QuickParse.Declined) -> Int? {
    guard let text = string(name) else { return nil }
    guard let value = Int(text) else { throw QuickParse.Declined() }
    return value
  }

  func double(_ name: String) throws(QuickParse.Declined) -> Double? {
    guard let text = string(name) else { return nil }
    guard let value = Double(text) else { throw QuickParse.Declined() }
    return value
  }

  /// The positionals, exactly `count` of them.
  func positionals(_ count: Int) throws(QuickParse.Declined) -> [String] {
    guard positionals.count == count else { throw QuickParse.Declined() }
    return positionals
  }
}

/// `validate()` as argument-parser calls it; a refusal declines (argument-parser then reports it).
func quickValidated<T: ParsableArguments>(_ value: T) throws(QuickParse.Declined) -> T {
  var value = value  // validate() is mutating in the protocol
  do {
    try value.validate()
  } catch {
    throw QuickParse.Declined()
  }
  return value
}

extension SwitchOptions {
  static let quickOptions: [String] = ["db", "timeout"]
  static let quickFlags: [String] = ["json", "dry-run", "no-wait"]

  static func quick(_ a: QuickArguments) throws(QuickParse.Declined) -> SwitchOptions {
    var options = SwitchOptions()
    options.db = a.string("db") ?? Endpoint.systemDefault.description
    options.json = a.flag("json")
    options.dryRun = a.flag("dry-run")
    options.noWait = a.flag("no-wait")
    options.timeout = try a.double("timeout") ?? SwitchOptions.defaultTimeout
    // A line with TLS files is declined (not in quickOptions); every property must still be given a
    // value, or argument-parser's wrapper traps when it is read.
    options.privateKey = nil
    options.certificate = nil
    options.caCert = nil
    return try quickValidated(options)
  }
}

extension VLANOptions {
  static let quickOptions: [String] = ["access", "trunk", "native", "vlan-mode"]

  static func quick(_ a: QuickArguments) throws(QuickParse.Declined) -> VLANOptions {
    var vlan = VLANOptions()
    vlan.access = try a.int("access")
    vlan.trunk = a.string("trunk")
    vlan.native = try a.int("native")
    vlan.vlanMode = a.string("vlan-mode")
    return try quickValidated(vlan)
  }
}

extension PortCommand.Add {
  static func quick(_ tokens: ArraySlice<String>) throws(QuickParse.Declined) -> Self {
    let a = try QuickArguments(
      tokens,
      options: SwitchOptions.quickOptions + VLANOptions.quickOptions + [
        "bond", "lacp", "bond-mode", "mtu", "patch-peer", "external-id", "other-config",
      ],
      repeatable: ["external-id", "other-config"],
      flags: SwitchOptions.quickFlags + ["internal", "may-exist"])
    let positionals = try a.positionals(2)
    var command = Self()
    command.options = try SwitchOptions.quick(a)
    command.bridge = positionals[0]
    command.name = positionals[1]
    command.vlan = try VLANOptions.quick(a)
    command.internal = a.flag("internal")
    command.bond = a.string("bond")
    command.lacp = a.string("lacp")
    command.bondMode = a.string("bond-mode")
    command.mtu = try a.int("mtu")
    command.patchPeer = a.string("patch-peer")
    command.externalIDs = a.strings("external-id")
    command.otherConfig = a.strings("other-config")
    command.mayExist = a.flag("may-exist")
    return try quickValidated(command)
  }
}

extension PortCommand.SetVLAN {
  static func quick(_ tokens: ArraySlice<String>) throws(QuickParse.Declined) -> Self {
    let a = try QuickArguments(
      tokens, options: SwitchOptions.quickOptions + VLANOptions.quickOptions, flags: SwitchOptions.quickFlags)
    let positionals = try a.positionals(1)
    var command = Self()
    command.options = try SwitchOptions.quick(a)
    command.name = positionals[0]
    command.vlan = try VLANOptions.quick(a)
    return try quickValidated(command)
  }
}

extension PortCommand.Delete {
  static func quick(_ tokens: ArraySlice<String>) throws(QuickParse.Declined) -> Self {
    let a = try QuickArguments(
      tokens, options: SwitchOptions.quickOptions, flags: SwitchOptions.quickFlags + ["if-exists"])
    let positionals = try a.positionals(1)
    var command = Self()
    command.options = try SwitchOptions.quick(a)
    command.name = positionals[0]
    command.ifExists = a.flag("if-exists")
    return try quickValidated(command)
  }
}

extension TunnelCommand.Add {
  static func quick(_ tokens: ArraySlice<String>) throws(QuickParse.Declined) -> Self {
    let a = try QuickArguments(
      tokens,
      options: SwitchOptions.quickOptions + ["type", "remote-ip", "local-ip", "key", "dst-port"],
      flags: SwitchOptions.quickFlags + ["may-exist"])
    let positionals = try a.positionals(2)
    guard let remoteIP = a.string("remote-ip") else { throw QuickParse.Declined() }
    var command = Self()
    command.options = try SwitchOptions.quick(a)
    command.bridge = positionals[0]
    command.name = positionals[1]
    command.type = a.string("type") ?? Self.defaultType
    command.remoteIP = remoteIP
    command.localIP = a.string("local-ip")
    command.key = a.string("key")
    command.dstPort = try a.int("dst-port")
    command.mayExist = a.flag("may-exist")
    return try quickValidated(command)
  }
}

extension BridgeCommand.Add {
  static func quick(_ tokens: ArraySlice<String>) throws(QuickParse.Declined) -> Self {
    let a = try QuickArguments(
      tokens,
      options: SwitchOptions.quickOptions + ["parent", "vlan", "datapath-type", "external-id", "other-config"],
      repeatable: ["external-id", "other-config"],
      flags: SwitchOptions.quickFlags + ["may-exist"])
    let positionals = try a.positionals(1)
    var command = Self()
    command.options = try SwitchOptions.quick(a)
    command.name = positionals[0]
    command.parent = a.string("parent")
    command.vlan = try a.int("vlan")
    command.datapathType = a.string("datapath-type")
    command.externalIDs = a.strings("external-id")
    command.otherConfig = a.strings("other-config")
    command.mayExist = a.flag("may-exist")
    return try quickValidated(command)
  }
}

/// A read command whose only options are `SwitchOptions` (show, the lists).
protocol SwitchReadCommand: QuickCommand {
  var options: SwitchOptions { get set }
}

extension SwitchReadCommand {
  /// The command with exactly `count` positionals, which `assign` puts in place.
  static func quick(
    _ tokens: ArraySlice<String>, positionals count: Int, assign: (inout Self, [String]) -> Void = { _, _ in }
  ) throws(QuickParse.Declined) -> Self {
    let a = try QuickArguments(tokens, options: SwitchOptions.quickOptions, flags: SwitchOptions.quickFlags)
    let positionals = try a.positionals(count)
    var command = Self()
    command.options = try SwitchOptions.quick(a)
    assign(&command, positionals)
    return try quickValidated(command)
  }
}
