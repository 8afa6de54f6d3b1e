import Libvirt
import OVSDB
import VSwitch

/// `ovsvirt reconcile` as one use case: libvirt's running VMs read on ovsvirt's own thread while the
/// OVSDB connection is made and the switch indexed, then one `Reconciler` transaction. The same
/// `Reconciler` serves `watch` and the same mapping `domain ports`.
public final class ReconcileRun: Sendable {
  public struct Result: Sendable {
    public var outcome: Reconciler.Outcome
    /// VM NIC ports considered.
    public var ports: Int
  }

  /// libvirt's calls block: they run here, never on Swift's cooperative pool, whose threads (two on
  /// a 2-core host) decode the OVSDB connection meanwhile.
  private let libvirtThread = LibvirtExecutor(name: "ovsvirt-reconcile-libvirt")

  public init() {}

  /// `connect` makes the OVSDB client (with the command's timeouts). `spec`: a host spec whose
  /// switch part (bridges, ports, root-row marks such as an OVN chassis' settings) is converged
  /// first, in its own transaction, as `watch --spec` does: after a wiped database the chassis
  /// settings come back before the VM ports, and an OVN host's VM ports wait (until `deadline`) for
  /// the br-int that ovn-controller makes once it has them.
  ///
  /// `connectDirect`: a bare connection (no monitor) for one domain's reconcile without a spec,
  /// which then reads only the rows of the switch that domain's ports touch (`SwitchSlice`) and
  /// commits the same transaction the full read would; when it cannot connect, the slice cannot
  /// decide (see `Reconciler.reconcile(_:slice:)`), or the connection drops on the way, the whole
  /// switch is read as without it.
  public func run(
    _ libvirt: LibvirtAccess, only domain: String?, dryRun: Bool, spec: HostSpec? = nil,
    deadline: ContinuousClock.Instant? = nil,
    connect: @escaping @Sendable () async throws -> ReplicaClient,
    connectDirect: (@Sendable () async throws -> OVSDBClient)? = nil
  ) async throws -> Result {
    RPCConnection.startEventLoops()
    if domain != nil, spec == nil, let connectDirect {
      // The connection is made while libvirt is asked; nothing is read before the taps are known.
      let direct = Task { try? await connectDirect() }
      let desired = try await desiredPorts(libvirt, only: domain)
      if let client = await direct.value {
        let outcome: Reconciler.Outcome?
        do {
          outcome = try await Reconciler.reconcile(
            desired,
            slice: { operations in
              try await client.transact("Open_vSwitch", operations, timeout: Self.remaining(until: deadline))
            }, dryRun: dryRun)
        } catch OVSDBError.connectionClosed {
          // Dropped during the slice's reads or its commit (a server restart, a failover): the full
          // path connects again, as it would have at the start. Reconciling is idempotent, so a
          // commit that did land is found done there, not repeated.
          outcome = nil
        } catch {
          await client.close()
          throw error
        }
        await client.close()
        if let outcome { return Result(outcome: outcome, ports: desired.count) }
      }
      return try await reconcileAll(desired, dryRun: dryRun, client: try await Self.indexed(connect))
    }
    // Reading the switch needs nothing from libvirt, and libvirt (loading the library, opening the
    // connection, one XML per domain) is most of a reconcile: both run at once, from the start of
    // the library's load on, once the OVSDB connection's threads exist.
    let switchClient = Task { try await Self.indexed(connect) }
    let desired = try await desiredPorts(libvirt, only: domain)
    return try await reconcileAll(
      desired, dryRun: dryRun, spec: spec, deadline: deadline, client: try await switchClient.value)
  }

  /// The client `connect` makes, with its replica indexed for planning (done while libvirt works).
  private static func indexed(
    _ connect: @Sendable () async throws -> ReplicaClient
  ) async throws -> (ReplicaClient, SwitchState?) {
    let client = try await connect()
    return (client, await client.replica.map { SwitchState($0.snapshot) })
  }

