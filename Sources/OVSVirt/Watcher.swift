import Foundation
import Libvirt
import Logging
import OVSDB
import VSwitch

/// The self-healing loop: holds an OVSDB replica and a libvirt event subscription, and runs
/// reconcile whenever either says something changed (and on a timer, as a safety net). Both
/// connections come back by themselves: OVSDB through ReplicaClient, libvirt by reopening with
/// backoff.
public actor Watcher {
  public struct Options: Sendable {
    public var ovsdb: String
    public var libvirtURI: String
    /// Full reconcile at least this often, even with no event.
    public var interval: Duration = .seconds(30)
    /// Changes arriving within this window are handled by one reconcile.
    public var settle: Duration = .milliseconds(200)
    /// Only these domains (empty: every running domain).
    public var domains: [String] = []
    /// The host's OVS spec, restored before VM ports on every run (e.g. after ovsdb-server came
    /// back with an empty database); nil: VM ports only. `use(spec:)` replaces it while running.
    public var spec: HostSpec?

    public init(ovsdb: String, libvirtURI: String) {
      self.ovsdb = ovsdb
      self.libvirtURI = libvirtURI
    }
  }

  let options: Options
  /// Corrections, problems and reconnects, with the object concerned as metadata.
  let logger: Logger
  /// Counters and connection state for the metrics endpoint.
  public nonisolated let metrics = WatchMetrics()
  private var wake: AsyncStream<Void>.Continuation?
  /// The libvirt connection reconcile reads domains through, kept between runs and reopened after a failure.
  private var libvirt: Connection?
  /// The spec in force: `options.spec` until replaced.
  private var spec: HostSpec?

  public init(options: Options, logger: Logger) {
    self.options = options
    self.logger = logger
    spec = options.spec
  }

  /// Restores `spec` from the next run on (which starts now) instead of the one in force: a
  /// reloaded spec file. What the old spec had and the new one lacks is left in place (as
  /// `apply` without `--prune` does).
  public func use(spec: HostSpec) {
    self.spec = spec
    wake?.yield()
  }

  nonisolated func log(_ message: String, _ level: Logger.Level = .info, _ metadata: Logger.Metadata = [:]) {
    logger.log(level: level, "\(message)", metadata: metadata)
  }

  /// Runs until the task is cancelled.
  public func run() async throws {
    let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    self.wake = wake
    var clientOptions = ReplicaClient.Options()
    clientOptions.probeInterval = .seconds(2)
    clientOptions.backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2))
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
        for await _ in replica.changes() { wake.yield() }
      }
      group.addTask { await self.followLibvirt(wake) }
      group.addTask {
        while !Task.isCancelled {
          try? await Task.sleep(for: self.options.interval)
          wake.yield()
        }
      }
      group.addTask {
        wake.yield()
        for await _ in wakeups {
          if Task.isCancelled { break }
          try? await Task.sleep(for: self.options.settle)
          await self.reconcileOnce(client)
        }
      }
      await group.next()
      group.cancelAll()
    }
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

  /// Subscribes to domain events; when libvirtd goes away, reopens with backoff and reconciles.
  nonisolated func followLibvirt(_ wake: AsyncStream<Void>.Continuation) async {
    var attempt = 0
    while !Task.isCancelled {
      do {
        let connection = try Connection(uri: options.libvirtURI)
        let events = try connection.domainEvents()
        attempt = 0
        log("libvirt: subscribed to domain events", .info, ["libvirt": "\(options.libvirtURI)"])
        metrics.setConnected(libvirt: true)
        wake.yield()
        // The stream never ends by itself when libvirtd dies; a liveness probe does.
        await withTaskGroup(of: Void.self) { group in
          group.addTask {
            for await _ in events { wake.yield() }
          }
          group.addTask {
            while !Task.isCancelled {
              try? await Task.sleep(for: .seconds(2))
              // A round trip to the daemon: the driver name would be answered locally.
              if !connection.isAlive() || (try? connection.libraryVersion()) == nil { return }
            }
          }
          await group.next()
          group.cancelAll()
        }
        metrics.setConnected(libvirt: false)
        log("libvirt: connection lost; reconnecting", .warning, ["libvirt": "\(options.libvirtURI)"])
      } catch {
        if attempt == 0 {
          log("libvirt unreachable; retrying", .warning, ["libvirt": "\(options.libvirtURI)", "error": "\(error)"])
        }
      }
      try? await Task.sleep(for: Backoff(initial: .milliseconds(200), maximum: .seconds(5)).delay(attempt: attempt))
      attempt += 1
    }
  }

  func reconcileOnce(_ client: ReplicaClient) async {
    metrics.setConnected(ovsdb: await client.isConnected)
    let started = ContinuousClock.now
    var specCorrections = 0
    // One switch view per wake-up for both plans (each checks it is still current).
    let state = await client.replica.map { SwitchState($0.snapshot) }
    if let spec {
      do {
        let converger = SwitchConverger()
        let (changes, _) = try await client.transaction { txn in try converger.plan(spec, prepared: state, in: &txn) }
        specCorrections = changes.count
        for change in changes { log("corrected: \(change)", .notice, ["spec": "\(spec.file)"]) }
      } catch {
        metrics.recordReconcile(seconds: 0, corrections: 0, problems: 1)
        log("spec could not be applied", .error, ["spec": "\(spec.file)", "error": "\(error)"])
      }
    }
    do {
      let connection = try libvirt ?? Connection(uri: options.libvirtURI)
      libvirt = connection
      let desired: [DesiredPort]
      if options.domains.isEmpty {
        desired = try DesiredPort.fromLibvirt(connection)
      } else {
        // A listed domain that is not running has nothing to reconcile.
        let running = Set(try connection.domains(activeOnly: true).map(\.name))
        desired = try options.domains.filter(running.contains).flatMap {
          try DesiredPort.fromLibvirt(connection, only: $0)
        }
      }
      let outcome = try await Reconciler.reconcile(desired, client: client, prepared: state)
      let elapsed = ContinuousClock.now - started
      metrics.recordReconcile(
        seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
        corrections: outcome.actions.count + specCorrections, problems: outcome.problems.count)
      for action in outcome.actions { log("corrected: \(action)", .notice, ["ports": "\(desired.count)"]) }
      for problem in outcome.problems { log("problem: \(problem)", .error) }
    } catch {
      libvirt = nil
      log("reconcile failed", .error, ["error": "\(error)"])
    }
  }
}
