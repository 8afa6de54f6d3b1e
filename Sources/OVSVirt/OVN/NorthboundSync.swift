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
  }

  private static let libvirtThread = LibvirtExecutor(name: "ovsvirt-ovn-libvirt")

  /// nil when the spec is not an OVN cluster.
  public static func run(
    _ spec: HostSpec, libvirt: LibvirtAccess, prune: Bool, commit: Bool, options: ReplicaClient.Options
  ) async throws -> Outcome? {
    guard let ovn = spec.ovn else { return nil }
    guard let remote = ovn.northbound.first else {
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
    var options = options
    options.database = "OVN_Northbound"
    let client = ReplicaClient(remote: remote, tables: NorthboundConverger.tables, options: options)
    let converger = NorthboundConverger(networks: spec.logicalNetworks, host: ovn.hostname, prune: prune)
    do {
      _ = try await client.start()
      var outcome = Outcome()
      if commit {
        let (planned, _) = try await client.transaction { txn -> ([String], [String], Int) in
          let (changes, problems) = converger.plan(vmPorts, in: &txn)
          let count = txn.operations.count
          if count > 0 { txn.add(.comment("ovsvirt apply on \(ovn.hostname)")) }
          return (changes, problems, count)
        }
        (outcome.changes, outcome.problems, outcome.operations) = planned
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
}
