import ArgumentParser
import OVSDB
import VSwitch

struct ShowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show bridges, ports and interfaces (like ovs-vsctl show).")
  @OptionGroup var options: SwitchOptions

  func run() async throws {
    let state = try await SwitchSession(options: options).read()
    if options.json {
      print(Self.json(state))
      return
    }
    for bridge in state.bridges.values.filter({ !$0.isFake }).sorted(by: { $0.name < $1.name }) {
      print("Bridge \(bridge.name)")
      if !bridge.datapathType.isEmpty { print("    datapath_type: \(bridge.datapathType)") }
      let ports = state.ports.values.filter { $0.bridgeUUID == bridge.uuid }.sorted { $0.name < $1.name }
      for port in ports {
        print("    Port \(port.name)")
        if port.fakeBridge { print("        fake_bridge: true") }
        if let tag = port.tag { print("        tag: \(tag)") }
        if !port.trunks.isEmpty { print("        trunks: [\(port.trunks.map(String.init).joined(separator: ", "))]") }
        if let mode = port.vlanMode { print("        vlan_mode: \(mode)") }
        for uuid in port.interfaces {
          guard let interface = state.interfacesByUUID[uuid] else { continue }
          print("        Interface \(interface.name)")
          if !interface.type.isEmpty { print("            type: \(interface.type)") }
          if !interface.options.isEmpty {
            let opts = interface.options.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
            print("            options: {\(opts.joined(separator: ", "))}")
          }
        }
      }
    }
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