  /// The OVS ports libvirt's running domains (or `domain`) want, read on libvirt's own thread.
  private func desiredPorts(_ libvirt: LibvirtAccess, only domain: String?) async throws -> [DesiredPort] {
    let executor = libvirtThread
    do {
      return try await executor.run {
        let connection = try libvirt.open()
        let ports = try DesiredPort.fromLibvirt(connection, only: domain)
        // The connection is closed after the answer, off the critical path (the test driver
        // frees every domain then: ~2 ms for 250); `finish()` waits for it.
        executor.submit { withExtendedLifetime(connection) {} }
        return ports
      }
    } catch {
      // A libvirt failure is the one reported; the OVSDB connection, if made, ends with the process.
      throw CommandFailure.classify(error, subject: domain.map { "domain '\($0)'" })
    }
  }

  /// The spec's switch part (if any), then `desired` planned on the whole switch and committed.
  private func reconcileAll(
    _ desired: [DesiredPort], dryRun: Bool, spec: HostSpec? = nil, deadline: ContinuousClock.Instant? = nil,
    client indexed: (ReplicaClient, SwitchState?)
  ) async throws -> Result {
    let (client, prepared) = indexed
    do {
      var specChanges: [String] = []
      if let spec {
        specChanges = try await Self.converge(spec, client: client, prepared: prepared, dryRun: dryRun)
        if spec.ovn != nil, !dryRun, let deadline {
          await Self.waitForBridges(of: desired, known: prepared, client: client, until: deadline)
        }
      }
      var outcome = try await Reconciler.reconcile(desired, client: client, prepared: prepared, dryRun: dryRun)
      outcome.actions = specChanges + outcome.actions
      await client.close()
      return Result(outcome: outcome, ports: desired.count)
    } catch {
      await client.close()
      throw error
    }
  }

  /// What is left until `deadline` for one request (at least a millisecond: an expired deadline
  /// then times that request out); 30 s without one.
  static func remaining(until deadline: ContinuousClock.Instant?) -> Duration {
    guard let deadline else { return .seconds(30) }
    return max(deadline - ContinuousClock.now, .milliseconds(1))
  }

  /// The spec's switch part, committed (or, for a dry run, only planned): what changed.
  static func converge(
    _ spec: HostSpec, client: ReplicaClient, prepared: SwitchState?, dryRun: Bool
  ) async throws -> [String] {
    let converger = SwitchConverger()
    if dryRun {
      guard let replica = await client.replica else { throw OVSDBError.connectionClosed(method: nil) }
      return try converger.plan(spec, state: SwitchState(replica.snapshot, prepared: prepared)).changes.map {
        "\($0)"
      }
    }
    let (changes, _) = try await client.transaction { txn in try converger.plan(spec, prepared: prepared, in: &txn) }
    return changes.map { "\($0)" }
  }

  /// Waits (until `deadline`, woken by each update) for the bridges the VM ports go on: on an OVN
  /// host, br-int is ovn-controller's to make, and after a wipe it does so only once the chassis
  /// settings are back. A bridge still missing then is reported by the reconcile, as always.
  static func waitForBridges(
    of desired: [DesiredPort], known: SwitchState?, client: ReplicaClient, until deadline: ContinuousClock.Instant
  ) async {
    let bridges = Set(desired.map(\.bridge))
    // The usual case: the switch view already made has them all (the spec adds bridges, never
    // removes any), and no second index of the switch is built.
    if let known, bridges.allSatisfy({ known.bridges[$0] != nil }) { return }
    guard !bridges.isEmpty, let replica = await client.replica else { return }
    _ = await replica.wait(until: deadline) { snapshot in
      let state = SwitchState(snapshot)
      return bridges.allSatisfy { state.bridges[$0] != nil }
    }
  }

  /// Returns once libvirt's work (closing the connection) is done: before the process exits.
  public func finish() async {
    _ = try? await libvirtThread.run {}
  }
}
