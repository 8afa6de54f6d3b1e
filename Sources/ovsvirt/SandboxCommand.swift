import ArgumentParser
import Foundation
import OVSDB
import OVSVirt
import VSwitch

struct SandboxCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sandbox",
    abstract: "Start (or reuse) a private ovsdb-server + ovs-vswitchd, or stop them.",
    discussion: """
      Prints the --db value to use on standard output (progress goes to
      standard error), so
        export DB=$(ovsvirt sandbox)
      works in scripts. Running it twice reuses the daemons already started in
      DIR. Bridges in the sandbox need datapath_type=netdev (no kernel datapath
      is used).

      Several hosts: --hosts h1,h2[,…] starts one simulated hypervisor per name
      (a network namespace with its own ovsdb-server and ovs-vswitchd), joined
      by an underlay (a Linux bridge, --underlay-mtu) on which host N has the
      tunnel address 172.31.0.N. It prints each host's --db and underlay
      address. `ovsvirt sandbox endpoint NAME --host h1 …` adds a VM stand-in
      plugged as libvirt plugs a NIC. With --libvirt each host also runs a
      libvirtd of its own (printed as its --connect URI), and
      `ovsvirt sandbox guest NAME --host h1 --network NET …` boots a real tiny
      guest there, plugged by libvirt; `--move-to h2` restarts it on another
      host as an HA manager does after a failover.
      `ovsvirt sandbox restart ovsdb|vswitchd|libvirtd --host h1 [--empty-db]`
      restarts one daemon of a host, to rehearse an outage.
      `ovsvirt sandbox --dir DIR --stop` removes every guest, daemon and
      namespace it made.
      """,
    subcommands: [EndpointCommand.self, GuestCommand.self, RestartCommand.self]
  )

  @Option(name: .long, help: "Directory holding the sandbox's database, sockets, pidfiles and logs.")
  var dir: String = Sandbox.defaultDirectory

  @Flag(name: .long, help: "Stop the daemons this sandbox started (found by their pidfiles in DIR).")
  var stop = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Run ovs-vswitchd in this network namespace (created if missing), so its ports stay off the host.",
      valueName: "NAME"))
  var netns: String?

  @Flag(name: .long, help: "Start only ovsdb-server, not ovs-vswitchd.")
  var noVswitchd = false

  @Flag(name: .long, help: "Print the result as JSON.")
  var json = false

  @Option(name: .long, help: "Simulate these hosts (comma separated), each with its own OVS, on one underlay.")
  var hosts: String?

  @Option(name: .long, help: "MTU of the hosts' underlay (with --hosts).")
  var underlayMTU = 1500

  @Flag(name: .long, help: "Give each host a libvirtd of its own, for real guests (with --hosts).")
  var libvirt = false

  @Flag(
    name: .long,
    help: "Add OVN: central databases and ovn-northd, an ovn-controller and a provider NIC pn0 per host (with --hosts)."
  )
  var ovn = false

  func run() async throws {
    let lab = HostLab(directory: dir)
    if let hosts {
      guard !stop, netns == nil, !noVswitchd else {
        throw CommandFailure.refused("--hosts starts a multi-host sandbox: --netns and --no-vswitchd do not apply")
      }
      try await startLab(lab, hosts: hosts.split(separator: ",").map(String.init))
      return
    }
    if libvirt || ovn {
      throw CommandFailure.refused("--libvirt and --ovn go with --hosts (they give each simulated host more)")
    }
    if stop, FileManager.default.fileExists(atPath: lab.directory + "/lab.json") || !lab.namespaces().isEmpty {
      let gone = lab.stop()
      if json {
        print(JSON.object(["stopped": .array(gone.map(JSON.string))]))
      } else {
        for item in gone { printErr("stopped \(item)") }
      }
      return
    }
    let sandbox = Sandbox(directory: dir, networkNamespace: netns)
    if stop {
      let stopped = sandbox.stop()
      if json {
        let items = stopped.map { "{\"program\":\"\($0.program)\",\"pid\":\($0.pid)}" }
        print("{\"stopped\":[\(items.joined(separator: ","))]}")
      } else if stopped.isEmpty {
        printErr("nothing of this sandbox is running in \(sandbox.directory)")
      } else {
        for item in stopped { printErr("stopped \(item.program) (pid \(item.pid))") }
      }
      return
    }
    let status: Sandbox.Status
    do {
      status = try await sandbox.start(vswitchd: !noVswitchd)
    } catch let error as SandboxError {
      switch error {
      case .invalid, .pathTooLong: throw CommandFailure.refused("\(error)")
      default: throw CommandFailure.failed("\(error)")
      }
    }
    if json {
      var fields = ["\"db\":\"\(sandbox.remote)\"", "\"dir\":\"\(sandbox.directory)\""]
      fields.append("\"ovsdb-server\":\(Self.json(status.database))")
      if let v = status.vswitchd { fields.append("\"ovs-vswitchd\":\(Self.json(v))") }
      print("{\(fields.joined(separator: ","))}")
      return
    }
    printErr("ovsdb-server: \(Self.describe(status.database))")
    if let v = status.vswitchd {
      let place = netns.map { ", network namespace \($0)" } ?? ""
      printErr("ovs-vswitchd: \(Self.describe(v)) (bridges need datapath_type=netdev\(place))")
    }
    printErr("use: --db \(sandbox.remote)   (ovs-vsctl --db=\(sandbox.remote) show)")
    printErr("stop: ovsvirt sandbox --stop\(dir == Sandbox.defaultDirectory ? "" : " --dir \(dir)")")
    print(sandbox.remote)
  }

  func startLab(_ lab: HostLab, hosts names: [String]) async throws {
    let hosts: [HostLab.Host]
    do {
      hosts = try await lab.start(hosts: names, underlayMTU: underlayMTU, libvirt: libvirt, ovn: ovn)
    } catch let error as SandboxError {
      if case .invalid(let reason) = error { throw CommandFailure.refused(reason) }
      lab.stop()
      throw CommandFailure.failed("\(error)")
    } catch {
      lab.stop()
      throw CommandFailure.failed("\(error)")
    }
    if json {
      print(
        JSON.object([
          "dir": .string(lab.directory), "underlay_mtu": .int(Int64(underlayMTU)),
          "northbound": ovn ? .string(LabOVN(labDirectory: lab.directory).northbound) : .null,
          "southbound": ovn ? .string(LabOVN(labDirectory: lab.directory).southbound) : .null,
          "hosts": .array(
            hosts.map {
              .object(
                [
                  "name": .string($0.name), "db": .string($0.db), "underlay_ip": .string($0.underlayIP),
                  "netns": .string($0.namespace),
                ].merging(libvirt ? ["connect": .string(HostLibvirt(host: $0).uri)] : [:]) { $1 })
            }),
        ]))
      return
    }
    for host in hosts {
      let connect = libvirt ? "\t--connect \(HostLibvirt(host: host).uri)" : ""
      print("\(host.name)\t--db \(host.db)\tunderlay \(host.underlayIP)\tnetns \(host.namespace)\(connect)")
    }
    if ovn {
      let central = LabOVN(labDirectory: lab.directory)
      print("ovn\tnorthbound \(central.northbound)\tsouthbound \(central.southbound)")
    }
    printErr("underlay MTU \(underlayMTU); bridges need datapath_type=netdev")
    printErr("stop: ovsvirt sandbox --stop\(dir == Sandbox.defaultDirectory ? "" : " --dir \(dir)")")
  }

  static func describe(_ state: Sandbox.DaemonState) -> String {
    switch state {
    case .started(let pid): return "started (pid \(pid))"
    case .alreadyRunning(let pid): return "already running (pid \(pid)), reused"
    }
  }

  static func json(_ state: Sandbox.DaemonState) -> String {
    switch state {
    case .started(let pid): return "{\"state\":\"started\",\"pid\":\(pid)}"
    case .alreadyRunning(let pid): return "{\"state\":\"running\",\"pid\":\(pid)}"
    }
  }
}

