import Foundation
import OVSDB
import Testing
import TestSupport

/// `ovsvirt show` prints what `ovs-vsctl show` prints: the database's uuid line, bridges, ports,
/// interfaces with their errors, and ovs_version.
@Suite(.blockingWork) struct ShowParityTests {
  /// show and the lists read over a blocking connection with monitor_cond_since; a server without
  /// it is read the ordinary way (ReplicaClient, which falls back to monitor_cond), same output.
  @Test func aServerWithoutMonitorCondSinceIsReadTheOrdinaryWay() async throws {
    let dir = try TemporaryDirectory.make("shw")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let server = try await ScriptedServer(socketPath: dir + "/db.sock", script: try BlockingReadFixtures.oldServer())
    let show = try CLI.run(["show", "--db", "unix:" + server.path, "--timeout", "5"], in: dir)
    #expect(show.status == 0, "\(show.stderr)")
    #expect(show.stdout.contains("    Bridge br0\n"), "\(show.stdout)")
    let list = try CLI.run(["bridge", "list", "--db", "unix:" + server.path, "--timeout", "5"], in: dir)
    #expect(list.status == 0 && list.stdout == "br0\n", "\(list.stdout) \(list.stderr)")
    let methods = server.received.compactMap { $0["method"]?.stringValue }
    #expect(methods.filter { $0 == "monitor_cond_since" }.count >= 2, "\(methods)")
    #expect(methods.contains("monitor_cond"), "\(methods)")
    await server.close()
  }

  @Test func sameTextAsOVSVsctlShow() async throws {
    let vsctl = try Integration.program("ovs-vsctl")
    let db = try await PrivateOVSDB.start(vswitchd: true)
    defer { db.stop() }
    let dir = db.sandbox.directory
    for step in [
      ["bridge", "add", "br0", "--datapath-type", "netdev"],
      ["bridge", "add", "br140", "--parent", "br0", "--vlan", "140"],
      ["port", "add", "br0", "mgmt0", "--access", "120", "--internal"],
      ["port", "add", "br0", "uplink", "--trunk", "120,130"],
      ["port", "add", "br0", "p-native", "--native", "110", "--vlan-mode", "native-untagged", "--trunk", "110,120"],
      ["tunnel", "add", "br0", "vx-peer", "--type", "vxlan", "--remote-ip", "10.43.11.12", "--key", "5000"],
    ] {
      let done = try CLI.run(step + ["--db", db.remote], in: dir)
      try #require(done.status == 0, "\(step): \(done.stderr)")
    }
    // A port on a device that does not exist: ovs-vswitchd records why in Interface.error.
    _ = try CLI.runProgram(vsctl, ["--db=\(db.remote)", "add-port", "br0", "nosuchdev0"], in: dir)
    // What Debian's ovs-ctl records at start (ovs-vswitchd itself does not).
    _ = try CLI.runProgram(
      vsctl, ["--db=\(db.remote)", "--no-wait", "set", "Open_vSwitch", ".", "ovs_version=3.1.0"], in: dir)
    let oracle = try CLI.runProgram(vsctl, ["--db=\(db.remote)", "show"], in: dir)
    let ours = try CLI.run(["show", "--db", db.remote], in: dir)
    #expect(ours.status == 0, "\(ours.stderr)")
    #expect(oracle.contains("error: "), "the oracle shows no interface error:\n\(oracle)")
    // ovsvirt lists ports by name (ovs-vsctl in the order of their row UUIDs) and adds vlan_mode
    // and fake_bridge lines: compared with those two differences taken out.
    let extra = ["vlan_mode: ", "fake_bridge: "]
    let mine = Self.normalized(
      ours.stdout.split(separator: "\n").map(String.init).filter { line in
        !extra.contains { line.trimmingCharacters(in: .whitespaces).hasPrefix($0) }
      })
    #expect(
      mine == Self.normalized(oracle.split(separator: "\n").map(String.init)),
      "ovsvirt show:\n\(ours.stdout)\novs-vsctl show:\n\(oracle)")
    #expect(ours.stdout.contains("ovs_version: \""))
    #expect(ours.stdout.contains("vlan_mode: native-untagged"))
  }

  /// Lines, with each Port block (a "Port" line and the deeper lines under it) as one sorted entry.
  static func normalized(_ lines: [String]) -> [String] {
    var head: [String] = []
    var blocks: [String] = []
    var tail: [String] = []
    for line in lines {
      let depth = line.prefix { $0 == " " }.count
      if depth == 8, line.dropFirst(8).hasPrefix("Port ") {
        blocks.append(line)
      } else if depth > 8, !blocks.isEmpty {
        blocks[blocks.count - 1] += "\n" + line
      } else if blocks.isEmpty {
        head.append(line)
      } else {
        tail.append(line)
      }
    }
    return head + blocks.sorted() + tail
  }
}
