import Foundation
import OVSDB
import OVSVirt
import Testing
import TestSupport

extension DataPlaneTests {
  /// Seed 004's HA path with a real guest: two sandbox hosts each with a libvirtd of its own, the
  /// cluster spec (bridge, VXLAN, the portgroup network) applied on both, a TCG guest on VLAN 120
  /// plugged by libvirt on h1 and pinged from a VM stand-in on h1. The guest fails over to h2 (stopped
  /// on h1, started on h2 with the same MAC and interfaceid, as an HA manager does), with `watch`
  /// following h2. The peer's ping goes on across the tunnel; the outage is measured from the ping's
  /// own timestamps. Then its port on h2 is deleted by hand: watch puts it back and the ping resumes.
  @Suite(.serialized) struct FailoverDataPlaneTests {
    /// Replies of a `ping -D` run: the time of each (seconds since the epoch).
    static func replyTimes(_ output: String) -> [Double] {
      output.split(separator: "\n").compactMap { line in
        guard line.contains("bytes from"), line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
        return Double(line[line.index(after: line.startIndex)..<close])
      }
    }

    /// The longest time without a reply after `since` (the outage), and whether replies came after it.
    static func outage(_ times: [Double], since: Double) -> (gap: Double, resumed: Bool) {
      let before = times.last { $0 <= since } ?? since
      let after = times.filter { $0 > since }
      guard let first = after.first else { return (.infinity, false) }
      var gap = first - before
      for (a, b) in zip(after, after.dropFirst()) { gap = max(gap, b - a) }
      return (gap, true)
    }

