import Foundation
import OVSDB
import OVSVirt
import Testing
import TestSupport

extension DataPlaneTests {
  /// Seed 004's networks on OVN, proven with real guests: two sandbox hosts with a libvirtd each,
  /// OVN's central databases and an ovn-controller per host. `apply` of an `engine: ovn` cluster
  /// spec on each host makes it a chassis and writes the logical switches; guests plugged by libvirt
  /// into br-int get their logical ports from a second apply. A guest on VLAN 120 reaches the other
  /// host's through the localnet port (802.1Q on the physical segment, no Geneve); guests on an
  /// overlay network reach each other over Geneve (UDP 6081 on the underlay); VLAN 130 does not reach
  /// VLAN 120 in the same subnet. Guests ping from inside (their replies are on their consoles).
  @Suite(.serialized) struct OVNDataPlaneTests {
    @Test func seedNetworksOnOVNCarryRealGuests() async throws {
      guard getuid() == 0 else { try Integration.unavailable("network namespaces need root") }
      let image = try Integration.environment("OVSVIRT_GUEST_IMAGE")
      for program in ["ovn-northd", "ovn-controller", "libvirtd", "qemu-system-x86_64", "tcpdump"] {
        _ = try Integration.program(program)
      }
      let ip = try Integration.program("ip")
      let sbctl = try Integration.program("ovn-sbctl")
      let lab = try SandboxLab.start(["h1", "h2", "h3"], purpose: "ovn", libvirt: true, ovn: true)
      defer { lab.stop() }
      let directory = lab.directory
      func ovsvirt(_ arguments: [String]) throws -> CLI.Result { try lab.ovsvirt(arguments) }
      let southbound = try #require(lab.southbound)
      let northbound = try #require(lab.northbound)
      let (h1, h2, h3) = (try lab.host("h1"), try lab.host("h2"), try lab.host("h3"))
      let spec = directory + "/cluster-ovn.yaml"
      try """
      bridges:
        - name: ovsbr0
          datapath_type: netdev
          ports:
            - {name: pn0, trunks: "120,130"}
      networks:
        - name: ovsvl2
          bridge: ovsbr0
          portgroups:
            - {name: vlan-120, vlan: 120, default: true}
            - {name: vlan-130, vlan: 130}
        - name: tenant
          bridge: ovsbr0
      cluster:
        bridge: ovsbr0
        engine: ovn
        ovn: {southbound: "\(southbound)", northbound: "\(northbound)"}
        hosts:
          - {name: h1, ip: \(h1.underlay)}
          - {name: h2, ip: \(h2.underlay)}
          - {name: h3, ip: \(h3.underlay)}
      """.write(toFile: spec, atomically: true, encoding: .utf8)
      func apply(_ name: String, _ host: SandboxLab.Host) throws -> JSON {
        let said = try CLI.runProgram(
          ip,
          [
            "netns", "exec", host.netns, try CLI.binary(), "apply", spec, "--host", name, "--db", host.db,
            "--connect", host.connect ?? "", "--json",
          ], in: directory)
        return try JSONParser.parse(said)
      }
      for (name, host) in [("h1", h1), ("h2", h2), ("h3", h3)] { _ = try apply(name, host) }
      // Both hosts are chassis with a Geneve encapsulation at their underlay address.
      #expect(
        await eventually(timeout: .seconds(20)) {
          let chassis =
            (try? CLI.runProgram(
              sbctl, ["--db=\(southbound)", "--bare", "--columns=hostname", "list", "Chassis"], in: directory)) ?? ""
          return chassis.contains("h1") && chassis.contains("h2") && chassis.contains("h3")
        }, "the hosts did not become chassis")
      let encaps = try CLI.runProgram(
        sbctl, ["--db=\(southbound)", "--bare", "--columns=type,ip", "list", "Encap"], in: directory)
      #expect(
        encaps.contains("geneve") && [h1, h2, h3].allSatisfy { encaps.contains($0.underlay) }, "\(encaps)")

