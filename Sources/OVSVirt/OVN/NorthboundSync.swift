import OVSDB

/// The Northbound half of `apply` for an `engine: ovn` cluster: this host's running VM NICs (read
/// from libvirt on ovsvirt's own thread) and the spec's networks, planned against the Northbound
/// database in one guarded transaction — or only planned, for `plan` and `--dry-run`.
public enum NorthboundSync {
  public struct Outcome: Sendable {
    public var changes: [String] = []
    public var problems: [String] = []
    /// Write operations sent (or, not committed, that would be).
    public var operations = 0
    /// How long the Northbound transaction took, planning and any rerun included, from its start to
    /// the server's reply (nil: nothing committed).
    public var transactionTime: Duration?
    /// How long apply then waited for this host's ports to come up (nil: no wait).
    public var bindingWait: Duration?
  }

  private static let libvirtThread = LibvirtExecutor(name: "ovsvirt-ovn-libvirt")

  /// nil when the spec is not an OVN cluster. `bindWithin`: after committing, wait until every
  /// logical port of this host's VMs is up (bound by its chassis, flows installed), until the
  /// options' deadline (--timeout), or for `bindWithin` where none is set; the ones that are not are
  /// named as problems, with why as far as this host's switch (`localSwitch`) tells.
  public static func run(
    _ spec: HostSpec, libvirt: LibvirtAccess, prune: Bool, commit: Bool, options: ReplicaClient.Options,
    bindWithin: Duration? = nil, localSwitch: ReplicaClient? = nil
  ) async throws -> Outcome? {
    guard let ovn = spec.ovn else { return nil }
    guard !ovn.northbound.isEmpty else {
      return Outcome(problems: ["no `northbound:` in the cluster's ovn: the logical switches were not written"])
    }
    let vmPorts: [NorthboundConverger.VMPort]
    if spec.logicalNetworks.isEmpty {
      vmPorts = []
    } else {
      do {
        vmPorts = try await libvirtThread.run { try NorthboundConverger.VMPort.running(try libvirt.open()) }
      } catch {
        throw CommandFailure.classify(error, subject: "libvirt")
      }
    }
    // Every server of a clustered Northbound database, its leader only (as ovn-nbctl).
    let remote = ovn.northbound.joined(separator: ",")
    var options = options
    options.database = "OVN_Northbound"
    options.leaderOnly = true
    options.tls = ovn.tls
    let client = ReplicaClient(remote: remote, tables: NorthboundConverger.tables, options: options)
    let converger = NorthboundConverger(networks: spec.logicalNetworks, host: ovn.hostname, prune: prune)
    do {
      _ = try await client.start()
      var outcome = Outcome()
      if commit {
        let started = ContinuousClock.now
        let (planned, _) = try await client.transaction { txn -> ([String], [String], Int) in
          let (changes, problems) = converger.plan(vmPorts, in: &txn)
          let count = txn.operations.count
          if count > 0 { txn.add(.comment("ovsvirt apply on \(ovn.hostname)")) }
          return (changes, problems, count)
        }
        (outcome.changes, outcome.problems, outcome.operations) = planned
        outcome.transactionTime = ContinuousClock.now - started
        if let bindWithin {
          let waited = ContinuousClock.now
          let placed = vmPorts.filter {
            spec.logicalNetworks.logicalSwitch(network: $0.network, portgroup: $0.portgroup) != nil
          }
          outcome.problems += await unbound(
            placed, client: client, within: bindWithin, deadline: options.deadline, localSwitch: localSwitch)
          outcome.bindingWait = ContinuousClock.now - waited
        }
      } else if let replica = await client.replica {
        var txn = TransactionBuilder(snapshot: replica.snapshot)
        (outcome.changes, outcome.problems) = converger.plan(vmPorts, in: &txn)
        outcome.operations = txn.operations.count
      }
      await client.close()
      return outcome
    } catch {
      await client.close()
      throw CommandFailure.failed("OVN Northbound \(remote): \(error)")
    }
  }

  /// Waits until each of `ports` is `up` in the Northbound database, until the options' deadline
  /// (--timeout; `within` only bounds a wait that has none); returns the problems of the ports that
  /// are not (`Unbound`).
  static func unbound(
    _ ports: [NorthboundConverger.VMPort], client: ReplicaClient, within: Duration,
    deadline: ContinuousClock.Instant?, localSwitch: ReplicaClient?
  ) async -> [String] {
    guard !ports.isEmpty, let replica = await client.replica else { return [] }
    let names = Set(ports.map(\.interfaceID))
    func down(_ snapshot: ReplicaSnapshot) -> Set<String> {
      var pending = names
      for (_, row) in snapshot.rows("Logical_Switch_Port") {
        guard let name = row["name"]?.scalar?.stringValue, row["up"]?.scalar == .boolean(true) else { continue }
        pending.remove(name)
      }
      return pending
    }
    let downAtStart = down(replica.snapshot).count
    _ = await replica.wait(until: deadline ?? .now + within) { down($0).isEmpty }
    let pending = down(replica.snapshot)
    guard !pending.isEmpty else { return [] }
    let local = await localSwitch?.replica?.snapshot
    let unbound = Unbound(
      ports: ports.filter { pending.contains($0.interfaceID) }, of: ports.count,
      cameUp: max(0, downAtStart - pending.count))
    return unbound.problems { why($0, local: local) }
  }

  /// What this host's switch says about a port that did not bind.
  static func why(_ port: NorthboundConverger.VMPort, local: ReplicaSnapshot?) -> String {
    guard let local else { return "ovn-controller has not claimed it" }
    let interface = local.rows("Interface").first { _, row in
      row["external_ids"]?.stringMap["iface-id"] == port.interfaceID
    }
    guard let (uuid, row) = interface else {
      return "no interface here has iface-id \(port.interfaceID) (is the VM's NIC plugged into br-int?)"
    }
    let name = row["name"]?.scalar?.stringValue ?? "?"
    let bridge = local.rows("Port").first { _, port in port["interfaces"]?.keys.contains(.uuid(uuid)) == true }
      .flatMap { portUUID, _ in
        local.rows("Bridge").first { _, bridge in bridge["ports"]?.keys.contains(.uuid(portUUID)) == true }?.1["name"]?
          .scalar?.stringValue
      }
    if bridge != "br-int" {
      return "its tap \(name) is on \(bridge ?? "no bridge"), not br-int (the libvirt network must be on br-int)"
    }
    if let error = row["error"]?.scalar?.stringValue { return "its tap \(name): \(error)" }
    if row["external_ids"]?.stringMap["ovn-installed"] == "true" {
      return "ovn-controller here has claimed its tap \(name) and installed its flows; it is not marked up yet"
    }
    return
      "its tap \(name) is on br-int, but ovn-controller has not claimed it (is this host a chassis? does the port's requested-chassis name it?)"
  }
}
