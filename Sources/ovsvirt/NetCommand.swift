import ArgumentParser
import Foundation
import OVSDB
import OVSVirt
import VSwitch

/// Options of commands that talk to libvirt.
struct LibvirtOptions: ParsableArguments {
  @Option(name: .long, help: "libvirt URI.") var connect: String = "qemu:///system"
  @Option(name: .long, help: "Directory of customised templates (NAME.mustache); built-in ones otherwise.")
  var templates: String?

  var access: LibvirtAccess { LibvirtAccess(uri: connect, templatesDirectory: templates) }
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
      var groups = try portgroup.map { try Self.parsePortgroup($0, network: name) }
      if let defaultPortgroup {
        guard let index = groups.firstIndex(where: { $0.name == defaultPortgroup }) else {
          throw CommandFailure.refused(
            "network '\(name)': --default-portgroup \(defaultPortgroup) is not one of the portgroups")
        }
        groups[index].isDefault = true
      }
      let definition = Networks.Definition(name: name, bridge: bridge, vlan: vlan, portgroups: groups)
      let xml: String
      do {
        xml = try definition.xml(libvirt.access)
      } catch {
        throw SwitchSession.translate(error)
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
          throw CommandFailure.refused(
            "network '\(name)': bridge '\(bridgeName)' does not exist in Open vSwitch (\(options.db)); create it with `ovsvirt bridge add \(bridgeName)` or pass --create-bridge"
          )
        }
        let bridgeID = try checked { () throws(VSwitch.ValidationError) in try InterfaceName(bridgeName, role: "bridge")
        }
        try await SwitchSession(options: options).change { txn in try SwitchPlanner().addBridge(bridgeID, in: &txn) }
        created = true
      }
      do {
        try Networks.define(xml, start: start, autostart: autostart, libvirt.access)
      } catch {
        if created {
          throw CommandFailure(
            .partial,
            "bridge '\(bridgeName)' was created in Open vSwitch, but libvirt failed: \(error). Fix that and run this command again (the bridge is kept: --create-bridge is then a no-op), or remove the bridge with `ovsvirt bridge del \(bridgeName)`"
          )
        }
        throw SwitchSession.translate(error)
      }
      FileHandle.standardError.write(
        Data("defined network \(name) on \(bridgeName)\(created ? " (bridge created)" : "")\n".utf8))
    }

    static func parsePortgroup(_ spec: String, network: String) throws -> Networks.Portgroup {
      let parts = spec.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
      let head = parts[0]
      guard let eq = head.firstIndex(of: "=") else {
        guard !head.isEmpty, parts.count == 1 else {
          throw CommandFailure.refused("network '\(network)': portgroup '\(spec)' has no name")
        }
        return Networks.Portgroup(name: head, vlans: [])
      }
      let name = String(head[..<eq])
      let tags = head[head.index(after: eq)...].split(separator: ",").map {
        Int($0.trimmingCharacters(in: .whitespaces))
      }
      guard !name.isEmpty, !tags.isEmpty, tags.allSatisfy({ $0.map { (0...4095).contains($0) } ?? false }) else {
        throw CommandFailure.refused(
          "network '\(network)': portgroup '\(spec)': write NAME=VLAN or NAME=V1,V2 with VLANs 0–4095")
      }
      let ids = tags.compactMap { $0 }
      var native: Int?
      var nativeTagged = false
      for option in parts.dropFirst() {
        let kv = option.split(separator: "=", maxSplits: 1).map(String.init)
        guard kv.count == 2, let tag = Int(kv[1]), (0...4095).contains(tag),
          ["native", "native-tagged"].contains(kv[0])
        else {
          throw CommandFailure.refused(
            "network '\(network)': portgroup '\(spec)': '\(option)' is not native=N or native-tagged=N")
        }
        native = tag
        nativeTagged = kv[0] == "native-tagged"
      }
      return Networks.Portgroup(name: name, vlans: ids, native: native, nativeTagged: nativeTagged)
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List networks (virsh net-list --all).")
    @OptionGroup var libvirt: LibvirtOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
      let networks: [Networks.Summary]
      do {
        networks = try Networks.list(libvirt.access)
      } catch {
        throw SwitchSession.translate(error)
      }
      if json {
        print(
          JSON.array(
            networks.map { ["name": .string($0.name), "active": .bool($0.active), "autostart": .bool($0.autostart)] }))
      } else {
        for network in networks {
          print("\(network.name)\t\(network.active ? "active" : "inactive")\t\(network.autostart ? "autostart" : "")")
        }
      }
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a network's XML.")
    @OptionGroup var libvirt: LibvirtOptions
    @Argument var name: String
    @Flag(help: "The persistent definition rather than the running network.") var inactive = false

    func run() async throws {
      do {
        print(try Networks.xml(of: name, inactive: inactive, libvirt.access))
      } catch {
        throw SwitchSession.translate(error)
      }
    }
  }

  struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "del", abstract: "Stop and undefine a network.")
    @OptionGroup var libvirt: LibvirtOptions
    @Argument var name: String
    @Flag(help: "Succeed if it does not exist.") var ifExists = false

    func run() async throws {
      let existed: Bool
      do {
        existed = try Networks.delete(name, libvirt.access)
      } catch {
        throw SwitchSession.translate(error)
      }
      if !existed && !ifExists { throw CommandFailure.refused("network '\(name)' does not exist") }
    }
  }
}
