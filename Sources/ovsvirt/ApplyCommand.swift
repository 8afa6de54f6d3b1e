import ArgumentParser
import Foundation
import OVSVirt

struct PlanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan", abstract: "Show what `apply SPEC` would change in OVS and libvirt; change nothing.",
    discussion: """
      Reads the spec and this host's OVS database and libvirt, and lists every change: + add,
      ~ change, - remove. --json for scripts. Exit 1 when the spec has problems (each with
      file:line and the fix). --prune / --prune-all list exactly what they would remove.
      """)
  @OptionGroup var spec: SpecOptions
  @OptionGroup var options: SwitchOptions
  @OptionGroup var libvirt: LibvirtOptions

  func run() async throws {
    let report = try await spec.report(options: options, libvirt: libvirt, commit: false)
    ApplyOutput(specPath: spec.spec, json: options.json).print(report)
    for problem in report.plan.problems { FileHandle.standardError.write(Data("ovsvirt: \(problem)\n".utf8)) }
  }
}

struct ApplyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply", abstract: "Make this host match SPEC: OVS in one transaction, then libvirt.",
    discussion: """
      OVS bridges, fake bridges, ports, bonds and tunnels (the cluster mesh included) are created or \
      corrected in one guarded OVSDB transaction; then libvirt networks are defined, started and \
      autostarted, and VM NICs attached. A second apply makes zero writes. Objects ovsvirt did not \
      create are adopted, never removed.

      --prune removes ovsvirt-owned objects the spec no longer names: never a VM port, and never a \
      bridge or fake bridge that holds a VM port or a port ovsvirt did not create (reported, exit 1). \
      A spec that names no bridges (an empty file, only comments) is refused with --prune: removing \
      every ovsvirt bridge takes `bridges: []` in the file and --prune-all.

      Exit 1: the spec has problems, nothing changed. Exit 3: OVS is applied but a libvirt step failed \
      or a domain is missing; the message lists what is done and what is not, and running apply again \
      completes it.
      """)
  @OptionGroup var spec: SpecOptions
  @OptionGroup var options: SwitchOptions
  @OptionGroup var libvirt: LibvirtOptions

  func run() async throws {
    let report = try await spec.report(options: options, libvirt: libvirt, commit: !options.dryRun)
    ApplyOutput(specPath: spec.spec, json: options.json).print(report)
    let unfinished = report.unfinished
    guard !unfinished.isEmpty else { return }
    let ovs =
      report.operations == 0
      ? "OVS already matched the spec" : "OVS is applied (\(report.operations) operations committed)"
    let done = report.libvirt?.done.count ?? 0
    throw CommandFailure(
      .partial,
      """
      \(ovs); libvirt: \(done) step\(done == 1 ? "" : "s") done, \(unfinished.count) problem\(unfinished.count == 1 ? "" : "s"):
      \(unfinished.map { "  \($0)" }.joined(separator: "\n"))
      ovsvirt: fix the cause, then run `ovsvirt apply \(spec.spec)` again: it only does what is still missing.
      """)
  }
}
