import ArgumentParser
import Foundation
import Libvirt
import OVSDB
import OVSVirt
import VSwitch

struct ReconcileCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reconcile",
    abstract: "Make OVS match libvirt for every running VM: ports, VLANs, iface-ids (the HA path).",
    discussion: """
      For each OVS-backed NIC of each running domain (libvirt's live XML), its port must exist on the
      right bridge with the VLAN libvirt resolves (interface > portgroup > network) and the external_ids
      libvirt sets (iface-id, attached-mac, vm-id, iface-status). Everything missing or wrong is fixed
      in one OVSDB transaction; a second run changes nothing. A NIC whose VLAN cannot be resolved (its
      network or portgroup is gone) is parked on VLAN 4095, never left untagged. Exit 3 when any NIC was parked or could not be placed.
      """)
  @OptionGroup var options: SwitchOptions
  @OptionGroup var libvirt: LibvirtOptions
  @Option(help: "Only this domain.") var domain: String?

  func run() async throws {
    let libvirtClosed = DispatchGroup()
    do {
      try await reconcile(libvirtClosed: libvirtClosed)
    } catch {
      await Self.wait(for: libvirtClosed)
      throw error
    }
  }

  /// Ends the process once done. `libvirtClosed` is left once the libvirt connection is closed,
  /// which happens while planning: the process must not exit (and tear libvirt down) before.
  private func reconcile(libvirtClosed: DispatchGroup) async throws -> Never {
    let session = SwitchSession(options: options)
    // Reading the switch needs nothing from libvirt, and libvirt (loading the library, opening the
    // connection, one XML per domain) is most of a reconcile: both run at once, from the start of
    // the library's load on, once the OVSDB connection's threads exist.
    RPCConnection.startEventLoops()
    let switchClient = Task {
      let client = try await session.startClient()
      // Indexing the replica for planning is done here too, while libvirt is still working.
      return (client, await client.replica.map { SwitchState($0.snapshot) })
    }
    // A libvirt failure is the one reported, as when libvirt was asked first; the OVSDB connection,
    // if made, ends with the process.
    let desired = try await Self.desiredPorts(libvirt, only: domain, closed: libvirtClosed)
    let (client, prepared): (ReplicaClient, SwitchState?)
    do {
      (client, prepared) = try await switchClient.value
    } catch {
      throw session.fail(session.describe(error), code: 2)
    }
    let outcome: Reconciler.Outcome
    do {
      outcome = try await Reconciler.reconcile(desired, client: client, prepared: prepared, dryRun: options.dryRun)
    } catch {
      await client.close()
      throw session.translate(error)
    }
    await client.close()
    if options.json {
      print(
        JSON.object([
          "operations": .int(Int64(outcome.operations)), "actions": .array(outcome.actions.map(JSON.string)),
          "problems": .array(outcome.problems.map(JSON.string)), "ports": .int(Int64(desired.count)),
        ]))
    } else {
      for action in outcome.actions { print(action) }
      if outcome.actions.isEmpty {
        FileHandle.standardError.write(Data("ovsvirt: \(desired.count) VM ports already right, nothing to do\n".utf8))
      }
    }
    for problem in outcome.problems { FileHandle.standardError.write(Data("ovsvirt: \(problem)\n".utf8)) }
    // The process ends here rather than by returning, which would first free the replica, the
    // switch view and every desired port one object at a time (2 ms of a no-op over 500 NICs);
    // exiting drops them at once.
    await Self.wait(for: libvirtClosed)
    Foundation.exit(outcome.problems.isEmpty ? 0 : 3)
  }

  /// The running domains' NICs, with failures reported as ovsvirt's exit codes. libvirt's calls
  /// block, so they run on a thread of their own: the cooperative pool has one thread per core (two
  /// on a 2-core host), and the OVSDB connection is decoded on it meanwhile. The connection is
  /// closed on that thread after the answer, while the caller plans (the test driver frees every
  /// domain then: ~2 ms for 250), and `closed` is left once it is.
  static func desiredPorts(_ libvirt: LibvirtOptions, only domain: String?, closed: DispatchGroup) async throws
    -> [DesiredPort]
  {
    closed.enter()
    return try await withCheckedThrowingContinuation { answer in
      let thread = Thread {
        read(libvirt, only: domain, answer: answer)
        closed.leave()
      }
      thread.start()
    }
  }

  private static func read(
    _ libvirt: LibvirtOptions, only domain: String?, answer: CheckedContinuation<[DesiredPort], any Error>
  ) {
    let connection: Connection
    do {
      connection = try libvirt.open()
    } catch {
      return answer.resume(throwing: error)
    }
    withExtendedLifetime(connection) {
      answer.resume(
        with: Result {
          do {
            return try DesiredPort.fromLibvirt(connection, only: domain)
          } catch {
            throw DomainChange.exitError(error, domain: domain ?? "")
          }
        })
    }
  }

  /// Returns once every block entered in `group` has left, without holding a pool thread meanwhile.
  private static func wait(for group: DispatchGroup) async {
    await withCheckedContinuation { done in group.notify(queue: .global()) { done.resume() } }
  }
}
