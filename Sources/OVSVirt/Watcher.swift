#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif
import Libvirt
import Logging
import NIOConcurrencyHelpers
import OVSDB
import VSwitch

/// The self-healing loop. It keeps two things apart:
///
/// - what VM ports should be, learnt from libvirt (on every domain event, on reconnect, and every
///   `interval`) on ovsvirt's own libvirt threads, and kept as the last known state;
/// - healing OVS from that known state (and the spec) on every OVSDB change, at once.
///
/// So drift is corrected within milliseconds even while libvirtd is slow, frozen or restarting.
/// Before a known VM port is put back, libvirt is asked about that one domain for at most
/// `confirmWithin`: a change libvirt itself just made (a live retag) is then taken up instead of
/// undone, and when libvirt does not answer in time the known state is used. A port whose tap is
/// gone from the kernel is not re-added: its VM is stopping (libvirt removes the port first, and
/// says so only afterwards). Where taps cannot be looked for (watch in another network namespace)
/// such a port may be put back all the same; it is removed again once libvirt says its VM no longer
/// runs (`putBack`). Both connections come back by themselves: OVSDB through ReplicaClient, libvirt
/// by reopening with backoff.
public actor Watcher {
  public struct Options: Sendable {
    public var ovsdb: String
    public var libvirtURI: String
    /// Full reconcile at least this often, even with no event.
    public var interval: Duration = .seconds(30)
    /// How long a heal waits for libvirt to confirm a drifted VM port before using the known state.
    public var confirmWithin: Duration = .milliseconds(100)
    /// Only these domains (empty: every running domain).
    public var domains: [String] = []
    /// The host's OVS spec, restored before VM ports on every run (e.g. after ovsdb-server came
    /// back with an empty database); nil: VM ports only. `use(spec:)` replaces it while running.
    public var spec: HostSpec?
    /// Where tap devices are looked for (a port whose tap is gone is not re-added).
    public var netClassDirectory = "/sys/class/net"
    /// Key and certificates for an ssl: `ovsdb` remote.
    public var tls: TLSFiles?

    public init(ovsdb: String, libvirtURI: String) {
      self.ovsdb = ovsdb
      self.libvirtURI = libvirtURI
    }
  }

  let options: Options
  /// Corrections, problems and reconnects, with the object concerned as metadata.
  let logger: Logger
  /// Counters, histograms and connection state for the metrics endpoint.
  public nonisolated let metrics: WatchMetrics
  /// When the first heal asked for since the last one started was asked: where drift-to-corrected
  /// time starts (the OVSDB change or libvirt event that showed the drift reached watch then).
  private nonisolated let healAskedAt = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
  /// When drift that heals have not yet managed to correct (a failed transaction) was first seen.
  private var driftSince: ContinuousClock.Instant?
  private var heal: AsyncStream<Void>.Continuation?
  private var refresh: AsyncStream<Void>.Continuation?
  /// The spec in force: `options.spec` until replaced.
  private var spec: HostSpec?
  /// The last known desired state of every followed VM port, by tap.
  private var known: [String: DesiredPort] = [:]
  /// VM ports this watch added (not retagged) from what it knew, by tap. libvirt removes a VM's port
  /// when the VM stops and says so only afterwards: a port put back in between (libvirt did not
  /// confirm in time, and the tap could not be looked for) would stay behind for good. Once a full
  /// read of libvirt says the port's VM no longer holds it, it is removed again.
  private var putBack: [String: DesiredPort] = [:]
  /// Put-back ports a full read found unwanted, for the next heal to remove.
  private var unwanted: [DesiredPort] = []
  /// Reads of libvirt's domains (full refreshes and one-domain confirmations), in order.
  private let reads = LibvirtExecutor(name: "ovsvirt-libvirt")
  /// The event subscription and its liveness probe, apart from the reads: a read stuck in a frozen
  /// libvirtd must not look like a dead connection, nor a probe wait behind a read.
  private let events = LibvirtExecutor(name: "ovsvirt-libvirt-events")
  /// When each read not yet answered was asked (a read libvirt sits on makes confirming pointless).
  private var pendingReads: [Int: ContinuousClock.Instant] = [:]
  private var nextRead = 0
  /// The connection reads go through, kept between reads and reopened after a failure.
  private let connection = NIOLockedValueBox<Connection?>(nil)
  /// An OVN cluster's Northbound sync: one at a time, and one more when asked meanwhile.
  var northbound = NorthboundFollow()

  /// `metrics` defaults to swift-metrics' bootstrapped backend (the daemon bootstraps it first).
  public init(options: Options, logger: Logger, metrics: WatchMetrics? = nil) {
    self.options = options
    self.logger = logger
    self.metrics = metrics ?? WatchMetrics()
    spec = options.spec
  }

  /// Restores `spec` from the next heal on (which starts now) instead of the one in force: a
  /// reloaded spec file. What the old spec had and the new one lacks is left in place (as
  /// `apply` without `--prune` does).
  public func use(spec: HostSpec) {
    self.spec = spec
    askHeal()
  }

  /// Asks for a heal, noting when (the start of drift-to-corrected time) unless one is pending.
  nonisolated func askHeal(_ heal: AsyncStream<Void>.Continuation) {
    healAskedAt.withLockedValue { asked in if asked == nil { asked = .now } }
    heal.yield()
  }

  private func askHeal() {
    if let heal { askHeal(heal) }
  }

  nonisolated func log(_ message: String, _ level: Logger.Level = .info, _ metadata: Logger.Metadata = [:]) {
    logger.log(level: level, "\(message)", metadata: metadata)
  }

  /// Runs until the task is cancelled.
  public func run() async throws {
    // A heal asked for while one runs is done once right after it: the first change of a burst is
    // acted on at once, the rest of the burst by one more heal.
    let (heals, heal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    let (refreshes, refresh) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    self.heal = heal
    self.refresh = refresh
    var clientOptions = ReplicaClient.Options()
    clientOptions.probeInterval = .seconds(2)
    clientOptions.backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
    clientOptions.tls = options.tls
    let client = ReplicaClient(remote: options.ovsdb, tables: SwitchTables.monitored, options: clientOptions)
    let replica: Replica
    do {
      replica = try await startWithRetry(client)
    } catch {
      await client.close()
      throw error
    }
    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        for await _ in replica.changes() { self.askHeal(heal) }
      }
      group.addTask { await self.followLibvirt(refresh) }
      group.addTask {
        while !Task.isCancelled {
          try? await Task.sleep(for: self.options.interval)
          refresh.yield()
        }
      }
      group.addTask {
        refresh.yield()
        for await _ in refreshes {
          if Task.isCancelled { break }
          await self.refreshKnown()
        }
      }
      group.addTask {
        self.askHeal(heal)
        for await _ in heals {
          if Task.isCancelled { break }
          await self.healOnce(client)
        }
      }
      await group.next()
      group.cancelAll()
    }
    reads.shutdown()
    events.shutdown()
    await client.close()
  }

  func startWithRetry(_ client: ReplicaClient) async throws -> Replica {
    var attempt = 0
    while true {
      do {
        return try await client.start()
      } catch {
        log("ovsdb unreachable; retrying", .warning, ["ovsdb": "\(options.ovsdb)", "error": "\(error)"])
        try await Task.sleep(for: Backoff(initial: .milliseconds(200), maximum: .seconds(5)).delay(attempt: attempt))
        attempt += 1
      }
    }
  }

  /// Subscribes to domain events; when libvirtd goes away, reopens with backoff. Every event and
  /// every (re)connection asks for a refresh of the known state.
  nonisolated func followLibvirt(_ refresh: AsyncStream<Void>.Continuation) async {
    var attempt = 0
    let uri = options.libvirtURI
    while !Task.isCancelled {
      do {
        let (connection, stream) = try await events.run { () throws -> (Connection, AsyncStream<DomainEvent>) in
          let connection = try Connection(uri: uri)
          return (connection, try connection.domainEvents())
        }
        attempt = 0
        log("libvirt: subscribed to domain events", .info, ["libvirt": "\(uri)"])
        metrics.setConnected(libvirt: true)
        refresh.yield()
        // The stream never ends by itself when libvirtd dies; a liveness probe does.
        await withTaskGroup(of: Void.self) { group in
          group.addTask {
            for await _ in stream { refresh.yield() }
          }
          group.addTask {
            while !Task.isCancelled {
              try? await Task.sleep(for: .seconds(2))
              // A round trip to the daemon (the driver name would be answered locally), on the
              // events thread: a frozen libvirtd holds that thread, not a pool thread.
              let alive =
                (try? await self.events.run { connection.isAlive() && (try? connection.libraryVersion()) != nil })
              if alive != true { return }
            }
          }
          await group.next()
          group.cancelAll()
        }
        metrics.setConnected(libvirt: false)
        log("libvirt: connection lost; reconnecting", .warning, ["libvirt": "\(uri)"])
      } catch {
        if attempt == 0 {
          log("libvirt unreachable; retrying", .warning, ["libvirt": "\(uri)", "error": "\(error)"])
        }
      }
      try? await Task.sleep(for: Backoff(initial: .milliseconds(200), maximum: .seconds(5)).delay(attempt: attempt))
      attempt += 1
    }
  }

  /// Reads every followed VM's NICs from libvirt into the known state, then heals from it.
  func refreshKnown() async {
    do {
      let ports: [DesiredPort]
      do {
        ports = try await readDesired(only: nil)
      } catch {
        // The connection reads keep may be to a libvirtd that has just restarted ("client socket is
        // closed"): once more, on a new one, rather than wait for the next event or interval.
        ports = try await readDesired(only: nil)
      }
      known = Dictionary(ports.map { ($0.tap, $0) }, uniquingKeysWith: { _, last in last })
      for (tap, port) in putBack where known[tap]?.domain != port.domain {
        unwanted.append(port)
        putBack[tap] = nil
      }
      metrics.setKnownState(ports: known.count, vms: knownVMs, at: .now)
      askHeal()
      if let spec, spec.ovn != nil { followNorthbound(spec) }
    } catch {
      log("libvirt read failed; healing from the state known before", .error, ["error": "\(error)"])
    }
  }

  /// The put-back ports found unwanted, handed to one heal.
  func takeUnwanted() -> [DesiredPort] {
    defer { unwanted = [] }
    return unwanted
  }

  /// Ports whose removal failed, for the next heal.
  func restoreUnwanted(_ ports: [DesiredPort]) {
    unwanted += ports
  }

  /// How many VMs the known ports belong to.
  private var knownVMs: Int { Set(known.values.map(\.domain)).count }

  /// The desired ports of the followed running domains (or of `only`), read on the libvirt thread.
  private func readDesired(only: [String]?) async throws -> [DesiredPort] {
    let (uri, filter, holder) = (options.libvirtURI, only ?? options.domains, connection)
    let read = nextRead
    nextRead += 1
    pendingReads[read] = .now
    defer { pendingReads[read] = nil }
    return try await reads.run {
      do {
        let libvirt = try holder.withLockedValue { held in
          if let held { return held }
          let opened = try Connection(uri: uri)
          held = opened
          return opened
        }
        if filter.isEmpty { return try DesiredPort.fromLibvirt(libvirt) }
        // A named domain that is not running, or not there any more, has nothing to reconcile. Asked
        // one by one (not by listing every domain): a heal's confirmation reads one or two.
        return try filter.flatMap { name -> [DesiredPort] in
          do {
            return try DesiredPort.fromLibvirt(libvirt, only: name)
          } catch let error as LibvirtError where error.isNoDomain {
            return []
          }
        }
      } catch {
        holder.withLockedValue { $0 = nil }
        throw error
      }
    }
  }

  /// Heals OVS from the spec and the known VM ports, against the replica as it is now.
  func healOnce(_ client: ReplicaClient) async {
    metrics.setConnected(ovsdb: await client.isConnected)
    let started = ContinuousClock.now
    let asked = healAskedAt.withLockedValue { asked in
      defer { asked = nil }
      return asked
    }
    var corrections: [CorrectionKind] = []
    var problems: [WatchProblemKind] = []
    // One switch view per wake-up for both plans (each checks it is still current).
    guard let state = await client.replica.map({ SwitchState($0.snapshot) }) else {
      // No replica yet: the heal that follows it still measures drift from this ask.
      healAskedAt.withLockedValue { pending in if pending == nil { pending = asked } }
      return
    }
    if let spec {
      do {
        corrections += try await healSpec(spec, state: state, client: client)
      } catch {
        problems.append(.spec)
        log("spec could not be applied", .error, ["spec": "\(spec.file)", "error": "\(error)"])
      }
    }
    corrections += await removeUnwanted(client, state: state, problems: &problems)
    let drifted = await confirmedDrift(in: state)
    if !drifted.isEmpty || SwitchPlanner.hasOrphanedQoS(in: state) {
      do {
        let outcome = try await Reconciler.reconcile(drifted, client: client, prepared: state)
        for port in drifted where state.ports[port.tap] == nil { putBack[port.tap] = port }
        corrections += outcome.actions.map { CorrectionKind(action: $0) }
        problems += outcome.problems.map { WatchProblemKind(reconcilerProblem: $0) }
        for action in outcome.actions { log("corrected: \(action)", .notice, ["ports": "\(known.count)"]) }
        for problem in outcome.problems { log("problem: \(problem)", .error) }
      } catch {
        problems.append(.reconcile)
        log("reconcile failed", .error, ["error": "\(error)"])
      }
    }
    let finished = ContinuousClock.now
    // Drift began when the change that showed it reached watch, or at an earlier heal that failed
    // to correct it; it lasts until a heal commits and nothing failed.
    let driftStart = driftSince ?? asked ?? started
    let failed = problems.contains(.spec) || problems.contains(.reconcile)
    driftSince = failed ? driftStart : nil
    metrics.recordHeal(
      took: finished - started, corrections: corrections, problems: problems,
      driftLasted: corrections.isEmpty ? nil : finished - driftStart)
  }

  /// The known VM ports OVS no longer holds as they should be, each as libvirt now says if it
  /// answers within `confirmWithin`, else as last known. Ports of taps gone from the kernel are left
  /// out (their VM is stopping; libvirt's event follows and refreshes the known state).
  private func confirmedDrift(in state: SwitchState) async -> [DesiredPort] {
    var drifted = known.values.filter { !$0.plug.isHeld(in: state) }
    // Only where this process sees the switch's devices (the bridge's own port is a device where
    // ovs-vswitchd runs): from another network namespace (a container) it sees no tap, and a
    // deleted port is then put back on libvirt's word alone.
    let missing = drifted.filter { state.ports[$0.tap] == nil }
    let tapsVisible = missing.contains { tapExists($0.bridge) }
    if tapsVisible { drifted.removeAll { state.ports[$0.tap] == nil && !tapExists($0.tap) } }
    guard !drifted.isEmpty else { return [] }
    // libvirt already sits on a read for longer than a confirmation may take: do not queue behind it.
    if let oldest = pendingReads.values.min(), ContinuousClock.now - oldest > options.confirmWithin {
      return drifted
    }
    let domains = Array(Set(drifted.map(\.domain))).sorted()
    // A read libvirt does not answer in time goes on on its thread; its answer is then dropped.
    guard let fresh = await firstOf(within: options.confirmWithin, { try await self.readDesired(only: domains) }) else {
      return drifted
    }
    // libvirt answered: its word replaces what was known for those domains.
    for domain in domains { known = known.filter { $0.value.domain != domain } }
    for port in fresh { known[port.tap] = port }
    metrics.setKnownState(ports: known.count, vms: knownVMs, at: nil)
    return fresh.filter {
      !$0.plug.isHeld(in: state) && (!tapsVisible || state.ports[$0.tap] != nil || tapExists($0.tap))
    }
  }

  /// `body`'s answer if it comes within `limit`, else nil (a failure is nil too).
  private func firstOf<T: Sendable>(within limit: Duration, _ body: @escaping @Sendable () async throws -> T) async
    -> T?
  {
    await withCheckedContinuation { (answer: CheckedContinuation<T?, Never>) in
      let answered = NIOLockedValueBox(false)
      let finish: @Sendable (T?) -> Void = { value in
        if answered.withLockedValue({ done in
          defer { done = true }
          return !done
        }) {
          answer.resume(returning: value)
        }
      }
      Task { finish(try? await body()) }
      Task {
        try? await Task.sleep(for: limit)
        finish(nil)
      }
    }
  }

  nonisolated func tapExists(_ tap: String) -> Bool {
    FileManager.default.fileExists(atPath: options.netClassDirectory + "/" + tap)
  }
}
