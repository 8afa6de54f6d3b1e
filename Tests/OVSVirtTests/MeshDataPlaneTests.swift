import Foundation
import OVSDB
import OVSVirt
import Testing
import TestSupport

/// Three simulated hosts on one VXLAN cluster spec, with real packets: a full mesh (RSTP, roles
/// pinned) carries every pair and does not loop a broadcast; a host leaving (the root, whose tunnel
/// is the others' root port), the host joining again, mesh → star → mesh: after each `apply` the
/// remaining pairs reach each other again, within a time measured and printed; then mesh → star once
/// more by `watch` reloading the spec (SIGHUP).
extension DataPlaneTests {
  @Suite(.serialized) struct MeshDataPlaneTests {
    static func spec(_ hosts: [String], star: Bool = false, underlay: [String: String]) -> String {
      """
      bridges:
        - name: ovsbr0
          datapath_type: netdev
      cluster:
        bridge: ovsbr0
        type: vxlan
      \(star ? "  topology: star\n  hub: h1\n" : "")  hosts:
      \(hosts.map { "    - {name: \($0), ip: \(underlay[$0] ?? "")}" }.joined(separator: "\n"))
      """
    }

    @Test func meshLeaveJoinStarAndBack() async throws {
      let lab = try DataPlaneTests.TwoHostDataPlaneTests.start(["h1", "h2", "h3"])
      var stopped = false
      defer { if !stopped { _ = try? CLI.run(["sandbox", "--dir", lab.directory, "--stop"], in: lab.directory) } }
      let underlay = lab.hosts.mapValues(\.underlay)
      let file = lab.directory + "/cluster.yaml"
      func apply(_ hosts: [String], on: [String], star: Bool = false) throws {
        try Self.spec(hosts, star: star, underlay: underlay).write(toFile: file, atomically: true, encoding: .utf8)
        for host in on {
          let db = try #require(lab.hosts[host]?.db)
          let applied = try CLI.run(["apply", file, "--host", host, "--db", db], in: lab.directory)
          #expect(applied.status == 0, "apply on \(host): \(applied.stderr)")
        }
      }
      /// What each host's switch holds, what RSTP says, what the bridge learned, where a broadcast from
      /// the host's endpoint goes (`ofproto/trace`), the datapath's ports and the tunnels' neighbours:
      /// for a failure's message (ovs-vsctl and ovs-appctl as oracles).
      func switches(_ hosts: [String]) -> String {
        hosts.map { host in
          guard let db = lab.hosts[host]?.db else { return "\(host): not in the lab" }
          let control = directory(of: db) + "/ovs-vswitchd.ctl"
          let show = (try? CLI.runProgram(Integration.program("ovs-vsctl"), ["--db=" + db, "show"], in: lab.directory))
          let appctl = { (args: [String]) -> String in
            (try? CLI.runProgram(Integration.program("ovs-appctl"), ["-t", control] + args, in: lab.directory)) ?? "?"
          }
          let broadcast =
            "in_port=v\(host.dropFirst()),dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0806"
          return [
            "--- \(host)\n\(show ?? "?")", appctl(["rstp/show"]), appctl(["fdb/show", "ovsbr0"]),
            appctl(["ofproto/trace", "ovsbr0", broadcast]), appctl(["dpif/show"]), appctl(["tnl/neigh/show"]),
          ].joined(separator: "\n")
        }.joined(separator: "\n")
      }
      /// Whether a broadcast from `host`'s endpoint leaves through a tunnel (`ofproto/trace`): after
      /// RSTP is turned off, Open vSwitch 3.1 could leave a tunnel out of flooding while unicast, from
      /// MACs learned before, still passed (see `SwitchPlanner.reopenTunnels`).
      func floodsThroughTunnels(_ host: String) -> Bool {
        guard let db = lab.hosts[host]?.db else { return false }
        let broadcast = "in_port=v\(host.dropFirst()),dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0806"
        let trace = try? CLI.runProgram(
          Integration.program("ovs-appctl"),
          ["-t", directory(of: db) + "/ovs-vswitchd.ctl", "ofproto/trace", "ovsbr0", broadcast], in: lab.directory)
        return trace?.contains("tnl_push") == true
      }
      /// A sandbox host's directory: its daemons' pidfiles and control sockets sit next to db.sock.
      func directory(of db: String) -> String {
        URL(fileURLWithPath: db.replacingOccurrences(of: "unix:", with: "")).deletingLastPathComponent().path
      }
      /// Time until every pair of `hosts`' endpoints answers (bounded), or nil.
      func allPairsReach(_ hosts: [String], within: Duration = .seconds(60)) async -> Duration? {
        let started = ContinuousClock.now
        let pairs = hosts.flatMap { a in hosts.filter { $0 != a }.map { (a, $0) } }
        var pending = pairs
        while ContinuousClock.now - started < within {
          var still: [(String, String)] = []
          for (from, to) in pending {
            let address = "10.140.0.\(to.dropFirst())"
            if await lab.inEndpoint("v" + from.dropFirst(), ["ping", "-c", "1", "-W", "1", address]) == nil {
              still.append((from, to))
            }
          }
          pending = still
          if pending.isEmpty { return ContinuousClock.now - started }
          try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
      }

      try apply(["h1", "h2", "h3"], on: ["h1", "h2", "h3"])
      for index in 1...3 {
        let added = try CLI.run(
          [
            "sandbox", "endpoint", "v\(index)", "--dir", lab.directory, "--host", "h\(index)", "--bridge", "ovsbr0",
            "--access", "140", "--ip", "10.140.0.\(index)/24",
          ], in: lab.directory)
        try #require(added.status == 0, "\(added.stderr)")
      }
      var figures: [String] = []
      let mesh = await allPairsReach(["h1", "h2", "h3"])
      #expect(mesh != nil, "the 3-host mesh does not carry every pair")
      figures.append("mesh up: \(mesh.map { "\($0)" } ?? "never")")

      // One broadcast (an ARP request for an address nobody has) stays a handful of frames on the
      // underlay: it reaches each other host once or twice. A mesh without RSTP loops it at thousands
      // of frames a second. The frames are told apart from RSTP's BPDUs by the address asked for.
      let capture = lab.directory + "/broadcast.txt"
      let underlayNamespace = String(lab.namespaces("x").prefix { $0 != "-" }) + "-ul"
      let tcpdump = try CommandRunner.launch(
        lab.ip,
        [
          "netns", "exec", underlayNamespace, try Integration.program("tcpdump"), "-l", "-n", "-i",
          HostLab.underlayBridge, "udp", "port", "4789",
        ], stdout: capture, stderr: lab.directory + "/broadcast.err")
      try await Task.sleep(for: .milliseconds(800))
      _ = await lab.inEndpoint("v1", ["arping", "-c", "1", "-w", "1", "-I", "eth0", "10.140.0.99"])
      try await Task.sleep(for: .seconds(2))
      kill(tcpdump, SIGTERM)
      _ = CommandRunner.wait(tcpdump)
      let frames = ((try? String(contentsOfFile: capture, encoding: .utf8)) ?? "").split(separator: "\n")
        .filter { $0.contains("10.140.0.99") }.count
      #expect((1...6).contains(frames), "one broadcast became \(frames) underlay frames")
      figures.append("one broadcast: \(frames) underlay frames")

      // h1 leaves (its vswitchd stops): it is the pinned root, its tunnels the others' root ports.
      let h1 = try #require(lab.hosts["h1"])
      let pidFile = directory(of: h1.db) + "/ovs-vswitchd.pid"
      let pid = try #require(
        Int32((try String(contentsOfFile: pidFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
      kill(pid, SIGTERM)
      try apply(["h2", "h3"], on: ["h2", "h3"])
      let afterLeave = await allPairsReach(["h2", "h3"])
      #expect(afterLeave != nil, "h2 and h3 no longer reach each other after h1 left\n\(switches(["h2", "h3"]))")
      for host in ["h2", "h3"] {
        #expect(floodsThroughTunnels(host), "\(host)'s broadcasts stay home after h1 left\n\(switches(["h2", "h3"]))")
      }
      figures.append("h1 (the root) left: \(afterLeave.map { "\($0)" } ?? "never")")

      // h1 joins again.
      let restarted = try CLI.run(["sandbox", "--hosts", "h1,h2,h3", "--dir", lab.directory], in: lab.directory)
      #expect(restarted.status == 0, "\(restarted.stderr)")
      try apply(["h1", "h2", "h3"], on: ["h1", "h2", "h3"])
      let afterJoin = await allPairsReach(["h1", "h2", "h3"])
      #expect(afterJoin != nil, "not every pair reaches after h1 joined again")
      figures.append("h1 joined again: \(afterJoin.map { "\($0)" } ?? "never")")

      try apply(["h1", "h2", "h3"], on: ["h1", "h2", "h3"], star: true)
      let star = await allPairsReach(["h1", "h2", "h3"])
      #expect(star != nil, "not every pair reaches in the star\n\(switches(["h1", "h2", "h3"]))")
      for host in ["h1", "h2", "h3"] {
        #expect(
          floodsThroughTunnels(host), "\(host)'s broadcasts stay home in the star\n\(switches(["h1", "h2", "h3"]))")
      }
      figures.append("mesh → star: \(star.map { "\($0)" } ?? "never")")

      try apply(["h1", "h2", "h3"], on: ["h1", "h2", "h3"])
      let back = await allPairsReach(["h1", "h2", "h3"])
      #expect(back != nil, "not every pair reaches in the mesh again")
      figures.append("star → mesh: \(back.map { "\($0)" } ?? "never")")

      // Mesh → star again, by watch this time: each host's watch reloads the spec on SIGHUP (systemctl
      // reload) and converges its switch, then reopens the tunnels once the mesh's RSTP is off, as
      // apply does (without that, broadcasts stayed home after the reload).
      var watchers: [String: pid_t] = [:]
      defer { for pid in watchers.values { _ = CLI.stop(pid, signal: SIGKILL) } }
      func watchLog(_ host: String) -> String {
        (try? String(contentsOfFile: lab.directory + "/watch-\(host).log", encoding: .utf8)) ?? ""
      }
      for host in ["h1", "h2", "h3"] {
        let db = try #require(lab.hosts[host]?.db)
        watchers[host] = try CLI.start(
          [
            "watch", "--spec", file, "--host", host, "--db", db, "--connect", WatchPrometheusTests.noLibvirt,
            "--metrics", "off",
          ], log: lab.directory + "/watch-\(host).log")
      }
      // Running (SIGHUP is trapped before the watcher starts, see ReloadOnHangupService).
      for host in ["h1", "h2", "h3"] {
        #expect(
          await eventually(timeout: .seconds(30)) { watchLog(host).contains("libvirt unreachable") },
          "\(watchLog(host))")
      }
      try Self.spec(["h1", "h2", "h3"], star: true, underlay: underlay).write(
        toFile: file, atomically: true, encoding: .utf8)
      for pid in watchers.values { kill(pid, SIGHUP) }
      let reloaded = ContinuousClock.now
      for host in ["h1", "h2", "h3"] {
        #expect(
          await eventually(timeout: .seconds(30)) { watchLog(host).contains("reloaded \(file)") }, "\(watchLog(host))")
      }
      let byWatch = await allPairsReach(["h1", "h2", "h3"])
      #expect(byWatch != nil, "not every pair reaches in the star watch made\n\(switches(["h1", "h2", "h3"]))")
      for host in ["h1", "h2", "h3"] {
        #expect(
          await eventually(timeout: .seconds(20), every: .milliseconds(500)) { floodsThroughTunnels(host) },
          "\(host)'s broadcasts stay home in the star watch made\n\(watchLog(host))\n\(switches(["h1", "h2", "h3"]))")
      }
      figures.append("mesh → star by watch's reload: \(ContinuousClock.now - reloaded)")
      for (host, pid) in watchers {
        #expect(CLI.stop(pid, signal: SIGTERM) == 0, "watch on \(host)\n\(watchLog(host))")
      }
      watchers = [:]
      print("3-host cluster, time until every pair reaches: " + figures.joined(separator: "; "))

      let stop = try CLI.run(["sandbox", "--dir", lab.directory, "--stop"], in: lab.directory)
      stopped = true
      #expect(stop.status == 0)
    }
  }
}