      // Guests plugged by libvirt into br-int; each second one pings the first from inside.
      @discardableResult
      func guest(
        _ name: String, on host: String, _ network: String, _ portgroup: String?, _ address: String, ping: String?
      ) throws -> String? {
        var arguments = [
          "sandbox", "guest", name, "--dir", directory, "--host", host, "--network", network, "--ip", address,
          "--image", image,
        ]
        if let portgroup { arguments += ["--portgroup", portgroup] }
        if let ping { arguments += ["--ping", ping] }
        let booted = try ovsvirt(arguments + ["--json"])
        try #require(booted.status == 0, "guest \(name): \(booted.stderr)")
        return try JSONParser.parse(booted.stdout)["interfaceid"]?.stringValue
      }
      let ovsvirtOV1InterfaceID = try guest(
        "ovsvirt-test-ov1", on: "h1", "ovsvl2", "vlan-120", "10.120.0.11/24", ping: nil)
      let ov2InterfaceID = try guest(
        "ovsvirt-test-ov2", on: "h2", "ovsvl2", "vlan-120", "10.120.0.12/24", ping: "10.120.0.11")
      try guest("ovsvirt-test-ox3", on: "h2", "ovsvl2", "vlan-130", "10.120.0.13/24", ping: "10.120.0.11")
      try guest("ovsvirt-test-ot1", on: "h1", "tenant", nil, "10.200.0.11/24", ping: nil)
      try guest("ovsvirt-test-ot2", on: "h2", "tenant", nil, "10.200.0.12/24", ping: "10.200.0.11")
      try guest("ovsvirt-test-ot3", on: "h3", "tenant", nil, "10.200.0.13/24", ping: "10.200.0.11")

