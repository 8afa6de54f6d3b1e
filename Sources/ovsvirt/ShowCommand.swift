import ArgumentParser
import VSwitch

struct ShowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show bridges, ports and interfaces (like ovs-vsctl show).")
  @OptionGroup var options: SwitchOptions

  func run() async throws {
    let state = try await SwitchSession(options: options).read()
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
}
