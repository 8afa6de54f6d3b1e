import ArgumentParser
import OVSVirt
import OVSDB
import VSwitch

/// VLAN options shared by `port add` and `port set`.
struct VLANOptions: ParsableArguments {
  @Option(help: "Access VLAN (Port.tag).") var access: Int?
  @Option(help: "Trunked VLANs, e.g. 120,130 or 200-210 (Port.trunks).") var trunk: String?
  @Option(help: "Native VLAN of a trunk (Port.tag with vlan_mode native-untagged unless --vlan-mode).") var native: Int?
  @Option(help: "access, trunk, native-tagged, native-untagged or dot1q-tunnel.") var vlanMode: String?

  var given: Bool { access != nil || trunk != nil || native != nil || vlanMode != nil }

  func settings(port: String) throws -> VLANSettings {
    if access != nil && native != nil {
      throw CommandFailure.refused("port '\(port)': --access and --native exclude each other")
    }
    var mode: VLANMode?
    if let vlanMode {
      guard let parsed = VLANMode(rawValue: vlanMode) else {
        throw CommandFailure.refused(
          "port '\(port)': vlan mode '\(vlanMode)' is not one of \(VLANMode.allCases.map(\.rawValue).joined(separator: ", "))"
        )
      }
      mode = parsed
    } else if native != nil {
      mode = .nativeUntagged
    }
    let tagValue = access ?? native
    let tag = try tagValue.map { v in
      try checked { () throws(VSwitch.ValidationError) in try VLANID(v, for: "port '\(port)'") }
    }
    let trunks =
      try trunk.map { t in
        try checked { () throws(VSwitch.ValidationError) in try VLANID.parseList(t, for: "port '\(port)' trunks") }
      } ?? []
    let settings = VLANSettings(mode: mode, tag: tag, trunks: trunks)
    try checked { () throws(VSwitch.ValidationError) in try settings.validate(port: port) }
    return settings
  }
}

