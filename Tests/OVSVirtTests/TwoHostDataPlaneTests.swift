import Foundation
import OVSDB
import OVSVirt
import Testing
import TestSupport

/// Seed 004 on two simulated hosts of `ovsvirt sandbox --hosts`, proven with real packets: the
/// cluster spec applied on each host by ovsvirt, VM stand-ins plugged as libvirt plugs NICs, then
/// ping, tcpdump and a TCP transfer as the oracles.
/// The data-plane suites, one at a time: each runs several simulated hosts, and two labs at once on
/// two cores under the rest of the suite made first replies miss their bound.
@Suite(.serialized, .blockingWork) struct DataPlaneTests {}

extension DataPlaneTests {
  @Suite(.serialized) struct TwoHostDataPlaneTests {
    struct Lab {
      let directory: String
      let ip: String
      let hosts: [String: (db: String, underlay: String)]
      let namespaces: (String) -> String

      func run(_ program: String, _ arguments: [String]) throws -> String {
        try CLI.runProgram(program, arguments, in: directory)
      }

      /// `command` inside endpoint `name`'s namespace, on a thread of its own (a ping waits up to a
      /// second, and the suite's other tests share two pool threads); nil when it fails.
      func inEndpoint(_ name: String, _ command: [String]) async -> String? {
        try? await CommandRunner.runOffPool(
          ip, ["netns", "exec", namespaces(name)] + command,
          outputFile: directory + "/endpoint-\(UUID().uuidString).out")
      }

      /// Pings until a reply comes (the first packet to a new tunnel peer is lost while OVS resolves
      /// it), at most `within`; returns how long the first reply took.
      func firstReply(from name: String, to address: String, within: Duration = .seconds(60)) async -> Duration? {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < within {
          if await inEndpoint(name, ["ping", "-c", "1", "-W", "1", address]) != nil {
            return ContinuousClock.now - started
          }
          try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
      }
    }

    static func start(_ hosts: [String]) throws -> Lab {
      guard getuid() == 0 else { try Integration.unavailable("network namespaces need root") }
      let ip = try Integration.program("ip")
      for program in ["ping", "tcpdump", "ethtool", "python3"] { _ = try Integration.program(program) }
      let directory = try TemporaryDirectory.make("lab")
      let started = try CLI.run(
        ["sandbox", "--hosts", hosts.joined(separator: ","), "--dir", directory, "--json"], in: directory)
      struct NotStarted: Error, CustomStringConvertible { var description: String }
      guard started.status == 0 else { throw NotStarted(description: "sandbox --hosts failed: \(started.stderr)") }
      let json = try JSONParser.parse(started.stdout)
      var found: [String: (db: String, underlay: String)] = [:]
      var namespaceOf: [String: String] = [:]
      for host in json["hosts"]?.arrayValue ?? [] {
        guard let name = host["name"]?.stringValue, let db = host["db"]?.stringValue,
          let underlay = host["underlay_ip"]?.stringValue, let netns = host["netns"]?.stringValue
        else { continue }
        found[name] = (db, underlay)
        namespaceOf[name] = netns
      }
      let prefix = namespaceOf.values.first.map { String($0.prefix { $0 != "-" }) } ?? ""
      return Lab(directory: directory, ip: ip, hosts: found, namespaces: { "\(prefix)-e-\($0)" })
    }

