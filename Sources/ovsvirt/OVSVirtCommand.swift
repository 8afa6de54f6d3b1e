import ArgumentParser
import Foundation
import OVSVirt

struct OVSVirtCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ovsvirt",
    abstract: "Wire libvirt/KVM virtual machines into Open vSwitch.",
    discussion: """
      Exit status: 0 done or nothing to do; 1 usage or validation error (nothing changed);
      2 conflict or unreachable; 3 partially applied across OVSDB and libvirt.

      The common options may also come before the command, as ovs-vsctl and virsh users write them:
      --db, --connect (or -c), --timeout, --templates, --json, --dry-run, --no-wait.
        ovsvirt --db unix:/run/openvswitch/db.sock show
        ovsvirt -c qemu:///system net list
      """,
    version: OVSVirtVersion.string,
    subcommands: [
      ShowCommand.self, BridgeCommand.self, PortCommand.self, TunnelCommand.self, NetCommand.self, AttachCommand.self,
      DetachCommand.self, DomainCommand.self, PlanCommand.self, ApplyCommand.self, ReconcileCommand.self,
      WatchCommand.self, CheckCommand.self,
      SandboxCommand.self,
    ]
  )
}

enum OVSVirtVersion {
  static let string = "0.1.0-dev"
}

/// Entry point: argument-parser's own exit code for bad usage is 64 (EX_USAGE); ovsvirt promises 1,
/// so that scripts can tell "you asked wrongly, nothing changed" from "could not reach / conflict".
@main
enum Main {
  static func main() async {
    _ = CommandClock.started
    // Answered before the argument parser, whose first parse costs milliseconds of runtime type
    // lookups (reflecting every option of the command tree) that printing a constant does not need.
    if CommandLine.arguments.dropFirst().elementsEqual(["--version"]) {
      print(OVSVirtVersion.string)
      return
    }
    do {
      let arguments = LeadingOptions.reorder(Array(CommandLine.arguments.dropFirst()), root: OVSVirtCommand.self)
      if getenv("OVSVIRT_QUICK_PARSE_CHECK") != nil {
        let (quick, full) = QuickParse.check(arguments)
        print("quick: \(quick)\nfull: \(full)")
        return
      }
      // The commands admins run in loops, when their line is plain; argument-parser otherwise.
      if let quick = QuickParse.command(arguments) {
        try await quick.runQuick()
        return
      }
      var command = try OVSVirtCommand.parseAsRoot(arguments)
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch let failure as CommandFailure {
      exit(ExitStatus.report(failure))
    } catch {
      let code = OVSVirtCommand.exitCode(for: error)
      if code == .validationFailure {
        FileHandle.standardError.write(Data((OVSVirtCommand.fullMessage(for: error) + "\n").utf8))
        exit(1)
      }
      OVSVirtCommand.exit(withError: error)
    }
  }
}
