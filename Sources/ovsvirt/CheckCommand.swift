import ArgumentParser
import Foundation
import OVSDB
import OVSVirt

/// `ovsvirt check`: why can't these two VMs talk? Parses, calls `PathCheck.run`, renders.
struct CheckCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Walk a VM NIC's path hop by hop (libvirt, OVS, uplinks, tunnels, MTU, Open vSwitch's own trace).",
    discussion: """
      Each hop is printed with ✓ (right), ✗ (breaks the path, with the fix) or • (worth knowing): the NIC in
      libvirt → its VLAN by libvirt's precedence (interface > portgroup > network) → its OVS port (ofport,
      error, tag / trunks / vlan_mode) → the bridge or fake bridge → the uplinks and tunnels carry the VLAN →
      the tunnel to the peer host (remote_ip, key, dst_port; with --spec, what the cluster says and what
      the peer should have) → the MTU budget → ofproto/trace of a frame from the NIC, asked of ovs-vswitchd
      over its control socket. --peer-db / --peer-connect look at the other host's side too.
      Without DOMAIN, every running VM NIC of this host. Exit 0 healthy, 1 problems found, 2 could not look.
        ovsvirt check web1 --to-host node2 --spec cluster.yaml
        ovsvirt check web1/52:54:00:4a:00:02 --to web2 --spec cluster.yaml --peer-db tcp:node2:6640 \\
          --peer-connect qemu+ssh://node2/system
      """)

  @OptionGroup var options: SwitchOptions
  @OptionGroup var libvirt: LibvirtOptions
  @Argument(help: "DOMAIN or DOMAIN/MAC (default: every running VM NIC).") var nic: String?
  @Option(name: .long, help: "The other end: DOMAIN or DOMAIN/MAC (on --peer-connect when given).") var to: String?
  @Option(name: .customLong("to-host"), help: "The cluster host the path leads to.") var toHost: String?
  @Option(name: .long, help: "The cluster spec: what the tunnels and the peer host should have.") var spec: String?
  @Option(name: .long, help: "This host's name in the spec's cluster (default: the short hostname).") var host: String?
  @Option(name: .customLong("peer-db"), help: "The peer host's OVSDB, to check its tunnel back.") var peerDB: String?
  @Option(name: .customLong("peer-connect"), help: "The peer host's libvirt URI (its network, the --to VM).")
  var peerConnect: String?
  @Option(
    name: .long,
    help: "ovs-vswitchd's control socket (default: OVS_RUNDIR or /var/run/openvswitch, ovs-vswitchd.<pid>.ctl).")
  var unixctl: String?

  func run() async throws {
    if to != nil && nic == nil {
      throw CommandFailure.refused("--to needs the NIC it starts from: ovsvirt check DOMAIN --to …")
    }
    var request = CheckRequest(
      db: options.db, libvirt: libvirt.access, unixctl: unixctl ?? UnixctlClient.defaultPath(),
      deadline: options.deadline, subject: nic.map(CheckRequest.NICName.init(parsing:)),
      to: to.map(CheckRequest.NICName.init(parsing:)), toHost: toHost, specPath: spec, host: host,
      peer: CheckRequest.Peer(db: peerDB, libvirtURI: peerConnect))
    request.tls = options.tls.isEmpty ? nil : options.tls
    let report: CheckReport
    do {
      report = try await PathCheck.run(request)
    } catch {
      throw SwitchSession.translate(error)
    }
    if options.json {
      print(Self.json(report).description)
    } else {
      print(Self.text(report), terminator: "")
    }
    if !report.healthy { throw ExitCode(1) }
  }

  static func text(_ report: CheckReport) -> String {
    var out = ""
    if report.paths.isEmpty { out += "no running VM NIC on Open vSwitch here\n" }
    for path in report.paths {
      let to = path.destination.map { " → \($0)" } ?? ""
      out += "\(path.domain) \(path.mac ?? "?")\(to): \(path.healthy ? "healthy" : "PROBLEMS")\n"
      for hop in path.hops {
        let mark = hop.verdict == .ok ? "✓" : hop.verdict == .problem ? "✗" : "•"
        out += "  \(mark) \(hop.kind.padding(toLength: 7, withPad: " ", startingAt: 0)) \(hop.detail)\n"
        if let fix = hop.fix { out += "            fix: \(fix)\n" }
      }
    }
    return out
  }

  static func json(_ report: CheckReport) -> JSON {
    .object([
      "host": report.host.map(JSON.string) ?? .null, "healthy": .bool(report.healthy),
      "paths": .array(
        report.paths.map { path in
          .object([
            "domain": .string(path.domain), "mac": path.mac.map(JSON.string) ?? .null,
            "tap": path.tap.map(JSON.string) ?? .null, "to": path.destination.map(JSON.string) ?? .null,
            "healthy": .bool(path.healthy),
            "hops": .array(
              path.hops.map { hop in
                .object([
                  "hop": .string(hop.kind), "verdict": .string(hop.verdict.rawValue), "detail": .string(hop.detail),
                  "fix": hop.fix.map(JSON.string) ?? .null,
                ])
              }),
          ])
        }),
    ])
  }
}