    @Test func seed004AcrossTwoHosts() async throws {
      let lab = try Self.start(["h1", "h2"])
      var stopped = false
      defer { if !stopped { _ = try? CLI.run(["sandbox", "--dir", lab.directory, "--stop"], in: lab.directory) } }
      #expect(lab.hosts.count == 2)
      let (h1, h2) = (try #require(lab.hosts["h1"]), try #require(lab.hosts["h2"]))

      // Seed 004's switch on both hosts from one cluster spec: ovsbr0, the VLAN 140 fake bridge, VXLAN.
      let spec = lab.directory + "/cluster.yaml"
      try """
      bridges:
        - name: ovsbr0
          datapath_type: netdev
        - {name: brlv140, parent: ovsbr0, vlan: 140}
      cluster:
        bridge: ovsbr0
        type: vxlan
        hosts:
          - {name: h1, ip: \(h1.underlay)}
          - {name: h2, ip: \(h2.underlay)}
      """.write(toFile: spec, atomically: true, encoding: .utf8)
      for (name, host) in [("h1", h1), ("h2", h2)] {
        let applied = try CLI.run(["apply", spec, "--host", name, "--db", host.db], in: lab.directory)
        #expect(applied.status == 0, "apply on \(name): \(applied.stderr)")
      }
      // What guest MTU ovsvirt says a tunnelled VLAN allows (1446 over a 1500 underlay).
      let planned = try CLI.run(["plan", spec, "--host", "h1", "--db", h1.db, "--json"], in: lab.directory)
      let note = try JSONParser.parse(planned.stdout)["notes"]?.arrayValue?.compactMap(\.stringValue)
        .first { $0.contains("fit at guest MTU ≤ ") }
      let guestMTU = try #require(
        note.flatMap { $0.components(separatedBy: "guest MTU ≤ ").last?.prefix { $0.isNumber } }.flatMap { Int($0) },
        "plan did not say the guest MTU: \(planned.stdout)")
      #expect(guestMTU == 1446)

      // VM stand-ins: VLAN 140 through the fake bridge at the guest MTU ovsvirt said, VLAN 120 on
      // ovsbr0 at the default 1500 (to find the real limit), and a VLAN 130 NIC in VLAN 140's subnet.
      for (name, host, bridge, vlan, address, mtu) in [
        ("a140", "h1", "brlv140", nil, "10.140.0.11/24", guestMTU),
        ("b140", "h2", "brlv140", nil, "10.140.0.12/24", guestMTU),
        ("a120", "h1", "ovsbr0", "120", "10.120.0.11/24", 1500),
        ("b120", "h2", "ovsbr0", "120", "10.120.0.12/24", 1500),
        ("c130", "h2", "ovsbr0", "130", "10.140.0.13/24", 1500),
      ] as [(String, String, String, String?, String, Int)] {
        let added = try CLI.run(
          [
            "sandbox", "endpoint", name, "--dir", lab.directory, "--host", host, "--bridge", bridge, "--ip", address,
            "--mtu", "\(mtu)",
          ] + (vlan.map { ["--access", $0] } ?? []), in: lab.directory)
        try #require(added.status == 0, "endpoint \(name): \(added.stderr)")
      }

      // Same VLAN reaches across the tunnel; the first reply waits for OVS to resolve the peer.
      let first140 = await lab.firstReply(from: "a140", to: "10.140.0.12")
      #expect(first140 != nil, "VLAN 140 does not reach across the tunnel")
      let first120 = await lab.firstReply(from: "a120", to: "10.120.0.12")
      #expect(first120 != nil, "VLAN 120 does not reach across the tunnel")
      print(
        "first reply over VXLAN: VLAN 140 after \(first140.map { "\($0)" } ?? "-"), VLAN 120 after \(first120.map { "\($0)" } ?? "-")"
      )
      // The figure is exact: an IP packet of guestMTU bytes crosses, one byte more is lost (silently).
      let payload = guestMTU - 28
      #expect(
        await lab.inEndpoint("a120", ["ping", "-c", "2", "-W", "1", "-M", "do", "-s", "\(payload)", "10.120.0.12"])
          != nil)
      #expect(
        await lab.inEndpoint("a120", ["ping", "-c", "2", "-W", "1", "-M", "do", "-s", "\(payload + 1)", "10.120.0.12"])
          == nil
      )
      // VLAN 130 does not reach VLAN 140, even in the same subnet.
      #expect(await lab.inEndpoint("a140", ["ping", "-c", "3", "-i", "0.3", "-W", "1", "10.140.0.13"]) == nil)

      // On the underlay: VXLAN (UDP 4789) carrying the inner 802.1Q tag.
      let capture = lab.directory + "/underlay.txt"
      let tcpdump = try CommandRunner.launch(
        lab.ip,
        [
          "netns", "exec", try #require(lab.namespaces("x").split(separator: "-").first.map { "\($0)-ul" }),
          try Integration.program("tcpdump"), "-l", "-n", "-e", "-i", HostLab.underlayBridge, "-c", "4", "udp", "port",
          "4789",
        ],
        stdout: capture, stderr: lab.directory + "/tcpdump.err")
      try await Task.sleep(for: .milliseconds(800))
      _ = await lab.inEndpoint("a140", ["ping", "-c", "3", "-i", "0.2", "-W", "1", "10.140.0.12"])
      let deadline = ContinuousClock.now + .seconds(5)
      while kill(tcpdump, 0) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
      kill(tcpdump, SIGTERM)
      _ = CommandRunner.wait(tcpdump)
      let seen = (try? String(contentsOfFile: capture, encoding: .utf8)) ?? ""
      #expect(seen.contains("VXLAN"), "no VXLAN on the underlay:\n\(seen)")
      #expect(seen.contains("vlan 140"), "no inner 802.1Q tag 140:\n\(seen)")

