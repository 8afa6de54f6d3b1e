import Logging
import OVSDB

/// Whether a Northbound sync runs, and whether another was asked for meanwhile.
struct NorthboundFollow: Sendable {
  var running = false
  var again = false
}

extension Watcher {
  /// For an `engine: ovn` cluster: after each read of libvirt (a VM started, stopped, or came here
  /// by a failover), the Northbound database is brought to what runs on this host — a VM that moved
  /// here gets its logical port's requested-chassis moved, so this host's ovn-controller may bind
  /// it. Off the healing path: OVS heals never wait for the central database.
  func followNorthbound(_ spec: HostSpec) {
    guard !northbound.running else {
      northbound.again = true
      return
    }
    northbound.running = true
    Task { await self.syncNorthbound(spec) }
  }

  private func syncNorthbound(_ spec: HostSpec) async {
    repeat {
      northbound.again = false
      var options = ReplicaClient.Options()
      options.connectTimeout = .seconds(5)
      options.callTimeout = .seconds(10)
      options.probeInterval = nil
      do {
        let outcome = try await NorthboundSync.run(
          spec, libvirt: LibvirtAccess(uri: self.options.libvirtURI), prune: false, commit: true, options: options)
        for change in outcome?.changes ?? [] { log("corrected (Northbound): \(change)", .notice) }
        for problem in outcome?.problems ?? [] { log("Northbound: \(problem)", .warning) }
      } catch {
        log("Northbound could not be brought up to date", .error, ["error": "\(error)"])
      }
    } while northbound.again
    northbound.running = false
  }
}