func printErr(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// `ovsvirt sandbox endpoint`: a VM stand-in on one host of a multi-host sandbox.
struct EndpointCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "endpoint",
    abstract: "Add a VM stand-in to a host of a multi-host sandbox, plugged as libvirt plugs a NIC.",
    discussion: """
      A network namespace whose eth0 (MAC, address, MTU as given) is a veth; its other end, named NAME, is
      an OVS port on BRIDGE with the VLAN given and the external_ids libvirt sets (iface-id, attached-mac,
      vm-id, iface-status). Try the network from it with `ip netns exec NETNS ping …`.
        ovsvirt sandbox endpoint web1 --host h1 --bridge brlv140 --ip 10.140.0.11/24
        ovsvirt sandbox endpoint web2 --host h2 --bridge ovsbr0 --access 120 --ip 10.120.0.12/24
      """)

  @Argument(help: "Endpoint name (the OVS port's name, at most 15 characters).") var name: String
  /// `--dir` (the sandbox's directory) is the parent's option, given before or after `endpoint`.
  @ParentCommand var sandbox: SandboxCommand
  @Option(name: .long, help: "The sandbox host to add it to.") var host: String
  @Option(name: .long, help: "The OVS bridge (a fake VLAN bridge works too).") var bridge: String
  @Option(name: .long, help: "Access VLAN.") var access: Int?
  @Option(name: .long, help: "Trunked VLANs, comma separated.") var trunk: String?
  @Option(name: .long, help: "Address with prefix length, e.g. 10.140.0.11/24.") var ip: String
  @Option(name: .long, help: "MAC address (default: derived from the name).") var mac: String?
  @Option(name: .long, help: "The endpoint's MTU.") var mtu: Int?
  @Flag(name: .long, help: "Print the result as JSON.") var json = false

  func run() async throws {
    let vlan: VLANSettings
    do {
      let trunks =
        try trunk.map { text in
          try text.split(separator: ",").map { part throws(VSwitch.ValidationError) in
            try VLANID(Int(part.trimmingCharacters(in: .whitespaces)) ?? -1)
          }
        } ?? []
      vlan = VLANSettings(tag: try access.map { v throws(VSwitch.ValidationError) in try VLANID(v) }, trunks: trunks)
    } catch {
      throw CommandFailure.refused("\(error)")
    }
    let endpoint: HostLab.Endpoint
    do {
      endpoint = try await HostLab(directory: sandbox.dir).addEndpoint(
        name, host: host, bridge: bridge, vlan: vlan, address: ip, mac: mac, mtu: mtu)
    } catch let error as SandboxError {
      switch error {
      case .invalid, .notRunning: throw CommandFailure.refused("\(error)")
      default: throw CommandFailure.failed("\(error)")
      }
    } catch {
      throw SwitchSession.translate(error)
    }
    // `--json` after the subcommand name may be taken as the parent's flag: either one counts.
    if json || sandbox.json {
      print(
        JSON.object([
          "name": .string(endpoint.name), "host": .string(endpoint.host), "netns": .string(endpoint.namespace),
          "mac": .string(endpoint.mac), "iface_id": .string(endpoint.interfaceID), "vm_id": .string(endpoint.vmID),
        ]))
    } else {
      print(endpoint.namespace)
      printErr("endpoint \(name) on \(host) (\(bridge)): ip netns exec \(endpoint.namespace) ping …")
    }
  }
}
