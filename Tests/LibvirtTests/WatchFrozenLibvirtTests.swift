import Foundation
import Testing
import TestSupport

/// The self-healing daemon heals exactly when libvirt is unhealthy: with libvirtd frozen (SIGSTOP),
/// a hand retag of a spec port and of a running VM's port are each undone within a second, twice in
/// a row, from the state watch already knows; after SIGCONT it goes on as before.
@Suite(.blockingWork) struct WatchFrozenLibvirtTests {
  @Test func healsWhileLibvirtdIsFrozen() async throws {
    let env = try await VMEnvironment.require("watchfz", exclusive: true)
    defer { env.cleanUp() }
    let root = try Integration.environment("OVSVIRT_TEST_RUNDIR")
    let libvirtd = try #require(
      Int32(
        (try String(contentsOfFile: root + "/libvirtd.pid", encoding: .utf8)).trimmingCharacters(
          in: .whitespacesAndNewlines)))
    let (uri, db, dir) = (env.uri, env.db, env.directory)
    let host = SpecHostWithVM(short: "fz", long: "fz")
    let common = ["--db", db, "--connect", uri]
    defer {
      kill(libvirtd, SIGCONT)
      host.remove(from: env)
    }
    let (spec, tap) = try host.create(env, mac: "52:54:00:fe:00:01")
    let (vm, mgmt) = (host.vm, host.managementPort)

    let log = dir + "/watch.log"
    let watcher = try CLI.start(
      ["watch", "--spec", spec, "--domain", vm, "--interval", "2", "--metrics", "off"] + common, log: log)
    defer { _ = CLI.stop(watcher, signal: SIGKILL) }
    func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    #expect(await eventually { logText().contains("subscribed") })
    // watch knows the VM's port once it has read libvirt once: a retag now is undone.
    _ = try env.vsctl("set", "Port", tap, "tag=999")
    #expect(await eventually { (try? env.vsctl("get", "Port", tap, "tag")) == "120" }, "\(logText())")

    #expect(kill(libvirtd, SIGSTOP) == 0)
    try await Task.sleep(for: .seconds(1))
    for round in 1...2 {
      for (port, wanted) in [(mgmt, "77"), (tap, "120")] {
        _ = try env.vsctl("set", "Port", port, "tag=\(900 + round)")
        let started = ContinuousClock.now
        let healed = await eventually(timeout: .seconds(1), every: .milliseconds(10)) {
          (try? env.vsctl("get", "Port", port, "tag")) == wanted
        }
        #expect(healed, "round \(round): \(port) not healed within 1 s while libvirtd is frozen:\n\(logText())")
        if healed { print("round \(round): \(port) healed in \(ContinuousClock.now - started) with libvirtd frozen") }
      }
    }

    #expect(kill(libvirtd, SIGCONT) == 0)
    // It goes on: libvirt answers again, and drift is still corrected.
    _ = try env.vsctl("set", "Port", tap, "tag=998")
    #expect(await eventually { (try? env.vsctl("get", "Port", tap, "tag")) == "120" }, "\(logText())")
    _ = try env.vsctl("del-port", mgmt)
    #expect(await eventually { (try? env.vsctl("get", "Port", mgmt, "tag")) == "77" }, "\(logText())")
    #expect(kill(watcher, 0) == 0, "the daemon died")
    #expect(CLI.stop(watcher) == 0)
  }
}
