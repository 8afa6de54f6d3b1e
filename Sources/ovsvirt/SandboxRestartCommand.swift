import ArgumentParser
import Foundation
import OVSDB
import OVSVirt

/// `ovsvirt sandbox restart`: one daemon of a sandbox host stopped and started again, to rehearse
/// what an HA script or `watch` must live through.
struct RestartCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restart",
    abstract: "Restart ovsdb-server, ovs-vswitchd or libvirtd of a sandbox host (optionally with an empty database).",
    discussion: """
      The daemon is stopped (SIGTERM, or SIGKILL with --crash), kept down for
      --down seconds, and started again the way the sandbox started it. Guests
      keep running through a libvirtd restart, and ovs-vswitchd through an
      ovsdb-server restart. With --empty-db ovsdb-server comes back with a
      fresh database holding only its root row, as on a newly installed host:
      every bridge, port and tunnel is gone until something (apply, reconcile,
      watch) puts it back. The sandbox's own underlay (br-phy) is put back.
        ovsvirt sandbox restart ovsdb --host h1 --empty-db
        ovsvirt sandbox restart libvirtd --host h2 --crash --down 5
      """)

  @Argument(help: "The daemon: ovsdb, vswitchd or libvirtd.") var daemon: HostLab.Daemon
  @ParentCommand var sandbox: SandboxCommand
  @Option(name: .long, help: "The sandbox host.") var host: String
  @Flag(name: .customLong("empty-db"), help: "ovsdb only: bring it back with an empty database.") var emptyDatabase =
    false
  @Flag(name: .long, help: "Stop it with SIGKILL (a crash) instead of SIGTERM.") var crash = false
  @Option(name: .long, help: "Seconds it stays stopped.") var down: Double = 0
  @Flag(name: .long, help: "Print the result as JSON.") var json = false

  func run() async throws {
    guard down.isFinite, down >= 0, down <= 3600 else {
      throw CommandFailure.refused("--down \(down): give seconds between 0 and 3600")
    }
    var request = HostLab.RestartRequest(daemon: daemon, host: host)
    request.emptyDatabase = emptyDatabase
    request.crash = crash
    request.down = .milliseconds(Int64((down * 1000).rounded()))
    let restarted: HostLab.Restarted
    do {
      restarted = try await HostLab(directory: sandbox.dir).restart(request)
    } catch let error as SandboxError {
      switch error {
      case .invalid, .notRunning: throw CommandFailure.refused("\(error)")
      default: throw CommandFailure.failed("\(error)")
      }
    } catch {
      throw CommandFailure.failed("\(error)")
    }
    // `--json` after the subcommand name may be taken as the parent's flag: either one counts.
    if json || sandbox.json {
      print(
        JSON.object([
          "host": .string(restarted.host), "program": .string(restarted.program),
          "stopped": restarted.stopped.map { .int(Int64($0)) } ?? .null, "started": .int(Int64(restarted.started)),
          "empty_db": .bool(restarted.emptyDatabase),
        ]))
    } else {
      let was = restarted.stopped.map { "pid \($0)" } ?? "not running"
      let empty = restarted.emptyDatabase ? ", empty database" : ""
      printErr("\(restarted.program) of \(restarted.host) restarted: \(was) → pid \(restarted.started)\(empty)")
    }
  }
}

extension HostLab.Daemon: ExpressibleByArgument {}
