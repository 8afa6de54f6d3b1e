import OVSDB
import VSwitch

extension Watcher {
  /// Removes the ports `unwanted` names (put back by this watch, then found by a full libvirt read
  /// to belong to no running NIC), each only while OVS still holds it as this watch made it: the
  /// ovsvirt mark on the port and the same VM's id on its interface. A VM that started again in the
  /// meantime with the same tap has its own libvirt plug, which a later heal keeps. Returns the
  /// corrections made; a failed transaction is a `reconcile` problem, retried by the next heal.
  func removeUnwanted(
    _ client: ReplicaClient, state: SwitchState, problems: inout [WatchProblemKind]
  ) async -> [CorrectionKind] {
    let candidates = takeUnwanted().filter { port in
      guard let row = state.ports[port.tap], SwitchTables.isOwned(row.externalIDs) else { return false }
      let vmID = port.plug.interfaceExternalIDs["vm-id"]
      return vmID == nil || state.interfaces[port.tap]?.externalIDs["vm-id"] == vmID
    }
    guard !candidates.isEmpty else { return [] }
    do {
      let planner = SwitchPlanner(ifExists: true)
      _ = try await client.transaction { txn in
        for port in candidates { try planner.deletePort(port.tap, in: &txn) }
        txn.add(.comment("ovsvirt watch: \(candidates.count) VM ports no running VM holds"))
      }
    } catch {
      problems.append(.reconcile)
      restoreUnwanted(candidates)
      log("could not remove ports put back for stopped VMs", .error, ["error": "\(error)"])
      return []
    }
    for port in candidates {
      log(
        "corrected: remove port \(port.tap): put back for \(port.domain), which libvirt says no longer holds it",
        .notice)
    }
    return candidates.map { _ in .other }
  }
}
