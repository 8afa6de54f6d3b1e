import ArgumentParser
import Foundation
import Libvirt
import OVSDB
import VSwitch
import VirtXML

/// Options of commands that talk to libvirt.
struct LibvirtOptions: ParsableArguments {
  @Option(name: .long, help: "libvirt URI.") var connect: String = "qemu:///system"
  @Option(name: .long, help: "Directory of customised templates (NAME.mustache); built-in ones otherwise.")
  var templates: String?

  func open() throws -> Connection {
    do {
      return try Connection(uri: connect)
    } catch {
      throw SwitchSession.fail("\(error)", code: 2)
    }
  }

  func templateSet() throws -> Templates {
    guard let templates else { return .embedded }
    do {
      return try Templates(directory: templates)
    } catch {
      throw SwitchSession.refuse("\(error)")
    }
  }
}

struct NetCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "net", abstract: "Define, list, show and delete libvirt networks on Open vSwitch bridges.",
    subcommands: [Define.self, List.self, Show.self, Delete.self])

  struct Define: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "define", abstract: "Define an OVS network (virsh net-define with the XML written for you).",
      discussion: """
        ovsvirt net define ovsvl --bridge brlv140 --start --autostart
        ovsvirt net define ovsvl2 --bridge ovsbr0 --portgroup vlan-120=120 --portgroup uplink=120,130;native=110
        A portgroup is NAME (no VLAN), NAME=VLAN (access), NAME=V1,V2,… (trunk), optionally followed by
        ;native=N (untagged native VLAN) or ;native-tagged=N.
        """)

    @OptionGroup var options: SwitchOptions
    @OptionGroup var libvirt: LibvirtOptions
    @Argument(help: "Network name.") var name: String
    @Option(help: "The Open vSwitch bridge (a fake VLAN bridge works too).") var bridge: String
    @Option(help: "VLAN of the whole network.") var vlan: Int?
    @Option(help: "A portgroup (repeatable); see below.") var portgroup: [String] = []
    @Option(help: "The portgroup interfaces get when they name none.") var defaultPortgroup: String?
    @Flag(help: "Start the network.") var start = false
    @Flag(help: "Start it when libvirtd starts.") var autostart = false
    @Flag(help: "Create the bridge in Open vSwitch first if it does not exist.") var createBridge = false

    func run() async throws {
      guard vlan == nil || portgroup.isEmpty else {
        throw SwitchSession.refuse(
          "network '\(name)': --vlan and --portgroup exclude each other (a portgroup carries its own VLAN)")
      }
      if let vlan, !(0...4095).contains(vlan) {
        throw SwitchSession.refuse("network '\(name)': VLAN \(vlan) is outside 0–4095")
      }
      var groups = try portgroup.map { try Self.parsePortgroup($0, network: name) }
      if let defaultPortgroup {
        guard let index = groups.firstIndex(where: { $0.name == defaultPortgroup }) else {
          throw SwitchSession.refuse(
            "network '\(name)': --default-portgroup \(defaultPortgroup) is not one of the portgroups")
        }
        groups[index].isDefault = true
      }
      let definition = NetworkDefinition(name: name, bridge: bridge, vlan: vlan, portgroups: groups)
      let xml: String
      do {
        xml = try definition.xml(try libvirt.templateSet())
      } catch let error as XMLError {
        throw SwitchSession.refuse("network '\(name)': \(error)")
      }
      if options.dryRun {
        print(xml)
        return
      }
      // libvirt never creates the OVS bridge; a network on a missing one fails only when a VM starts.
      let bridgeName = bridge
      let state = try await SwitchSession(options: options).read()
      var created = false
      if state.bridges[bridgeName] == nil {
        guard createBridge else {
          throw SwitchSession.refuse(
            "network '\(name)': bridge '\(bridgeName)' does not exist in Open vSwitch (\(options.db)); create it with `ovsvirt bridge add \(bridgeName)` or pass --create-bridge"
          )
        }
        let bridgeID = try checked { () throws(VSwitch.ValidationError) in try InterfaceName(bridgeName, role: "bridge")
        }
        try await SwitchSession(options: options).change { txn in try SwitchPlanner().addBridge(bridgeID, in: &txn) }
        created = true
      }
      do {
        let connection = try Connection(uri: libvirt.connect)
        let network = try connection.defineNetwork(xml: xml)
        if autostart { try network.setAutostart(true) }
        if start, try !network.isActive() { try network.start() }
      } catch {
        if created {
          throw SwitchSession.fail(
            "bridge '\(bridgeName)' was created in Open vSwitch, but libvirt failed: \(error). Fix that and run this command again (the bridge is kept: --create-bridge is then a no-op), or remove the bridge with `ovsvirt bridge del \(bridgeName)`",
            code: 3)
        }
        throw SwitchSession.fail("\(error)", code: 2)
      }
      FileHandle.standardError.write(
        Data("defined network \(name) on \(bridgeName)\(created ? " (bridge created)" : "")\n".utf8))
    }

    static func parsePortgroup(_ spec: String, network: String) throws -> NetworkDefinition.Portgroup {
      let parts = spec.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
      let head = parts[0]
      guard let eq = head.firstIndex(of: "=") else {
        guard !head.isEmpty, parts.count == 1 else {
          throw SwitchSession.refuse("network '\(network)': portgroup '\(spec)' has no name")
        }
        return .init(name: head, vlan: nil)
      }
      let name = String(head[..<eq])
      let tags = head[head.index(after: eq)...].split(separator: ",").map {
        Int($0.trimmingCharacters(in: .whitespaces))
      }
      guard !name.isEmpty, !tags.isEmpty, tags.allSatisfy({ $0.map { (0...4095).contains($0) } ?? false }) else {
        throw SwitchSession.refuse(
          "network '\(network)': portgroup '\(spec)': write NAME=VLAN or NAME=V1,V2 with VLANs 0–4095")
      }
      let ids = tags.compactMap { $0 }
      var native: (tag: Int, mode: VLANTags.NativeMode)?
      for option in parts.dropFirst() {
        let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
        guard kv.count == 2, let tag = Int(kv[1]), (0...4095).contains(tag),
          ["native", "native-tagged"].contains(kv[0])
        else {
          throw SwitchSession.refuse(
            "network '\(network)': portgroup '\(spec)': '\(option)' is not native=N or native-tagged=N")
        }
        native = (tag, kv[0] == "native" ? .untagged : .tagged)
      }
      let vlan: VLANTags = ids.count == 1 && native == nil ? .access(ids[0]) : .trunk(ids, native: native)
      return .init(name: name, vlan: vlan)
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List networks (virsh net-list --all).")
    @OptionGroup var libvirt: LibvirtOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
      let connection = try libvirt.open()
      var rows: [JSON] = []
      do {
        for network in try connection.networks() {
          let active = try network.isActive()
          let autostart = try network.autostart()
          if json {
            rows.append(["name": .string(network.name), "active": .bool(active), "autostart": .bool(autostart)])
          } else {
            print("\(network.name)\t\(active ? "active" : "inactive")\t\(autostart ? "autostart" : "")")
          }
        }
      } catch {
        throw SwitchSession.fail("\(error)", code: 2)
      }
      if json { print(JSON.array(rows)) }
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a network's XML.")
    @OptionGroup var libvirt: LibvirtOptions
    @Argument var name: String
    @Flag(help: "The persistent definition rather than the running network.") var inactive = false

    func run() async throws {
      let connection = try libvirt.open()
      do {
        print(try connection.network(named: name).xml(inactive: inactive))
      } catch {
        throw SwitchSession.fail("\(error)", code: error.isNoNetwork ? 1 : 2)
      }
    }
  }

  struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "del", abstract: "Stop and undefine a network.")
    @OptionGroup var libvirt: LibvirtOptions
    @Argument var name: String
    @Flag(help: "Succeed if it does not exist.") var ifExists = false

    func run() async throws {
      let connection = try libvirt.open()
      do {
        let network = try connection.network(named: name)
        if try network.isActive() { try network.stop() }
        if try network.isPersistent() { try network.undefine() }
      } catch {
        if error.isNoNetwork {
          if ifExists { return }
          throw SwitchSession.refuse("network '\(name)' does not exist")
        }
        throw SwitchSession.fail("\(error)", code: 2)
      }
    }
  }
}