    @Test func guestFailsOverToAnotherHostAndWatchKeepsItsPort() async throws {
      guard getuid() == 0 else { try Integration.unavailable("network namespaces need root") }
      let image = try Integration.environment("OVSVIRT_GUEST_IMAGE")
      for program in ["ping", "libvirtd", "qemu-system-x86_64", "virsh", "ovs-vsctl"] {
        _ = try Integration.program(program)
      }
      let ip = try Integration.program("ip")
      let vsctl = try Integration.program("ovs-vsctl")
      let lab = try SandboxLab.start(["h1", "h2"], purpose: "failover", libvirt: true)
      defer { lab.stop() }
      let directory = lab.directory
      func ovsvirt(_ arguments: [String]) throws -> CLI.Result { try lab.ovsvirt(arguments) }
      let (h1, h2) = (try lab.host("h1"), try lab.host("h2"))
      let prefix = lab.prefix

      let spec = directory + "/cluster.yaml"
      try """
      bridges:
        - name: ovsbr0
          datapath_type: netdev
      networks:
        - name: ovsvl2
          bridge: ovsbr0
          mtu: 1446
          portgroups:
            - {name: vlan-120, vlan: 120, default: true}
            - {name: vlan-130, vlan: 130}
      cluster:
        bridge: ovsbr0
        type: vxlan
        hosts:
          - {name: h1, ip: \(h1.underlay)}
          - {name: h2, ip: \(h2.underlay)}
      """.write(toFile: spec, atomically: true, encoding: .utf8)
      for (name, host) in [("h1", h1), ("h2", h2)] {
        let applied = try ovsvirt(["apply", spec, "--host", name, "--db", host.db, "--connect", host.connect ?? ""])
        try #require(applied.status == 0, "apply on \(name): \(applied.stderr)")
      }
      let peer = try ovsvirt([
        "sandbox", "endpoint", "peer", "--dir", directory, "--host", "h1", "--bridge", "ovsbr0", "--access", "120",
        "--ip", "10.120.0.1/24", "--mtu", "1446",
      ])
      try #require(peer.status == 0, "endpoint: \(peer.stderr)")
      let guestName = "ovsvirt-test-ha1"
      let booted = try ovsvirt([
        "sandbox", "guest", guestName, "--dir", directory, "--host", "h1", "--network", "ovsvl2", "--portgroup",
        "vlan-120", "--ip", "10.120.0.11/24", "--mtu", "1446", "--image", image, "--json",
      ])
      try #require(booted.status == 0, "guest: \(booted.stderr)")
      let guest = try JSONParser.parse(booted.stdout)
      let mac = try #require(guest["mac"]?.stringValue)
      let interfaceID = try #require(guest["interfaceid"]?.stringValue)
      print("guest booted on h1 in \(guest["boot_seconds"].map { "\($0)" } ?? "-") s")
      // The guest learnt the tunnel-safe MTU from libvirt (`<mtu size>` → virtio's host_mtu).
      let console = try #require(guest["console"]?.stringValue)
      let ready = try String(contentsOfFile: console, encoding: .utf8)
      #expect(ready.contains("OVSVIRT-GUEST-READY \(mac) 10.120.0.11/24 mtu 1446"), "\(ready)")

      // The port libvirt plugged on h1: VLAN 120 from the portgroup, the NIC's identity.
      func port(on db: String) throws -> (name: String, tag: String)? {
        let name = try CLI.runProgram(
          vsctl,
          ["--db=\(db)", "--bare", "--columns=name", "find", "Interface", "external_ids:iface-id=\(interfaceID)"],
          in: directory
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { return nil }
        let tag = try CLI.runProgram(vsctl, ["--db=\(db)", "get", "Port", name, "tag"], in: directory)
        return (name, tag.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      #expect(try port(on: h1.db)?.tag == "120")

      func inPeer(_ command: [String]) async -> Bool {
        (try? await CommandRunner.runOffPool(
          ip, ["netns", "exec", "\(prefix)-e-peer"] + command, outputFile: directory + "/peer-\(UUID().uuidString).out"))
          != nil
      }
      var reached = false
      for _ in 0..<30 where !reached {
        reached = await inPeer(["ping", "-c", "1", "-W", "1", "10.120.0.11"])
      }
      try #require(reached, "the peer does not reach the guest on the same host")

      // watch follows h2: the spec and every VM that runs there.
      let watchLog = directory + "/watch.log"
      let watcher = try CLI.start(
        ["watch", "--spec", spec, "--host", "h2", "--db", h2.db, "--connect", h2.connect ?? ""], log: watchLog)
      var watcherStopped = false
      defer { if !watcherStopped { _ = CLI.stop(watcher) } }
      func watchText() -> String { (try? String(contentsOfFile: watchLog, encoding: .utf8)) ?? "" }
      #expect(await eventually(timeout: .seconds(30)) { watchText().contains("subscribed") }, "\(watchText())")

      // A ping every 100 ms from the peer for the whole failover, timestamped by ping itself.
      let pingLog = directory + "/ping.log"
      let ping = try CommandRunner.launch(
        ip, ["netns", "exec", "\(prefix)-e-peer", "ping", "-D", "-n", "-i", "0.1", "-W", "1", "10.120.0.11"],
        stdout: pingLog, stderr: nil)
      var pingStopped = false
      defer { if !pingStopped { kill(ping, SIGKILL) } }
      func pingText() -> String { (try? String(contentsOfFile: pingLog, encoding: .utf8)) ?? "" }
      #expect(await eventually(timeout: .seconds(10)) { Self.replyTimes(pingText()).count >= 3 })

      // The failover.
      let moveStarted = Date().timeIntervalSince1970
      let moved = try ovsvirt(["sandbox", "guest", guestName, "--dir", directory, "--move-to", "h2", "--json"])
      try #require(moved.status == 0, "move: \(moved.stderr)")
      let guestReady = Date().timeIntervalSince1970
      let after = try JSONParser.parse(moved.stdout)
      #expect(after["mac"]?.stringValue == mac)
      #expect(after["interfaceid"]?.stringValue == interfaceID)
      #expect(try port(on: h1.db) == nil, "the guest's port stayed on h1")
      #expect(try port(on: h2.db)?.tag == "120")
      #expect(
        await eventually(timeout: .seconds(60)) {
          Self.outage(Self.replyTimes(pingText()), since: moveStarted).resumed
        },
        "the peer's ping did not resume after the failover")
      // A few more replies, so the gap measured is the outage and not the last reply's wait.
      try await Task.sleep(for: .seconds(1))
      let replies = Self.replyTimes(pingText())
      let failover = Self.outage(replies, since: moveStarted)
      let firstAfterReady = (replies.first { $0 > guestReady } ?? .infinity) - guestReady
      print(
        "failover h1 → h2: the peer's ping was out \(String(format: "%.1f", failover.gap)) s; the guest's boot on h2 "
          + "took \(after["boot_seconds"].map { "\($0)" } ?? "-") s of it, and the first reply came "
          + "\(String(format: "%.2f", max(firstAfterReady, 0))) s after the guest said it was up")

      // Across the tunnel now: a full 1446-byte packet (the MTU plan states for VXLAN over 1500) crosses.
      #expect(await inPeer(["ping", "-c", "2", "-W", "2", "-M", "do", "-s", "1418", "10.120.0.11"]))

      // On h2, the VM's port deleted by hand (an OVS wipe, a bad script): watch puts it back from
      // libvirt's word and the ping resumes.
      let portOnH2 = try #require(try port(on: h2.db))
      let deleteAt = Date().timeIntervalSince1970
      _ = try CLI.runProgram(vsctl, ["--db=\(h2.db)", "del-port", portOnH2.name], in: directory)
      #expect(
        await eventually(timeout: .seconds(10)) { (try? port(on: h2.db))?.tag == "120" },
        "watch did not restore the guest's port: \(watchText())")
      #expect(
        await eventually(timeout: .seconds(30)) { Self.outage(Self.replyTimes(pingText()), since: deleteAt).resumed },
        "the ping did not resume after watch restored the port")
      try await Task.sleep(for: .seconds(1))
      let healed = Self.outage(Self.replyTimes(pingText()), since: deleteAt)
      print("port deleted on h2, restored by watch: the peer's ping was out \(String(format: "%.2f", healed.gap)) s")

      kill(ping, SIGINT)
      _ = CommandRunner.wait(ping)
      pingStopped = true
      #expect(CLI.stop(watcher) == 0)
      watcherStopped = true
      #expect(watchText().contains("corrected"), "\(watchText())")
    }
  }
}
