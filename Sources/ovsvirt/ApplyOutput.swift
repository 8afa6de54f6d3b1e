import Foundation
import OVSDB
import OVSVirt

/// How `plan` and `apply` show a report: the OVS changes, the libvirt ones, notes; or one JSON
/// object with --json.
struct ApplyOutput {
  let specPath: String
  let json: Bool

  func print(_ report: ApplyReport) {
    if json {
      Swift.print(object(report))
      return
    }
    if !report.ovs.isEmpty {
      Swift.print("OVS (\(report.operations) operations in one transaction\(report.applied ? "" : ", not sent")):")
      for change in report.ovs { Swift.print("  \(change)") }
    }
    let libvirt = report.libvirtChanges
    if !libvirt.isEmpty {
      Swift.print("libvirt\(report.applied ? "" : " (would change)"):")
      for change in libvirt { Swift.print("  \(change)") }
    }
    let northbound = report.northboundChanges
    if !northbound.isEmpty {
      Swift.print("OVN Northbound\(report.applied ? "" : " (would change)"):")
      for change in northbound { Swift.print("  \(change)") }
    }
    for note in report.plan.spec.notes { Swift.print("note: \(note)") }
    for note in report.libvirt?.notes ?? [] { Swift.print("note: \(note)") }
    if let announced = report.tunnelPeers { Swift.print("note: \(announced)") }
    if report.isEmpty {
      FileHandle.standardError.write(
        Data("ovsvirt: nothing to do: OVS and libvirt already match \(specPath) (0 writes)\n".utf8))
    }
  }

  /// The Northbound changes; once applied, also the operations sent and how long the transaction and
  /// the wait for this host's ports to come up took (milliseconds), for scripts that watch either.
  func northbound(_ report: ApplyReport) -> JSON {
    var object: [String: JSON] = ["changes": .array(report.northboundChanges.map(JSON.string))]
    guard report.applied, let outcome = report.northbound else { return .object(object) }
    let milliseconds: (Duration) -> JSON = { duration in
      let (seconds, attoseconds) = duration.components
      return .double(((Double(seconds) * 1e3 + Double(attoseconds) / 1e15) * 1e3).rounded() / 1e3)
    }
    object["operations"] = .int(Int64(outcome.operations))
    if let time = outcome.transactionTime { object["transactionMs"] = milliseconds(time) }
    if let wait = outcome.bindingWait { object["upWaitMs"] = milliseconds(wait) }
    return .object(object)
  }

  /// `writes`: what was actually written (0 for a plan or a dry run).
  func object(_ report: ApplyReport) -> JSON {
    let strings: ([PlannedChange]) -> JSON = { .array($0.map { JSON.string($0.description) }) }
    var libvirt: [String: JSON] = ["changes": strings(report.plan.libvirtChanges)]
    if let outcome = report.libvirt {
      libvirt["done"] = strings(outcome.done)
      libvirt["notRun"] = strings(outcome.notRun)
      if let failed = outcome.failed {
        libvirt["failed"] = .object(["change": .string(failed.change.description), "error": .string(failed.error)])
      }
    }
    return .object([
      "ovs": .object(["operations": .int(Int64(report.operations)), "changes": strings(report.ovs)]),
      "libvirt": .object(libvirt),
      "notes": .array((report.plan.spec.notes + (report.tunnelPeers.map { ["\($0)"] } ?? [])).map(JSON.string)),
      "problems": .array(report.plan.problems.map(JSON.string)),
      "northbound": northbound(report),
      "writes": .int(
        report.applied
          ? Int64(report.operations + (report.libvirt?.done.count ?? 0) + (report.northbound?.operations ?? 0)) : 0),
    ])
  }
}
