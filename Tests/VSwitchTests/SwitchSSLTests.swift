import Foundation
import OVSDB
import Testing
import TestSupport
import VSwitch

/// The switch's SSL settings as a desired state (an OVN chassis with an ssl: Southbound): written as
/// `ovs-vsctl set-ssl` would, left alone when they match, the one row updated when they change.
@Suite struct SwitchSSLTests {
  @Test func sslSettingsAreWrittenOnceAndUpdatedInPlace() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let client = ReplicaClient(remote: db.remote, tables: SwitchTables.monitored)
    let replica = try await client.start()
    func converge(_ ssl: SwitchSSL) async throws -> SwitchConvergence {
      let plan = SwitchConvergence.plan(SwitchDesiredState(ssl: ssl), state: SwitchState(replica.snapshot))
      if !plan.operations.isEmpty {
        let generation = replica.snapshot.generation
        _ = try await client.transact(plan.guards + plan.operations)
        await client.waitForReplica(newerThan: generation)
      }
      return plan
    }
    let first = SwitchSSL(
      privateKey: "/etc/ovn/key.pem", certificate: "/etc/ovn/cert.pem", caCertificate: "/etc/ovn/ca.pem")
    let written = try await converge(first)
    #expect(
      written.changes.map(\.description).joined().contains("SSL: private key /etc/ovn/key.pem"), "\(written.changes)")
    let shown = try db.oracle("ovs-vsctl", "get-ssl")
    #expect(
      shown.contains("Private key: /etc/ovn/key.pem") && shown.contains("CA Certificate: /etc/ovn/ca.pem"), "\(shown)")
    #expect(try await converge(first).operations.isEmpty, "settled: nothing to write")

    var renewed = first
    renewed.caCertificate = "/etc/ovn/ca-2.pem"
    let updated = try await converge(renewed)
    #expect(updated.operations.contains { "\($0)".contains("update") })
    #expect(try db.oracle("ovs-vsctl", "get-ssl").contains("CA Certificate: /etc/ovn/ca-2.pem"))
    let rows = try db.oracle("ovs-vsctl", "--columns=_uuid", "list", "SSL")
    #expect(rows.split(separator: "\n").filter { !$0.isEmpty }.count == 1, "one SSL row, updated: \(rows)")
    await client.close()
  }
}