      // The second apply on each host writes the logical ports of the guests running there.
      for (name, host) in [("h1", h1), ("h2", h2), ("h3", h3)] {
        let report = try apply(name, host)
        let written = report["northbound"]?["changes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(written.contains { $0.hasPrefix("+ logical port") }, "\(name): \(report)")
      }
      for (name, host) in [("h1", h1), ("h2", h2), ("h3", h3)] {
        #expect(try apply(name, host)["writes"] == 0, "a third apply on \(name) wrote again")
      }
      func console(_ name: String) -> String {
        (try? String(contentsOfFile: directory + "/guests/\(name).console", encoding: .utf8)) ?? ""
      }
      #expect(
        await eventually(timeout: .seconds(30)) { console("ovsvirt-test-ov2").contains("bytes from 10.120.0.11") },
        "VLAN 120 across hosts (localnet): \(console("ovsvirt-test-ov2"))")
      #expect(
        await eventually(timeout: .seconds(30)) { console("ovsvirt-test-ot2").contains("bytes from 10.200.0.11") },
        "the overlay across hosts (Geneve): \(console("ovsvirt-test-ot2"))")
      #expect(
        await eventually(timeout: .seconds(30)) { console("ovsvirt-test-ot3").contains("bytes from 10.200.0.11") },
        "the overlay from a third host (Geneve): \(console("ovsvirt-test-ot3"))")

      // On the wire: VLAN 120 rides the physical segment tagged, the overlay rides Geneve.
      let capture = directory + "/underlay.txt"
      let tcpdump = try CommandRunner.launch(
        ip,
        [
          "netns", "exec", h1.netns.split(separator: "-").dropLast().joined(separator: "-") + "-ul",
          try Integration.program("tcpdump"), "-l", "-n", "-e", "-i", HostLab.underlayBridge, "-c", "40",
          "udp port 6081 or vlan 120",
        ], stdout: capture, stderr: directory + "/tcpdump.err")
      try await Task.sleep(for: .seconds(4))
      kill(tcpdump, SIGTERM)
      _ = CommandRunner.wait(tcpdump)
      let seen = (try? String(contentsOfFile: capture, encoding: .utf8)) ?? ""
      #expect(seen.contains("vlan 120") && seen.contains("10.120.0.11"), "no tagged VLAN 120 on the wire:\n\(seen)")
      #expect(seen.contains(".6081"), "no Geneve on the underlay:\n\(seen)")
      #expect(
        !seen.split(separator: "\n").contains { $0.contains(".6081") && $0.contains("10.120.0.") },
        "VLAN 120 traffic went over Geneve:\n\(seen)")

      // VLAN 130 in the same subnet reaches nothing of VLAN 120.
      #expect(!console("ovsvirt-test-ox3").contains("bytes from 10.120.0.11"), "\(console("ovsvirt-test-ox3"))")

      // ov2's replies from ov1, timed as they appear on its console: each outage below is measured
      // on the wall clock and reported.
      let replies = ReplyClock(console: directory + "/guests/ovsvirt-test-ov2.console", from: "10.120.0.11")
      let clock = Task { await replies.run() }
      defer { clock.cancel() }

      // Drift in the Northbound database (a logical port deleted by hand): reconcile --spec on the
      // VM's host puts it back, and a second run finds nothing to do.
      let ov2Port = try #require(ov2InterfaceID)
      let beforeDelete = await replies.newest()
      _ = try CLI.runProgram(
        try Integration.program("ovn-nbctl"), ["--db=\(northbound)", "lsp-del", ov2Port], in: directory)
      let reconcileNB = [
        "reconcile", "--spec", spec, "--host", "h2", "--db", h2.db, "--connect", h2.connect ?? "",
      ]
      let repaired = try ovsvirt(reconcileNB)
      #expect(repaired.status == 0, "\(repaired.stderr)")
      #expect(repaired.stdout.contains("Northbound: + logical port \(ov2Port)"), "\(repaired.stdout)")
      #expect(!(try ovsvirt(reconcileNB)).stdout.contains("Northbound:"), "a second reconcile changed the Northbound")
      let rebound = await replies.resumed(after: beforeDelete, within: .seconds(30))
      #expect(rebound, "ov2's pings were not answered within 30 s of its logical port's repair")
      print("ov2's logical port deleted, put back by reconcile: \(await replies.outage(after: beforeDelete))")

      // watch follows h2 from here on: the cluster spec and every VM that runs there.
      let watchLog = directory + "/watch.log"
      let watcher = try CommandRunner.launch(
        ip,
        [
          "netns", "exec", h2.netns, try CLI.binary(), "watch", "--spec", spec, "--host", "h2", "--db", h2.db,
          "--connect", h2.connect ?? "",
        ], stdout: watchLog, stderr: nil)
      defer { _ = CLI.stop(watcher) }
      func watchText() -> String { (try? String(contentsOfFile: watchLog, encoding: .utf8)) ?? "" }
      #expect(await eventually(timeout: .seconds(30)) { watchText().contains("subscribed") }, "\(watchText())")

      /// `host`'s Open vSwitch database wiped: both daemons stopped, conf.db gone, started again empty
      /// (the sandbox starts what is missing).
      func wipe(_ host: String) async throws {
        for daemon in ["ovs-vswitchd", "ovsdb-server"] {
          let pidText = try String(contentsOfFile: directory + "/\(host)/\(daemon).pid", encoding: .utf8)
          let pid = try #require(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
          kill(pid, SIGTERM)
          #expect(await eventually(timeout: .seconds(10)) { kill(pid, 0) != 0 }, "\(host)'s \(daemon) did not stop")
        }
        try FileManager.default.removeItem(atPath: directory + "/\(host)/conf.db")
        let again = try ovsvirt(["sandbox", "--hosts", "h1,h2,h3", "--dir", directory, "--libvirt", "--ovn"])
        try #require(again.status == 0, "\(again.stderr)")
      }

      // What OVN and h2's switch show, for a failure's message.
      func diagnosis() -> String {
        let sbctl = (try? Integration.program("ovn-sbctl")) ?? "ovn-sbctl"
        let vsctl = (try? Integration.program("ovs-vsctl")) ?? "ovs-vsctl"
        let bindings =
          (try? CLI.runProgram(
            sbctl, ["--db=\(southbound)", "--columns=logical_port,chassis,up", "find", "Port_Binding", "type=\"\""],
            in: directory)) ?? ""
        let interfaces =
          (try? CLI.runProgram(
            vsctl, ["--db=\(h2.db)", "--columns=name,ofport,external_ids", "find", "Interface", "type=\"\""],
            in: directory)) ?? ""
        let log = (try? String(contentsOfFile: directory + "/h2/ovn-controller.log", encoding: .utf8)) ?? ""
        return "Port_Binding:\n\(bindings)\nh2 interfaces:\n\(interfaces)\nh2 ovn-controller.log (end):\n"
          + log.split(separator: "\n").suffix(40).joined(separator: "\n")
      }

      // h2's Open vSwitch database wiped (both daemons stopped, conf.db gone, started again empty):
      // watch puts back the spec's bridge, the chassis settings and, once ovn-controller has made
      // br-int again, the guests' ports; ov2's pings are answered again.
      let beforeWipe = await replies.newest()
      try await wipe("h2")
      // What watch restores is asserted: the chassis settings, and every guest's port on br-int
      // with its iface-id; and ov2's pings are answered again, the loss measured.
      #expect(
        await eventually(timeout: .seconds(30)) {
          watchText().contains("corrected: ~ Open_vSwitch: OVN chassis: ovn-remote=")
            && watchText().components(separatedBy: "to br-int (untagged)").count - 1 >= 3
        }, "watch did not restore the chassis and the guests' ports: \(watchText())")
      let h2Ports = try CLI.runProgram(
        try Integration.program("ovs-vsctl"),
        ["--db=\(h2.db)", "--bare", "--columns=external_ids", "find", "Interface", "external_ids:iface-id!=\"\""],
        in: directory)
      #expect(h2Ports.components(separatedBy: "iface-id=").count - 1 >= 3, "\(h2Ports)")
      let healed = await replies.resumed(after: beforeWipe, within: .seconds(30))
      #expect(healed, "ov2's pings were not answered within 30 s of the wipe: \(watchText())\n\(diagnosis())")
      try await Task.sleep(for: .seconds(2))
      print("h2's OVS database wiped, restored by watch: \(await replies.outage(after: beforeWipe))")

      // A failover: ov1 stops on h1 and starts on h2, where `watch` follows the cluster spec. h2's
      // ovn-controller may bind the port only once its requested-chassis says h2: watch moves it,
      // and ov2's pings (from inside, on h2) are answered again.
      func replyCount() -> Int {
        console("ovsvirt-test-ov2").components(separatedBy: "bytes from 10.120.0.11").count - 1
      }
      let moveStarted = ContinuousClock.now
      let moved = try ovsvirt(["sandbox", "guest", "ovsvirt-test-ov1", "--dir", directory, "--move-to", "h2"])
      try #require(moved.status == 0, "move: \(moved.stderr)")
      let booted = ContinuousClock.now
      let before = replyCount()
      let resumed = await eventually(timeout: .seconds(30), every: .milliseconds(100)) { replyCount() > before }
      #expect(resumed, "ov2 got no reply from ov1 after it moved to h2: \(watchText())")
      print(
        "OVN failover h1 → h2: replies resumed \(ContinuousClock.now - moveStarted) after the move began, "
          + "\(ContinuousClock.now - booted) after the guest was up on h2")
      let interfaceID = try #require(ovsvirtOV1InterfaceID)
      let chassis = try CLI.runProgram(
        try Integration.program("ovn-nbctl"),
        ["--db=\(northbound)", "get", "Logical_Switch_Port", interfaceID, "options:requested-chassis"], in: directory)
      #expect(chassis.contains("h2"), "requested-chassis: \(chassis)")
      #expect(watchText().contains("corrected (Northbound)"), "\(watchText())")

      // ovn-controller stopped on h2: a guest started there does not bind, and apply (bounded by
      // --timeout) says so and why. Started again (sandbox reuses what runs, starts what is
      // missing), the port binds and apply finishes.
      let controllerPID = try #require(
        pid_t(
          (try String(contentsOfFile: directory + "/h2/ovn-controller.pid", encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)))
      _ = CLI.stop(controllerPID)  // not our child: returns at once
      #expect(await eventually(timeout: .seconds(10)) { kill(controllerPID, 0) != 0 }, "ovn-controller did not stop")
      try guest("ovsvirt-test-ov9", on: "h2", "ovsvl2", "vlan-120", "10.120.0.19/24", ping: nil)
      let unbound = try CLI.run(
        [
          "apply", spec, "--host", "h2", "--db", h2.db, "--connect", h2.connect ?? "", "--timeout", "15",
        ], in: directory)
      #expect(unbound.status == 3, "\(unbound.stdout)\n\(unbound.stderr)")
      #expect(
        unbound.stderr.contains("is not up: its tap") && unbound.stderr.contains("ovn-controller has not claimed it"),
        "\(unbound.stderr)")
      let beforeRestart = await replies.newest()
      let restarted = try ovsvirt(["sandbox", "--hosts", "h1,h2,h3", "--dir", directory, "--libvirt", "--ovn"])
      #expect(restarted.status == 0, "\(restarted.stderr)")
      let bound = try CLI.run(
        ["apply", spec, "--host", "h2", "--db", h2.db, "--connect", h2.connect ?? "", "--timeout", "30"], in: directory)
      #expect(bound.status == 0, "after the restart: \(bound.stdout)\n\(bound.stderr)")
      // Traffic of the guests already there goes on across the restart (the flows stay in Open vSwitch
      // while ovn-controller is away, and at this scale it computes its own in milliseconds); the loss
      // is reported.
      let answered = await replies.resumed(after: beforeRestart, within: .seconds(30))
      #expect(answered, "ov2's pings were not answered within 30 s of ovn-controller's restart\n\(diagnosis())")
      try await Task.sleep(for: .seconds(2))
      print("ovn-controller restarted on h2: \(await replies.outage(after: beforeRestart))")

      // h1's Open vSwitch database wiped with no watch there: one `reconcile --spec` brings the host
      // back (the spec's bridge, the chassis settings, then ot1's port on the br-int ovn-controller
      // makes from them), and ot3's pings over Geneve (h3 → h1) are answered again.
      let overlay = ReplyClock(console: directory + "/guests/ovsvirt-test-ot3.console", from: "10.200.0.11")
      let overlayClock = Task { await overlay.run() }
      defer { overlayClock.cancel() }
      let beforeH1Wipe = await overlay.newest()
      try await wipe("h1")
      let reconciled = try ovsvirt([
        "reconcile", "--spec", spec, "--host", "h1", "--db", h1.db, "--connect", h1.connect ?? "", "--timeout", "30",
      ])
      #expect(reconciled.status == 0, "\(reconciled.stdout)\n\(reconciled.stderr)")
      #expect(reconciled.stdout.contains("OVN chassis: ovn-remote="), "\(reconciled.stdout)")
      #expect(reconciled.stdout.contains("to br-int (untagged)"), "\(reconciled.stdout)")
      let overlayBack = await overlay.resumed(after: beforeH1Wipe, within: .seconds(30))
      #expect(overlayBack, "ot3's pings to h1 were not answered within 30 s of reconcile")
      try await Task.sleep(for: .seconds(2))
      print("h1's OVS database wiped, restored by one reconcile --spec: \(await overlay.outage(after: beforeH1Wipe))")
      let second = try ovsvirt([
        "reconcile", "--spec", spec, "--host", "h1", "--db", h1.db, "--connect", h1.connect ?? "",
      ])
      #expect(second.status == 0 && second.stdout.isEmpty, "a second reconcile changed something: \(second.stdout)")

      // A NIC attached to the running ot1 with the cluster spec: attach writes its logical port and
      // returns once it is up (bound by h1's ovn-controller).
      let attached = try ovsvirt([
        "attach", "ovsvirt-test-ot1", "--mac", "52:54:00:aa:00:99", "--network", "tenant", "--connect",
        h1.connect ?? "", "--spec", spec, "--host", "h1", "--timeout", "30",
      ])
      #expect(attached.status == 0, "\(attached.stdout)\n\(attached.stderr)")
      let newPort = attached.stdout.split(whereSeparator: \.isNewline).first {
        $0.hasPrefix("Northbound: + logical port")
      }
      let newPortName = try #require(newPort?.split(separator: " ").dropFirst(4).first, "\(attached.stdout)")
      let up = try CLI.runProgram(
        try Integration.program("ovn-nbctl"),
        ["--db=\(northbound)", "get", "Logical_Switch_Port", String(newPortName), "up"], in: directory)
      #expect(up.contains("true"), "the attached NIC's logical port is not up: \(up)")
    }
  }
}

