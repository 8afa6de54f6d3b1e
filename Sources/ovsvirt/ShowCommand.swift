import ArgumentParser
import OVSDB
import VSwitch

struct ShowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show bridges, ports and interfaces (like ovs-vsctl show).")
  @OptionGroup var options: SwitchOptions

  func run() async throws { try await runQuick() }

  nonisolated(nonsending) func runQuick() async throws {
    let state = try await SwitchSession(options: options).readDirect(SwitchTables.shown)
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
    // Built as bytes, each line appended in place: on a 10,000-port switch, making a String per
    // line (indent, interpolation, concatenation) cost more than reading the switch (callgrind).
    var out = ShowText()
    if let root = state.root { out.line(0, "\(root)") }
    for bridge in state.bridges.values.filter({ !$0.isFake }).sorted(by: { $0.name < $1.name }) {
      out.line(1, "Bridge ", bridge.name, quoting: false)
      if !bridge.datapathType.isEmpty { out.line(2, "datapath_type: ", bridge.datapathType, quoting: false) }
      for index in portIndices(on: bridge, in: state) {
        let port = state.ports[index].value
        out.line(2, "Port ", port.name)
        if let tag = port.tag { out.line(3, "tag: ", String(tag), quoting: false) }
        if !port.trunks.isEmpty {
          out.line(3, "trunks: [\(port.trunks.map(String.init).joined(separator: ", "))]")
        }
        if let mode = port.vlanMode { out.line(3, "vlan_mode: ", mode, quoting: false) }
        if port.fakeBridge { out.line(3, "fake_bridge: true") }
        let interfaces = port.interfaces.compactMap { state.interfacesByUUID[$0] }
        for interface in interfaces.count < 2 ? interfaces : interfaces.sorted(by: { $0.name < $1.name }) {
          out.line(3, "Interface ", interface.name)
          if !interface.type.isEmpty { out.line(4, "type: ", interface.type, quoting: false) }
          if !interface.options.isEmpty {
            let opts = interface.options.sorted { $0.key < $1.key }.map { "\(quoted($0.key))=\(quoted($0.value))" }
            out.line(4, "options: {\(opts.joined(separator: ", "))}")
          }
          if let error = interface.error { out.line(4, "error: ", error) }
        }
      }
    }
    if let version = state.ovsVersion { out.line(1, "ovs_version: ", version) }
    return out.string
  }

  /// `show`'s text as it is built: UTF-8 bytes, lines indented by four spaces per level.
  struct ShowText {
    private var bytes: [UInt8] = []

    mutating func line(_ depth: Int, _ text: String) {
      indent(depth)
      bytes.append(contentsOf: text.utf8)
      bytes.append(UInt8(ascii: "\n"))
    }

    /// `label` then `value`, the value as ovs-vsctl prints a string (`quoted`) unless told not to.
    mutating func line(_ depth: Int, _ label: StaticString, _ value: String, quoting: Bool = true) {
      indent(depth)
      bytes.append(contentsOf: UnsafeBufferPointer(start: label.utf8Start, count: label.utf8CodeUnitCount))
      if quoting { ShowCommand.appendQuoted(value, to: &bytes) } else { bytes.append(contentsOf: value.utf8) }
      bytes.append(UInt8(ascii: "\n"))
    }

    private mutating func indent(_ depth: Int) {
      for _ in 0..<(depth * 4) { bytes.append(UInt8(ascii: " ")) }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
  }

  /// A string as ovs-vsctl prints one: bare when it reads unambiguously (a letter or `_`, then
  /// letters, digits, `_`, `-`, `.`; not true/false, not a UUID), else in double quotes with `"`
  /// and `\` escaped — Open vSwitch's own rule for datum strings.
  static func quoted(_ text: String) -> String {
    var bytes: [UInt8] = []
    appendQuoted(text, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `quoted(text)` appended to `bytes`. By bytes: the rule is ASCII-only, and `show` quotes each
  /// name it prints (20,000 on a 10,000-port switch), where Unicode properties and Foundation's
  /// replacing cost more than everything else the line needs.
  static func appendQuoted(_ text: String, to bytes: inout [UInt8]) {
    var bare = true
    var first = true
    for byte in text.utf8 {
      let letter =
        ((byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_")
      let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
      guard letter || (!first && (digit || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "."))) else {
        bare = false
        break
      }
      first = false
    }
    if bare && !first && text != "true" && text != "false" && (text.utf8.count != 36 || RowUUID(text) == nil) {
      bytes.append(contentsOf: text.utf8)
      return
    }
    bytes.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
      if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { bytes.append(UInt8(ascii: "\\")) }
      bytes.append(byte)
    }
    bytes.append(UInt8(ascii: "\""))
  }

  /// The ports on `bridge`'s datapath (its fake bridges' among them) by name, as positions in
  /// `state.ports` (whose keys are the ports' names). Sorting the views themselves moved every
  /// field of each through a merge sort: a third of `show`'s text at 10,000 ports (callgrind).
  static func portIndices(on bridge: BridgeView, in state: SwitchState) -> [Dictionary<String, PortView>.Index] {
    var order: [(name: String, index: Dictionary<String, PortView>.Index)] = []
    var index = state.ports.startIndex
    while index != state.ports.endIndex {
      let (name, port) = state.ports[index]
      if port.bridgeUUID == bridge.uuid { order.append((name, index)) }
      state.ports.formIndex(after: &index)
    }
    order.sort { $0.name < $1.name }
    return order.map(\.index)
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
        portIndices(on: bridge, in: state).map { index in
          let port = state.ports[index].value
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
