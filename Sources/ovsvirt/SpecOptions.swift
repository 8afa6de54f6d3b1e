import ArgumentParser
import Foundation
import OVSVirt

/// Options of `plan` and `apply`.
struct SpecOptions: ParsableArguments {
  @Argument(help: "The spec file (YAML).") var spec: String
  @Option(help: "This host's name in the spec's cluster (default: the short hostname).") var host: String?
  @Flag(
    help: """
      Also remove ovsvirt-owned bridges, fake bridges, ports and libvirt networks the spec no longer names; \
      refused for a spec that names no bridges.
      """)
  var prune = false
  @Flag(
    help: """
      Remove every ovsvirt-owned bridge, fake bridge, port and libvirt network: only with a spec that says \
      `bridges: []`.
      """)
  var pruneAll = false

  /// The spec and how far --prune / --prune-all may reach in it; problems with either are refused
  /// (exit 1), each listed.
  func load() throws(CommandFailure) -> (HostSpec, PruneScope) {
    do throws(SpecError) {
      let loaded = try SpecLoader.load(path: spec, host: host)
      return (loaded, try PruneScope(prune: prune, pruneAll: pruneAll, spec: loaded))
    } catch {
      throw CommandFailure.refused(error, in: spec)
    }
  }

  /// Plans the spec on this host (`commit` false: `plan`, `apply --dry-run`) or applies it.
  func report(options: SwitchOptions, libvirt: LibvirtOptions, commit: Bool) async throws -> ApplyReport {
    let (hostSpec, prune) = try load()
    let session = SwitchSession(options: options)
    let client = try await session.connect()
    var wait: (@Sendable (Int64) async throws -> Void)?
    if commit && !options.noWait {
      wait = { @Sendable sequence in try await session.waitApplied(sequence, client: client) }
    }
    var applier = Applier(
      client: client, libvirt: libvirt.access, comment: "ovsvirt apply \(spec)", waitApplied: wait)
    applier.northboundOptions = session.clientOptions
    do {
      let plan = try await applier.plan(hostSpec, prune: prune, northbound: !commit)
      let report = commit ? try await applier.apply(plan) : ApplyReport(unapplied: plan)
      await client.close()
      return report
    } catch {
      await client.close()
      throw session.translate(error)
    }
  }
}
