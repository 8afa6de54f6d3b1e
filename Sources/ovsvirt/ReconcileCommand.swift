import ArgumentParser
import Foundation
import OVSDB
import OVSVirt

struct ReconcileCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reconcile",
    abstract: "Make OVS match libvirt for every running VM, exactly as libvirt plugged it (the HA path).",
    discussion: """
      For each OVS-backed NIC of each running domain (libvirt's live XML), its port must exist on the
      right bridge with what libvirt's own plug writes: the VLAN (interface > portgroup > network; access,
      trunk, native-untagged / native-tagged), the external_ids (iface-id, attached-mac, vm-id,
      iface-status), and for a NIC with <bandwidth> the ingress policing and linux-htb QoS. Everything
      missing or wrong is fixed in one OVSDB transaction; a second run changes nothing. A NIC whose VLAN
      cannot be resolved (its network or portgroup is gone, its <vlan> unreadable) is parked on VLAN 4095,
      never left untagged. Exit 3 when any NIC was parked or could not be placed.

      With --spec, the spec's switch part is made right first (its bridges and ports, and for an `engine:
      ovn` cluster this host's chassis settings), as `watch --spec` does: after a wiped database, reconcile
      --spec brings the host back. For an `engine: ovn` cluster the VM ports wait (within --timeout) for
      the br-int that ovn-controller makes, and the Northbound database is reconciled too: a logical port
      for each NIC of the VMs running here (requested-chassis this host), the ports of VMs that no longer
      run here removed, in one guarded transaction.
      """)
  @OptionGroup var options: SwitchOptions
  @OptionGroup var libvirt: LibvirtOptions
  @Option(help: "Only this domain.") var domain: String?
  @Option(
    help:
      "A spec: make its bridges, ports and (engine: ovn) chassis settings right first; with engine: ovn, the Northbound database too."
  )
  var spec: String?
  @Option(help: "This host's name in the spec's cluster (default: the short hostname).") var host: String?

  func run() async throws {
    let session = SwitchSession(options: options)
    var cluster: HostSpec?
    if let spec {
      do throws(SpecError) {
        cluster = try SpecLoader.load(path: spec, host: host)
      } catch {
        throw CommandFailure.refused(error, in: spec)
      }
    }
    let reconcile = ReconcileRun()
    let result: ReconcileRun.Result
    do {
      result = try await reconcile.run(
        libvirt.access, only: domain, dryRun: options.dryRun, spec: cluster, deadline: options.deadline,
        connect: { try await session.startClient() },
        // One domain's reconcile reads only the rows its ports touch, over a bare connection.
        connectDirect: { [options] in
          try await OVSDBClient.connect(
            options.db, timeout: max(options.deadline - ContinuousClock.now, .milliseconds(1)),
            tls: options.tls, leaderOnlyFor: SwitchSession.database,
            deadline: options.deadline)
        })
    } catch let error as SpecError {
      await reconcile.finish()
      throw CommandFailure.refused(error, in: spec ?? "the spec")
    } catch {
      await reconcile.finish()
      throw session.translate(error)
    }
    var outcome = result.outcome
    if let cluster {
      do {
        if let northbound = try await NorthboundSync.run(
          cluster, libvirt: libvirt.access, prune: false, commit: !options.dryRun, options: session.clientOptions)
        {
          outcome.actions += northbound.changes.map { "Northbound: \($0)" }
          outcome.problems += northbound.problems
        }
      } catch {
        await reconcile.finish()
        throw session.translate(error)
      }
    }
    if options.json {
      print(
        JSON.object([
          "operations": .int(Int64(outcome.operations)), "actions": .array(outcome.actions.map(JSON.string)),
          "problems": .array(outcome.problems.map(JSON.string)), "ports": .int(Int64(result.ports)),
        ]))
    } else {
      for action in outcome.actions { print(action) }
      if outcome.actions.isEmpty {
        FileHandle.standardError.write(Data("ovsvirt: \(result.ports) VM ports already right, nothing to do\n".utf8))
      }
    }
    for problem in outcome.problems { FileHandle.standardError.write(Data("ovsvirt: \(problem)\n".utf8)) }
    // The process ends here rather than by returning, which would first free the replica, the
    // switch view and every desired port one object at a time (2 ms of a no-op over 500 NICs);
    // exiting drops them at once.
    await reconcile.finish()
    Foundation.exit(outcome.problems.isEmpty ? 0 : 3)
  }
}