/// When each ping reply from `source` appeared on a guest's console (read every 50 ms), by sequence
/// number: outages are measured on the wall clock, from the replies around an event.
actor ReplyClock {
  let console: String
  let source: String
  private var seen: [Int: ContinuousClock.Instant] = [:]

  init(console: String, from source: String) {
    self.console = console
    self.source = source
  }

  func run() async {
    while !Task.isCancelled {
      record()
      try? await Task.sleep(for: .milliseconds(50))
    }
  }

  private func record() {
    let text = (try? String(contentsOfFile: console, encoding: .utf8)) ?? ""
    let now = ContinuousClock.now
    // Console lines end in CR LF, one Character to Swift: split on any newline, not on "\n".
    for line in text.split(whereSeparator: \.isNewline) where line.contains("bytes from \(source)") {
      guard let range = line.range(of: "seq="), let seq = Int(line[range.upperBound...].prefix(while: \.isNumber))
      else { continue }
      if seen[seq] == nil { seen[seq] = now }
    }
  }

  /// The newest reply so far (read now): what an event is measured from.
  func newest() -> Int {
    record()
    return seen.keys.max() ?? -1
  }

  /// Waits (at most `within`) for a reply numbered past `seq` + 2: past the replies that may
  /// still have been on their way when the event began.
  func resumed(after seq: Int, within: Duration) async -> Bool {
    let deadline = ContinuousClock.now + within
    while ContinuousClock.now < deadline {
      record()
      if seen.keys.contains(where: { $0 > seq + 2 }) { return true }
      try? await Task.sleep(for: .milliseconds(50))
    }
    return false
  }

  /// The longest silence between consecutive replies from `seq` on, and the pings lost in it (the
  /// guest pings twice a second, so a silence of ~0.5 s loses none).
  func outage(after seq: Int) -> String {
    record()
    let replies = seen.filter { $0.key >= seq }.sorted { $0.key < $1.key }
    var worst: (lost: Int, silence: Duration)?
    for (earlier, later) in zip(replies, replies.dropFirst())
    where later.value - earlier.value > worst?.silence ?? .zero {
      worst = (later.key - earlier.key - 1, later.value - earlier.value)
    }
    guard let worst else { return "no replies around it" }
    let milliseconds =
      worst.silence.components.seconds * 1000 + worst.silence.components.attoseconds / 1_000_000_000_000_000
    return "\(worst.lost) pings lost, the longest silence \(milliseconds) ms"
  }
}
