import Foundation
import Testing
import TestSupport

/// `ovsvirt watch` corrects drift by itself: a VM port deleted or retagged by hand comes back as
/// libvirt says, with no other command; SIGTERM stops it cleanly.
@Suite(.blockingWork) struct WatchTests {
  @Test func correctsDeletedAndRetaggedPorts() async throws {
    let env = try await VMEnvironment.require("watch")
    defer { env.cleanUp() }
    let (uri, db, virsh, vsctl, dir) = (env.uri, env.db, env.virsh, env.vsctl, env.directory)
    let id = getpid() % 100000
    let (vm, net) = ("ovsvirt-test-w-\(id)", "ovsvirt-test-wvl-\(id)")
    let common = ["--db", db]
    let libvirt = ["--connect", uri]
    let oracle = env.oracle
    defer {
      _ = try? oracle(virsh, ["-c", uri, "destroy", vm])
      _ = try? CLI.run(["net", "del", net, "--if-exists"] + libvirt, in: dir)
      _ = try? CLI.run(["bridge", "del", "wbr0", "--if-exists"] + common, in: dir)
    }
    for step in [
      ["bridge", "add", "wbr0", "--datapath-type", "netdev"] + common,
      [
        "net", "define", net, "--bridge", "wbr0", "--portgroup", "vlan-120=120", "--portgroup", "trunk=120,130",
        "--start",
      ]
        + common + libvirt,
    ] {
      let result = try CLI.run(step, in: dir)
      try #require(result.status == 0, "\(step): \(result.stderr)")
    }
    try env.virsh(
      "create",
      xml: VMEnvironment.tinyVM(
        vm,
        interfaces: ["vlan-120", "trunk"].enumerated().map { index, portgroup in
          "<interface type='network'><mac address='52:54:00:ed:00:0\(index + 1)'/>"
            + "<source network='\(net)' portgroup='\(portgroup)'/><model type='e1000'/></interface>"
        }))
    let nics = try VirtXMLFacade.interfaces(try oracle(virsh, ["-c", uri, "dumpxml", vm]))
    let (tap1, tap2) = (try #require(nics[0].target), try #require(nics[1].target))

    let log = dir + "/watch.log"
    let watcher = try CLI.start(
      ["watch", "--domain", vm, "--interval", "5", "--metrics", "127.0.0.1:0"] + common + libvirt, log: log)
    var stopped = false
    defer { if !stopped { _ = CLI.stop(watcher, signal: SIGKILL) } }
    #expect(await eventually { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("subscribed") })

    _ = try oracle(vsctl, ["--db=\(db)", "del-port", tap1])
    #expect(
      await eventually { (try? oracle(vsctl, ["--db=\(db)", "get", "Port", tap1, "tag"])) == "120" },
      "deleted port not restored")
    _ = try oracle(vsctl, ["--db=\(db)", "set", "Port", tap2, "trunks=999"])
    #expect(
      await eventually { (try? oracle(vsctl, ["--db=\(db)", "get", "Port", tap2, "trunks"])) == "[120, 130]" },
      "retag not undone")
    _ = try oracle(vsctl, ["--db=\(db)", "set", "Port", tap1, "tag=999"])
    #expect(await eventually { (try? oracle(vsctl, ["--db=\(db)", "get", "Port", tap1, "tag"])) == "120" })

    // Prometheus metrics on the loopback port it chose.
    let logText = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    let port = try #require(
      logText.components(separatedBy: "metrics on http://127.0.0.1:").dropFirst().first?.split(separator: "/").first)
    let curl = try Integration.program("curl")
    let exposition = try oracle(curl, ["-sf", "http://127.0.0.1:\(port)/metrics"])
    // Corrections are counted by kind: `ovsvirt_watch_corrections_total{kind="added"} 1`.
    func corrections(_ kind: String) -> Double {
      let prefix = "ovsvirt_watch_corrections_total{kind=\"\(kind)\"} "
      return exposition.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap {
        Double($0.dropFirst(prefix.count))
      }
        ?? 0
    }
    #expect(corrections("added") >= 1, "\(exposition)")
    #expect(corrections("retagged") >= 2, "\(exposition)")
    #expect(exposition.contains("ovsvirt_watch_libvirt_connected 1"))
    #expect(exposition.contains("ovsvirt_watch_ovsdb_connected 1"))
    #expect(exposition.contains("ovsvirt_watch_known_vms 1"), "\(exposition)")
    #expect(exposition.contains("# TYPE ovsvirt_watch_reconcile_seconds histogram"))
    #expect(exposition.contains("# TYPE ovsvirt_watch_drift_corrected_seconds histogram"))
    #expect(
      try oracle(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/other"]) == "404")

    let status = CLI.stop(watcher)
    stopped = true
    #expect(status == 0)
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    #expect(text.contains("corrected: add port \(tap1)"), "\(text)")
    #expect(text.contains("stopping"))
  }
}