      // TCP at the MTU ovsvirt said fits: 1 MB from h1's VLAN 140 NIC to h2's.
      let received = lab.directory + "/received.txt"
      let server = try CommandRunner.launch(
        lab.ip,
        [
          "netns", "exec", lab.namespaces("b140"), try Integration.program("python3"), "-c",
          """
          import socket
          s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
          s.bind(("10.140.0.12", 5001)); s.listen(1); s.settimeout(20)
          c, _ = s.accept(); n = 0
          while True:
              b = c.recv(65536)
              if not b: break
              n += len(b)
          print(n, flush=True)
          """,
        ], stdout: received, stderr: lab.directory + "/server.err")
      try await Task.sleep(for: .milliseconds(500))
      let sent = await lab.inEndpoint(
        "a140",
        [
          try Integration.program("python3"), "-c",
          "import socket; s = socket.create_connection(('10.140.0.12', 5001), timeout=20); s.sendall(b'x' * 1000000); s.close()",
        ])
      #expect(sent != nil, "the TCP client failed")
      _ = CommandRunner.wait(server)
      let bytes = (try? String(contentsOfFile: received, encoding: .utf8))?.trimmingCharacters(
        in: .whitespacesAndNewlines)
      #expect(
        bytes == "1000000",
        "TCP at MTU \(guestMTU) moved \(bytes ?? "nothing"): \((try? String(contentsOfFile: lab.directory + "/server.err", encoding: .utf8)) ?? "")"
      )

      // The sandbox goes without a trace: no namespace, no daemon.
      let stop = try CLI.run(["sandbox", "--dir", lab.directory, "--stop"], in: lab.directory)
      stopped = true
      #expect(stop.status == 0, "\(stop.stderr)")
      let left = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
      let prefix = String(lab.namespaces("x").prefix { $0 != "-" })
      #expect(!left.contains { $0.hasPrefix(prefix + "-") }, "namespaces left: \(left.filter { $0.hasPrefix(prefix) })")
      let daemons = (try? lab.run("/usr/bin/pgrep", ["-f", lab.directory + "/"])) ?? ""
      #expect(daemons.isEmpty, "processes left: \(daemons)")
    }

    /// Userspace tunnels resolve a new peer on first traffic and drop that first frame. `apply` run
    /// on the host (here: in its namespace) announces it and asks for its peers, so the very first
    /// ping crosses. The control: the same lab applied from outside the hosts' namespaces (nothing
    /// to announce from there), where the first frame is lost.
    @Test(arguments: [true, false])
    func appliedHostsAnnounceTheirTunnelPeers(onTheHost: Bool) async throws {
      let lab = try Self.start(["h1", "h2"])
      defer { _ = try? CLI.run(["sandbox", "--dir", lab.directory, "--stop"], in: lab.directory) }
      let (h1, h2) = (try #require(lab.hosts["h1"]), try #require(lab.hosts["h2"]))
      let spec = lab.directory + "/cluster.yaml"
      try """
      bridges:
        - name: ovsbr0
          datapath_type: netdev
      cluster:
        bridge: ovsbr0
        type: vxlan
        hosts:
          - {name: h1, ip: \(h1.underlay)}
          - {name: h2, ip: \(h2.underlay)}
      """.write(toFile: spec, atomically: true, encoding: .utf8)
      let prefix = String(lab.namespaces("x").prefix { $0 != "-" })
      for (name, host, peer) in [("h1", h1, h2), ("h2", h2, h1)] {
        let apply = [try CLI.binary(), "apply", spec, "--host", name, "--db", host.db]
        let said =
          onTheHost
          ? try lab.run(lab.ip, ["netns", "exec", "\(prefix)-\(name)"] + apply)
          : try lab.run(apply[0], Array(apply.dropFirst()))
        #expect(
          said.contains(
            onTheHost
              ? "tunnel peers announced: asked \(peer.underlay) from br-phy"
              : "tunnel peers not announced: no interface in this network namespace holds \(host.underlay)"),
          "\(said)")
      }
      for (name, host, address) in [("pa", "h1", "10.120.0.1/24"), ("pb", "h2", "10.120.0.2/24")] {
        let added = try CLI.run(
          [
            "sandbox", "endpoint", name, "--dir", lab.directory, "--host", host, "--bridge", "ovsbr0", "--access",
            "120", "--ip", address,
          ], in: lab.directory)
        try #require(added.status == 0, "\(added.stderr)")
      }
      // The first ARP request of the endpoint is what a lost first frame costs: its kernel asks
      // again a second later. So the time to the first reply tells: milliseconds, or over a second.
      let started = ContinuousClock.now
      let replied = await lab.inEndpoint("pa", ["ping", "-c", "1", "-W", "3", "10.120.0.2"]) != nil
      let took = ContinuousClock.now - started
      print("first reply across a \(onTheHost ? "announced" : "not announced") tunnel after \(took)")
      #expect(replied)
      if onTheHost {
        #expect(took < .milliseconds(700), "the first frame to an announced peer was lost (reply after \(took))")
      } else {
        #expect(took > .milliseconds(900), "the first frame crossed without announcing (reply after \(took))")
      }
    }
  }
}
