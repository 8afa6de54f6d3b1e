import ArgumentParser
import Foundation
import OVSDB
import OVSVirt
import VSwitch

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
}

/// What plan and apply share: load the spec, plan libvirt (read-only), then plan or commit the OVS
/// half in one guarded transaction, then (apply) perform the libvirt steps.
struct SpecConvergence {
  let specOptions: SpecOptions
  let options: SwitchOptions
  let libvirt: LibvirtOptions

  struct Result {
    var spec: HostSpec
    var ovs: [PlannedChange] = []
    var operations = 0
    var libvirtPlanned: [PlannedChange] = []
    var libvirt: LibvirtConverger.Outcome?
    var problems: [String] = []
  }

  /// The spec and how far --prune / --prune-all may reach in it; problems with either exit 1.
  func load() throws -> (HostSpec, PruneScope) {
    do throws(SpecError) {
      let spec = try SpecLoader.load(path: specOptions.spec, host: specOptions.host)
      return (spec, try PruneScope(prune: specOptions.prune, pruneAll: specOptions.pruneAll, spec: spec))
    } catch {
      for problem in error.problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
      let count = error.problems.count
      throw SwitchSession.fail(
        "\(count) problem\(count == 1 ? "" : "s") in \(specOptions.spec); nothing changed", code: 1)
    }
  }

  func run(commit: Bool) async throws -> Result {
    let (spec, prune) = try load()
    var result = Result(spec: spec)
    var steps: [LibvirtConverger.Step] = []
    var converger: LibvirtConverger?
    let session = SwitchSession(options: options)
    let client = try await session.connect()
    // Networks earlier applies defined: the ones --prune may remove.
    let recorded = await client.replica.map { SwitchConverger.recordedNetworks(in: $0.snapshot) } ?? []
    var kept: Set<String> = []
    let prunable = prune.isOn ? recorded : []
    if !spec.networks.isEmpty || !spec.attachments.isEmpty || !prunable.isEmpty {
      do {
        let libvirtConverger = try LibvirtConverger(libvirt.access)
        (steps, result.problems, kept) = try libvirtConverger.plan(spec, prune: prunable)
        result.libvirtPlanned = steps.map(\.change)
        converger = libvirtConverger
      } catch let failure as CommandFailure {
        await client.close()
        throw SwitchSession.translate(failure)
      } catch {
        await client.close()
        throw SwitchSession.fail("libvirt: \(error); nothing changed", code: 2)
      }
    }
    let switchConverger = SwitchConverger(prune: prune, keptNetworks: kept)
    let prepared = await client.replica.map { SwitchState($0.snapshot) }
    let wait = commit && !options.noWait
    let comment = "ovsvirt apply \(specOptions.spec)"
    do {
      let ((changes, count, sequence), _) = try await client.transaction { txn -> ([PlannedChange], Int, Int64?) in
        let changes = try switchConverger.plan(spec, in: &txn)
        let count = txn.operations.count
        guard commit else {
          txn = TransactionBuilder(snapshot: txn.snapshot)
          return (changes, count, nil)
        }
        if count > 0 { txn.add(.comment("\(comment): \(changes.count) changes")) }
        return (changes, count, count > 0 && wait ? ConfigSequence.request(in: &txn) : nil)
      }
      (result.ovs, result.operations) = (changes, count)
      try await session.waitApplied(sequence, client: client)
      // A mesh tunnel gone from an RSTP bridge: the spanning tree needs a nudge once OVS applied it.
      if commit, count > 0, let before = prepared,
        case let bridges = SwitchConverger.bridgesLosingMeshTunnels(spec, state: before), !bridges.isEmpty
      {
        let (nudged, _) = try await client.transaction { txn in
          SwitchConverger.nudgeRSTP(bridges, state: SwitchState(txn.snapshot), in: &txn)
        }
        result.ovs += nudged
        result.operations += nudged.count
      }
    } catch let error as SpecError {
      await client.close()
      for problem in error.problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
      throw SwitchSession.fail("the spec does not fit this switch; nothing changed", code: 1)
    } catch {
      await client.close()
      throw session.translate(error)
    }
    await client.close()
    if commit, let converger { result.libvirt = converger.run(steps) }
    return result
  }

  func print(_ result: Result, applied: Bool) {
    if options.json {
      Swift.print(json(result, applied: applied))
      return
    }
    if !result.ovs.isEmpty {
      Swift.print("OVS (\(result.operations) operations in one transaction\(applied ? "" : ", not sent")):")
      for change in result.ovs { Swift.print("  \(change)") }
    }
    let libvirt = result.libvirt.map { $0.done + ($0.failed.map { [$0.change] } ?? []) + $0.notRun }
    if let changes = libvirt ?? (result.libvirtPlanned.isEmpty ? nil : result.libvirtPlanned), !changes.isEmpty {
      Swift.print("libvirt\(applied ? "" : " (would change)"):")
      for change in changes { Swift.print("  \(change)") }
    }
    for note in result.spec.notes { Swift.print("note: \(note)") }
    for note in result.libvirt?.notes ?? [] { Swift.print("note: \(note)") }
    if result.ovs.isEmpty && result.libvirtPlanned.isEmpty {
      FileHandle.standardError.write(
        Data("ovsvirt: nothing to do: OVS and libvirt already match \(specOptions.spec) (0 writes)\n".utf8))
    }
  }

  /// `writes`: what was actually written (0 for a plan or a dry run).
  func json(_ result: Result, applied: Bool) -> JSON {
    let strings: ([PlannedChange]) -> JSON = { .array($0.map { JSON.string($0.description) }) }
    var libvirt: [String: JSON] = ["changes": strings(result.libvirtPlanned)]
    if let outcome = result.libvirt {
      libvirt["done"] = strings(outcome.done)
      libvirt["notRun"] = strings(outcome.notRun)
      if let failed = outcome.failed {
        libvirt["failed"] = .object(["change": .string(failed.change.description), "error": .string(failed.error)])
      }
    }
    return .object([
      "ovs": .object(["operations": .int(Int64(result.operations)), "changes": strings(result.ovs)]),
      "libvirt": .object(libvirt),
      "notes": .array(result.spec.notes.map(JSON.string)),
      "problems": .array(result.problems.map(JSON.string)),
      "writes": .int(applied ? Int64(result.operations + (result.libvirt?.done.count ?? 0)) : 0),
    ])
  }
}