struct PortCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "port", abstract: "Add, delete, change and list ports: access, trunk, internal, bonds.",
    subcommands: [Add.self, Delete.self, SetVLAN.self, List.self])

  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add", abstract: "Add a port (ovs-vsctl add-port / add-bond).",
      discussion: """
        ovsvirt port add ovsbr0 vlan120 --access 120 --internal
        ovsvirt port add ovsbr0 ens3f4 --trunk 120,130
        ovsvirt port add ovsbr0 bond0 --bond ens1,ens2 --lacp active
        ovsvirt port add ovsbr0 patch-a --patch-peer patch-b
        """)

    @OptionGroup var options: SwitchOptions
    @Argument(help: "Bridge (a fake bridge puts the port on its parent with its VLAN).") var bridge: String
    @Argument(help: "Port name (1–15 bytes).") var name: String
    @OptionGroup var vlan: VLANOptions
    @Flag(help: "Make it an internal port (a host-side network device).") var `internal` = false
    @Option(help: "Bond members, comma separated.") var bond: String?
    @Option(help: "LACP for a bond: active, passive or off.") var lacp: String?
    @Option(help: "Bond mode: active-backup, balance-slb or balance-tcp.") var bondMode: String?
    @Option(help: "Interface mtu_request.") var mtu: Int?
    @Option(help: "Make it a patch port to this peer port (on another bridge).") var patchPeer: String?
    @Option(name: .customLong("external-id"), help: "Port external_ids entry KEY=VALUE (repeatable).")
    var externalIDs: [String] = []
    @Option(name: .customLong("other-config"), help: "Port other_config entry KEY=VALUE (repeatable).")
    var otherConfig: [String] = []
    @Flag(help: "Accept a port that already exists here with the same settings.") var mayExist = false

    func run() async throws { try await runQuick() }

    nonisolated(nonsending) func runQuick() async throws {
      let port = try checked { () throws(VSwitch.ValidationError) in try InterfaceName(name, role: "port") }
      let settings = try vlan.settings(port: name)
      let members =
        bond.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? [name]
      // A flag conflict, not a port rule: the other rules are PortMakeup's, as for a spec.
      if patchPeer != nil && `internal` {
        throw CommandFailure.refused("port '\(name)': --patch-peer and --internal exclude each other")
      }
      let makeup = PortMakeup(
        port: name, kind: patchPeer != nil ? .patch : `internal` ? .internal : .system,
        bondMembers: bond == nil ? 0 : members.count, bondMode: bondMode, lacp: lacp, peer: patchPeer, mtu: mtu)
      if let problem = makeup.problems.first { throw CommandFailure.refused("\(problem.error)") }
      var interfaces: [InterfaceSpec] = []
      for member in members {
        let memberName = try checked { () throws(VSwitch.ValidationError) in
          try InterfaceName(member, role: "interface")
        }
        if let patchPeer {
          let peer = try checked { () throws(VSwitch.ValidationError) in
            try InterfaceName(patchPeer, role: "patch peer")
          }
          interfaces.append(
            InterfaceSpec(name: memberName, kind: .patch, options: ["peer": peer.rawValue], mtuRequest: mtu))
        } else {
          interfaces.append(InterfaceSpec(name: memberName, kind: `internal` ? .internal : .system, mtuRequest: mtu))
        }
      }
      var columns: [String: Datum] = [:]
      if let lacp { columns["lacp"] = .scalar(.string(lacp)) }
      if let bondMode { columns["bond_mode"] = .scalar(.string(bondMode)) }
      let ids = try keyValues(externalIDs, option: "--external-id", subject: "port '\(name)'")
      let config = try keyValues(otherConfig, option: "--other-config", subject: "port '\(name)'")
      if !config.isEmpty { columns["other_config"] = .map(config) }
      let planner = SwitchPlanner(mayExist: mayExist)
      let (bridge, ifaces, portColumns) = (bridge, interfaces, columns)
      let direct = planner.directAddPort(
        port, bridge: bridge, vlan: settings, interfaces: ifaces, portColumns: portColumns, externalIDs: ids)
      try await SwitchSession(options: options).change(direct.map(DirectRoute.change)) { txn in
        try planner.addPort(
          port, bridge: bridge, vlan: settings, interfaces: ifaces, portColumns: portColumns, externalIDs: ids, in: &txn
        )
      }
    }
  }

  struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete a port (ovs-vsctl del-port).")
    @OptionGroup var options: SwitchOptions
    @Argument var name: String
    @Flag(help: "Succeed if the port does not exist.") var ifExists = false

    func run() async throws { try await runQuick() }

    nonisolated(nonsending) func runQuick() async throws {
      let planner = SwitchPlanner(ifExists: ifExists)
      let name = name
      try await SwitchSession(options: options).change(.lookup(planner.directDeletePort(name))) { txn in
        try planner.deletePort(name, in: &txn)
      }
    }
  }

  struct SetVLAN: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set", abstract: "Change a port's VLANs (ovs-vsctl set Port NAME tag=… trunks=… vlan_mode=…).",
      discussion: "Options not given are cleared: the port ends up exactly as described.")
    @OptionGroup var options: SwitchOptions
    @Argument var name: String
    @OptionGroup var vlan: VLANOptions

    func run() async throws { try await runQuick() }

    nonisolated(nonsending) func runQuick() async throws {
      let settings = try vlan.settings(port: name)
      let name = name
      let planner = SwitchPlanner()
      try await SwitchSession(options: options).change(
        planner.directSetPortVLAN(name, settings).map(DirectRoute.change)
      ) {
        txn in try planner.setPortVLAN(name, settings, in: &txn)
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List a bridge's ports (ovs-vsctl list-ports).")
    @OptionGroup var options: SwitchOptions
    @Argument var bridge: String

    func run() async throws { try await runQuick() }

    nonisolated(nonsending) func runQuick() async throws {
      let state = try await SwitchSession(options: options).readDirect(SwitchTables.listed)
      guard state.bridges[bridge] != nil else { throw CommandFailure.refused("bridge '\(bridge)' does not exist") }
      let ports = state.ports(of: bridge)
      if options.json {
        print(
          JSON.array(
            ports.map { p in
              var o: [String: JSON] = ["name": .string(p.name), "trunks": .array(p.trunks.map { .int(Int64($0)) })]
              if let tag = p.tag { o["tag"] = .int(Int64(tag)) }
              if let mode = p.vlanMode { o["vlan_mode"] = .string(mode) }
              return .object(o)
            }))
      } else {
        for p in ports { print(p.name) }
      }
    }
  }
}

/// Parses repeated KEY=VALUE options (external_ids, other_config).
func keyValues(_ pairs: [String], option: String, subject: String) throws -> [String: String] {
  var result: [String: String] = [:]
  for pair in pairs {
    guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
      throw CommandFailure.refused("\(subject): \(option) '\(pair)' is not KEY=VALUE")
    }
    result[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
  }
  return result
}

import Foundation
