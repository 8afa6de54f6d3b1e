import ArgumentParser
import OVSDB
import VSwitch

struct ShowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show bridges, ports and interfaces (like ovs-vsctl show).")
  @OptionGroup var options: SwitchOptions

  func run() async throws {
    let state = try await SwitchSession(options: options).read(SwitchTables.shown)
    if options.json {
      print(Self.json(state))
      return
    }
    print(Self.text(state), terminator: "")
  }

  /// The switch as `ovs-vsctl show` prints it: the root row's uuid, each bridge with its ports and
  /// interfaces (fake bridges as the tagged internal ports they are), the interfaces' errors, and
  /// the version of Open vSwitch that last ran on this database.
  static func text(_ state: SwitchState) -> String {
    var out = ""
    func line(_ depth: Int, _ text: String) { out += String(repeating: " ", count: depth * 4) + text + "\n" }
    if let root = state.root { line(0, "\(root)") }
    for bridge in state.bridges.values.filter({ !$0.isFake }).sorted(by: { $0.name < $1.name }) {
      line(1, "Bridge \(bridge.name)")
      if !bridge.datapathType.isEmpty { line(2, "datapath_type: \(bridge.datapathType)") }
      let ports = state.ports.values.filter { $0.bridgeUUID == bridge.uuid }.sorted { $0.name < $1.name }
      for port in ports {
        line(2, "Port \(quoted(port.name))")
        if let tag = port.tag { line(3, "tag: \(tag)") }
        if !port.trunks.isEmpty { line(3, "trunks: [\(port.trunks.map(String.init).joined(separator: ", "))]") }
        if let mode = port.vlanMode { line(3, "vlan_mode: \(mode)") }
        if port.fakeBridge { line(3, "fake_bridge: true") }
        let interfaces = port.interfaces.compactMap { state.interfacesByUUID[$0] }.sorted { $0.name < $1.name }
        for interface in interfaces {
          line(3, "Interface \(quoted(interface.name))")
          if !interface.type.isEmpty { line(4, "type: \(interface.type)") }
          if !interface.options.isEmpty {
            let opts = interface.options.sorted { $0.key < $1.key }.map { "\(quoted($0.key))=\(quoted($0.value))" }
            line(4, "options: {\(opts.joined(separator: ", "))}")
          }
          if let error = interface.error { line(4, "error: \(quoted(error))") }
        }
      }
    }
    if let version = state.ovsVersion { line(1, "ovs_version: \(quoted(version))") }
    return out
  }

  /// A string as ovs-vsctl prints one: bare when it reads unambiguously (a letter or `_`, then
  /// letters, digits, `_`, `-`, `.`; not true/false, not a UUID), else in double quotes with `"`
  /// and `\` escaped — Open vSwitch's own rule for datum strings.
  static func quoted(_ text: String) -> String {
    let scalars = Array(text.unicodeScalars)
    func letter(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c.properties.isAlphabetic || c == "_") }
    let bare =
      scalars.first.map(letter) == true
      && scalars.dropFirst().allSatisfy { letter($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }
      && text != "true" && text != "false" && RowUUID(text) == nil
    if bare { return text }
    return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }

  /// Bridges → ports → interfaces, with fake bridges listed under their parents.
  static func json(_ state: SwitchState) -> JSON {
    let bridges = state.bridges.values.sorted { $0.name < $1.name }.map { bridge -> JSON in
      var object: [String: JSON] = ["name": .string(bridge.name)]
      if let parent = bridge.parent, let vlan = bridge.vlan {
        object["parent"] = .string(parent)
        object["vlan"] = .int(Int64(vlan))
        return .object(object)
      }
      object["datapath_type"] = .string(bridge.datapathType)
      object["ports"] = .array(
        state.ports.values.filter { $0.bridgeUUID == bridge.uuid }.sorted { $0.name < $1.name }.map { port in
          var p: [String: JSON] = [
            "name": .string(port.name), "bridge": .string(port.bridge),
            "trunks": .array(port.trunks.map { .int(Int64($0)) }),
            "interfaces": .array(
              port.interfaces.compactMap { state.interfacesByUUID[$0] }.map { i in
                .object([
                  "name": .string(i.name), "type": .string(i.type),
                  "options": .object(i.options.mapValues(JSON.string)),
                  "ofport": i.ofport.map { .int(Int64($0)) } ?? .null,
                ])
              }),
          ]
          if let tag = port.tag { p["tag"] = .int(Int64(tag)) }
          if let mode = port.vlanMode { p["vlan_mode"] = .string(mode) }
          if port.fakeBridge { p["fake_bridge"] = .bool(true) }
          return .object(p)
        })
      return .object(object)
    }
    return .object(["bridges": .array(bridges)])
  }
}
