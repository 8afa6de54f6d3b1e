import ArgumentParser
import OVSVirt
import Foundation
import OVSDB
import VSwitch

struct TunnelCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tunnel", abstract: "Add, delete and list vxlan, geneve and gre tunnel ports.",
    subcommands: [Add.self, Delete.self, List.self])

  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add",
      abstract: "Add a tunnel port (ovs-vsctl add-port BR NAME -- set Interface NAME type=vxlan options:remote_ip=IP).",
      discussion: "ovsvirt tunnel add ovsbr0 vxlan0 --type vxlan --remote-ip 10.43.11.12")
    @OptionGroup var options: SwitchOptions
    @Argument var bridge: String
    @Argument var name: String
    @Option(help: "vxlan, geneve or gre.") var type: String = Self.defaultType
    static let defaultType = "vxlan"
    @Option(help: "Remote tunnel endpoint (IPv4, IPv6, or flow).") var remoteIP: String
    @Option(help: "Local tunnel endpoint.") var localIP: String?
    @Option(help: "VNI (vxlan, geneve) or GRE key, or flow.") var key: String?
    @Option(help: "UDP destination port (vxlan defaults to 4789).") var dstPort: Int?
    @Flag(help: "Accept a tunnel that already exists here with the same settings.") var mayExist = false

    func run() async throws { try await runQuick() }

    nonisolated(nonsending) func runQuick() async throws {
      guard let kind = InterfaceSpec.Kind(rawValue: type), kind.isTunnel else {
        throw CommandFailure.refused("tunnel '\(name)': type '\(type)' is not vxlan, geneve or gre")
      }
      let port = try checked { () throws(VSwitch.ValidationError) in try InterfaceName(name, role: "tunnel") }
      let tunnel = TunnelOptions(remoteIP: remoteIP, localIP: localIP, key: key, dstPort: dstPort)
      try checked { () throws(VSwitch.ValidationError) in try tunnel.validate(port: name, kind: kind) }
      let interface = InterfaceSpec(name: port, kind: kind, options: tunnel.options)
      let planner = SwitchPlanner(mayExist: mayExist)
      let bridge = bridge
      let direct = planner.directAddPort(port, bridge: bridge, interfaces: [interface])
      try await SwitchSession(options: options).change(direct.map(DirectRoute.change)) { txn in
        try planner.addPort(port, bridge: bridge, interfaces: [interface], in: &txn)
      }
    }
  }

  struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete a tunnel port.")
    @OptionGroup var options: SwitchOptions
    @Argument var name: String
    @Flag(help: "Succeed if it does not exist.") var ifExists = false

    func run() async throws {
      let planner = SwitchPlanner(ifExists: ifExists)
      let name = name
      try await SwitchSession(options: options).change(.lookup(planner.directDeletePort(name))) { txn in
        try planner.deletePort(name, in: &txn)
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List tunnel ports and their endpoints.")
    @OptionGroup var options: SwitchOptions

    func run() async throws { try await runQuick() }

    nonisolated(nonsending) func runQuick() async throws {
      let state = try await SwitchSession(options: options).readDirect(SwitchTables.tunnels)
      let tunnels = state.interfaces.values.filter { ["vxlan", "geneve", "gre"].contains($0.type) }.sorted {
        $0.name < $1.name
      }
      if options.json {
        print(
          JSON.array(
            tunnels.map { t in
              .object([
                "name": .string(t.name), "type": .string(t.type), "options": .object(t.options.mapValues(JSON.string)),
              ])
            }))
      } else {
        for t in tunnels {
          let opts = t.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
          print("\(t.name) \(t.type) \(opts)")
        }
      }
    }
  }
}
