import OVSDB
import VSwitch

/// The `apply` use case: `plan` works out what a spec asks of this host without changing anything
/// (the OVS half as operations from one snapshot, the libvirt half as steps); `apply` commits the
/// OVS half in one guarded transaction, waits for ovs-vswitchd, then performs the libvirt steps
/// and reports what is done, what failed and what was not run.
public struct Applier: Sendable {
  public let client: ReplicaClient
  public let libvirt: LibvirtAccess
  /// Waits until ovs-vswitchd has applied configuration `sequence`; nil: the commit does not wait
  /// (--no-wait), and no sequence is requested.
  public var waitApplied: (@Sendable (_ sequence: Int64) async throws -> Void)?
  /// Said in the database's log with the transaction (ovsdb-tool show-log).
  public var comment: String
  /// How the OVN Northbound database is reached (an `engine: ovn` cluster): the same bounds as the
  /// switch's client.
  public var northboundOptions = ReplicaClient.Options()

  public init(
    client: ReplicaClient, libvirt: LibvirtAccess, comment: String,
    waitApplied: (@Sendable (_ sequence: Int64) async throws -> Void)?
  ) {
    self.client = client
    self.libvirt = libvirt
    self.comment = comment
    self.waitApplied = waitApplied
  }

  /// What applying `spec` would change. libvirt is asked only when the spec names networks or
  /// attachments, or prune may remove networks an earlier apply defined.
  /// - Throws: `CommandFailure`: refused when the spec does not fit this switch, failed when libvirt
  ///   or the database cannot be read; nothing has changed either way.
  /// `northbound`: also plan an OVN cluster's Northbound half (a connection to the central
  /// database and a read of libvirt), for showing it; `apply` plans that half anew in its own
  /// transaction, so a plan made only to be applied leaves it out.
  public func plan(_ spec: HostSpec, prune: PruneScope, northbound: Bool = true) async throws -> ApplyPlan {
    guard let replica = await client.replica else { throw CommandFailure.failed("no replica") }
    let state = SwitchState(replica.snapshot)
    // Networks earlier applies defined: the ones --prune may remove.
    let prunable = prune.isOn ? SwitchConverger.recordedNetworks(in: replica.snapshot) : []
    var libvirt: LibvirtConverger?
    var steps: [LibvirtConverger.Step] = []
    var problems: [String] = []
    var kept: Set<String> = []
    if !spec.networks.isEmpty || !spec.attachments.isEmpty || !prunable.isEmpty {
      let converger = try LibvirtConverger(self.libvirt)
      do {
        (steps, problems, kept) = try converger.plan(spec, prune: prunable)
      } catch let failure as CommandFailure {
        throw failure
      } catch {
        throw CommandFailure.failed("libvirt: \(error); nothing changed")
      }
      libvirt = converger
    }
    let switchConverger = SwitchConverger(prune: prune, keptNetworks: kept)
    let switchPlan: SwitchConvergence
    do throws(SpecError) {
      switchPlan = try switchConverger.plan(spec, state: state)
    } catch {
      throw Self.unfit(error)
    }
    let planned =
      northbound
      ? try await NorthboundSync.run(
        spec, libvirt: self.libvirt, prune: prune.isOn, commit: false, options: northboundOptions) : nil
    return ApplyPlan(
      spec: spec, switchPlan: switchPlan, state: state, switchConverger: switchConverger, libvirt: libvirt,
      libvirtSteps: steps, problems: problems + (planned?.problems ?? []), northbound: planned)
  }

  /// Carries `plan` out: OVS in one guarded transaction (planned again only if the switch changed
  /// since), then the libvirt steps in order, stopping at the first failure.
  /// - Throws: `CommandFailure` (refused) when the switch changed so that the spec no longer fits
  ///   it; the database's own errors (unreachable, timed out) as they come. A failed libvirt step
  ///   is not thrown: the report says what is done and what is not.
  public func apply(_ plan: ApplyPlan) async throws -> ApplyReport {
    var (changes, operations) = try await commitSwitch(plan)
    // A mesh tunnel gone from an RSTP bridge: the spanning tree needs a nudge once OVS applied it;
    // a mesh's RSTP turned off: its tunnels are reopened, or broadcasts stop crossing them.
    let (nudge, reopen) = SwitchConverger.meshFollowUps(plan.spec, state: plan.state)
    if operations > 0 {
      let followed = try await SwitchConverger.followUp(nudge: nudge, reopen: reopen, on: client)
      changes += followed
      operations += followed.count
    }
    // Userspace tunnels: the peers learn this host (and it them) now, not from a VM's first frame.
    let announced = plan.spec.tunnelPeers.map { TunnelPeerAnnouncer.announce(local: $0.local, peers: $0.peers) }
    let outcome = plan.libvirt.map { $0.run(plan.libvirtSteps) }
    // OVN: the logical switches, and ports for the VMs running here (after libvirt has the networks);
    // then the wait for those ports, until --timeout (60 s bounds it only where no deadline is set).
    let northbound =
      plan.spec.ovn == nil
      ? nil
      : try await NorthboundSync.run(
        plan.spec, libvirt: libvirt, prune: plan.switchConverger.prune.isOn, commit: true, options: northboundOptions,
        bindWithin: waitApplied == nil ? nil : .seconds(60), localSwitch: client)
    var report = ApplyReport(plan: plan, applied: true, ovs: changes, operations: operations, libvirt: outcome)
    report.tunnelPeers = announced
    report.northbound = northbound
    return report
  }

  /// Commits the OVS half and waits for ovs-vswitchd: the changes made and the write operations.
  func commitSwitch(_ plan: ApplyPlan) async throws -> (changes: [PlannedChange], operations: Int) {
    let (spec, converger, comment, wait) = (plan.spec, plan.switchConverger, comment, waitApplied != nil)
    let ((changes, count, sequence), _) = try await client.transaction { txn -> ([PlannedChange], Int, Int64?) in
      var changes = plan.ovs
      if !plan.switchPlan.add(to: &txn) {
        do throws(SpecError) {
          changes = try converger.plan(spec, in: &txn)
        } catch {
          throw Self.unfit(error)
        }
      }
      let count = txn.operations.count
      if count > 0 { txn.add(.comment("\(comment): \(changes.count) changes")) }
      return (changes, count, count > 0 && wait ? ConfigSequence.request(in: &txn) : nil)
    }
    if let sequence, let waitApplied { try await waitApplied(sequence) }
    return (changes, count)
  }

  /// A spec that does not fit this switch: each problem with its line, nothing changed.
  static func unfit(_ error: SpecError) -> CommandFailure {
    CommandFailure(
      .refused, "the spec does not fit this switch; nothing changed", details: error.problems.map(\.description))
  }
}