/// The daemon across restarts: ovsdb-server and ovs-vswitchd coming back with an empty database
/// (the spec's bridges and the VM port return, no command run), and libvirtd killed and started
/// again (the daemon keeps running, resubscribes, and still corrects drift).
@Suite(.blockingWork) struct WatchRestartTests {
  @Test func survivesAnEmptyDatabaseAndALibvirtdRestart() async throws {
    let env = try await VMEnvironment.require("watchr", exclusive: true)
    defer { env.cleanUp() }
    let daemons = try Integration.environment("OVSVIRT_TEST_DAEMONS")
    let ovsDir = try Integration.environment("OVSVIRT_TEST_OVS_DIR")
    let root = try Integration.environment("OVSVIRT_TEST_RUNDIR")
    let (uri, db, dir) = (env.uri, env.db, env.directory)
    let common = ["--db", db, "--connect", uri]
    let host = SpecHostWithVM(short: "wr", long: "wr")
    defer { host.remove(from: env) }
    let (spec, tap) = try host.create(env, mac: "52:54:00:ee:00:01")
    let (vm, mgmt) = (host.vm, host.managementPort)

    let log = dir + "/watch.log"
    let watcher = try CLI.start(
      ["watch", "--spec", spec, "--domain", vm, "--interval", "3", "--metrics", "off"] + common, log: log)
    defer { _ = CLI.stop(watcher, signal: SIGKILL) }
    func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    #expect(await eventually { logText().contains("subscribed") })

    _ = try env.oracle(daemons, ["ovs-restart-empty", ovsDir])
    #expect(
      await eventually(timeout: .seconds(60)) { (try? env.vsctl("get", "Port", tap, "tag")) == "120" },
      "VM port not restored after the empty database: \(logText())")
    #expect(try env.vsctl("get", "Port", mgmt, "tag") == "77")
    #expect(try env.vsctl("get", "Interface", mgmt, "type") == "internal")

    _ = try env.oracle(daemons, ["libvirtd-restart", root])
    #expect(
      await eventually(timeout: .seconds(60)) { logText().components(separatedBy: "subscribed").count >= 3 },
      "no resubscription: \(logText())")
    #expect(kill(watcher, 0) == 0, "the daemon died with libvirtd")
    _ = try env.vsctl("set", "Port", tap, "tag=999")
    #expect(await eventually(timeout: .seconds(60)) { (try? env.vsctl("get", "Port", tap, "tag")) == "120" })
    #expect(CLI.stop(watcher) == 0)
  }
}

/// SIGHUP (what `systemctl reload` sends) makes the daemon read its spec again: what the new file
/// adds or changes is kept from then on; a file with problems is reported with file:line and the
/// spec in force stays (still restored); without --spec the signal is logged and ignored.
@Suite(.blockingWork) struct WatchReloadTests {
  @Test func reloadsTheSpecOnSIGHUPAndKeepsTheOldOneWhenTheNewHasProblems() async throws {
    let env = try await VMEnvironment.require("watchhup")
    defer { env.cleanUp() }
    let id = getpid() % 100000
    let (bridge, first, second) = ("hupbr\(id)", "hupa\(id)", "hupb\(id)")
    defer { env.remove(bridges: [bridge]) }
    func spec(_ ports: String) -> String {
      """
      bridges:
        - name: \(bridge)
          datapath_type: netdev
          ports: [\(ports)]
      """
    }
    let path = try env.spec(spec("{name: \(first), type: internal, access: 77}"))
    let log = env.directory + "/watch-hup.log"
    // A domain that does not exist: this daemon keeps the spec only, not other tests' VMs.
    let watcher = try CLI.start(
      ["watch", "--spec", path, "--domain", "ovsvirt-test-none-\(id)", "--interval", "2", "--metrics", "off"]
        + ["--db", env.db, "--connect", env.uri], log: log)
    defer { _ = CLI.stop(watcher, signal: SIGKILL) }
    func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    #expect(await eventually { (try? env.vsctl("get", "Port", first, "tag")) == "77" }, "\(logText())")

    _ = try env.spec(
      spec("{name: \(first), type: internal, access: 78}, {name: \(second), type: internal, access: 88}"))
    kill(watcher, SIGHUP)
    #expect(
      await eventually {
        (try? env.vsctl("get", "Port", first, "tag")) == "78" && (try? env.vsctl("get", "Port", second, "tag")) == "88"
      }, "new spec not in force: \(logText())")
    #expect(logText().contains("reloaded \(path)"))

    // VLAN 5000 on line 4 (the ports line): reported, and the spec loaded before still holds.
    _ = try env.spec(spec("{name: \(first), type: internal, access: 5000}"))
    kill(watcher, SIGHUP)
    #expect(await eventually { logText().contains("the spec loaded before stays in force") }, "\(logText())")
    #expect(logText().contains("\(path):4:"), "\(logText())")
    _ = try env.vsctl("set", "Port", second, "tag=999")
    #expect(
      await eventually { (try? env.vsctl("get", "Port", second, "tag")) == "88" }, "old spec not restored: \(logText())"
    )
    #expect(try env.vsctl("get", "Port", first, "tag") == "78")
    #expect(kill(watcher, 0) == 0)
    #expect(CLI.stop(watcher) == 0)
  }

  @Test func ignoresSIGHUPWithoutASpec() async throws {
    let env = try await VMEnvironment.require("watchhup0")
    defer { env.cleanUp() }
    let log = env.directory + "/watch-nospec.log"
    let watcher = try CLI.start(
      ["watch", "--domain", "ovsvirt-test-none-\(getpid())", "--metrics", "off", "--db", env.db, "--connect", env.uri],
      log: log)
    defer { _ = CLI.stop(watcher, signal: SIGKILL) }
    func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    #expect(await eventually { logText().contains("subscribed") }, "\(logText())")
    kill(watcher, SIGHUP)
    #expect(await eventually { logText().contains("no --spec to reload") }, "\(logText())")
    #expect(kill(watcher, 0) == 0)
    #expect(CLI.stop(watcher) == 0)
  }
}
