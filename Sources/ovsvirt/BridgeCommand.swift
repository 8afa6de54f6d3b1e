import ArgumentParser
import OVSVirt
import OVSDB
import VSwitch

struct BridgeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bridge", abstract: "Add, delete and list bridges, including fake VLAN bridges.",
    subcommands: [Add.self, Delete.self, List.self])

  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add",
      abstract: "Add a bridge (ovs-vsctl add-br), or a fake VLAN bridge with --parent and --vlan.",
      discussion:
        "ovsvirt bridge add ovsbr0 --datapath-type netdev\novsvirt bridge add brlv140 --parent ovsbr0 --vlan 140")

    @OptionGroup var options: SwitchOptions
    @Argument(help: "Bridge name (1–15 bytes).") var name: String
    @Option(help: "Parent bridge, for a fake VLAN bridge.") var parent: String?
    @Option(help: "VLAN of the fake bridge (0–4095).") var vlan: Int?
    @Option(help: "Bridge datapath_type (netdev for the userspace datapath).") var datapathType: String?
    @Option(name: .customLong("external-id"), help: "Bridge external_ids entry KEY=VALUE (repeatable).")
    var externalIDs: [String] = []
    @Option(name: .customLong("other-config"), help: "Bridge other_config entry KEY=VALUE (repeatable).")
    var otherConfig: [String] = []
    @Flag(help: "Accept a bridge that already exists with the same settings.") var mayExist = false

    func validate() throws {
      guard (parent == nil) == (vlan == nil) else { throw ValidationError("--parent and --vlan go together") }
      if parent != nil && datapathType != nil {
        throw ValidationError("a fake bridge uses its parent's datapath; drop --datapath-type")
      }
    }

    func run() async throws { try await runQuick() }

    nonisolated(nonsending) func runQuick() async throws {
      let session = SwitchSession(options: options)
      let bridge = try checked { () throws(VSwitch.ValidationError) in try InterfaceName(name, role: "bridge") }
      let fakeVLAN = try vlan.map { v in
        try checked { () throws(VSwitch.ValidationError) in try VLANID(v, for: "bridge '\(name)'") }
      }
      let planner = SwitchPlanner(mayExist: mayExist)
      let (parent, datapathType) = (parent, datapathType)
      let ids = try keyValues(externalIDs, option: "--external-id", subject: "bridge '\(name)'")
      let config = try keyValues(otherConfig, option: "--other-config", subject: "bridge '\(name)'")
      if parent != nil && !(ids.isEmpty && config.isEmpty) {
        throw CommandFailure.refused(
          "bridge '\(name)': a fake bridge has no Bridge row of its own to carry --external-id / --other-config")
      }
      let direct =
        if let parent, let fakeVLAN {
          planner.directAddFakeBridge(bridge, parent: parent, vlan: fakeVLAN)
        } else {
          planner.directAddBridge(bridge, datapathType: datapathType, externalIDs: ids, otherConfig: config)
        }
      try await session.change(.change(direct)) { txn in
        if let parent, let fakeVLAN {
          try planner.addFakeBridge(bridge, parent: parent, vlan: fakeVLAN, in: &txn)
        } else {
          try planner.addBridge(bridge, datapathType: datapathType, externalIDs: ids, otherConfig: config, in: &txn)
        }
      }
    }
  }

  struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "del", abstract: "Delete a bridge with its ports (ovs-vsctl del-br).")
    @OptionGroup var options: SwitchOptions
    @Argument var name: String
    @Flag(help: "Succeed if the bridge does not exist.") var ifExists = false

    func run() async throws {
      let planner = SwitchPlanner(ifExists: ifExists)
      let name = name
      try await SwitchSession(options: options).change(.lookup(planner.directDeleteBridge(name))) { txn in
        try planner.deleteBridge(name, in: &txn)
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List bridges (ovs-vsctl list-br).")
    @OptionGroup var options: SwitchOptions

    func run() async throws { try await runQuick() }

    nonisolated(nonsending) func runQuick() async throws {
      let state = try await SwitchSession(options: options).readDirect(SwitchTables.listed)
      let bridges = state.bridges.values.sorted { $0.name < $1.name }
      if options.json {
        let items: [JSON] = bridges.map { b in
          var o: [String: JSON] = ["name": .string(b.name), "datapath_type": .string(b.datapathType)]
          if let p = b.parent, let v = b.vlan {
            o["parent"] = .string(p)
            o["vlan"] = .int(Int64(v))
          }
          return .object(o)
        }
        print(JSON.array(items))
      } else {
        for b in bridges { print(b.name) }
      }
    }
  }
}

/// Validation errors from VSwitch become a usage-style failure (exit 1) before connecting.
func checked<T>(_ body: () throws(VSwitch.ValidationError) -> T) throws -> T {
  do {
    return try body()
  } catch {
    throw CommandFailure.refused("\(error)")
  }
}
