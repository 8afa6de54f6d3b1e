import Foundation
import OVSDB
import OVSVirt
import Testing
import TestSupport

/// The Northbound half of `apply` for an OVN cluster spec whose Northbound database is a
/// three-server cluster reached over TLS (`ovn: {northbound: [ssl:…], ssl: {…}}`): it writes
/// through the leader, and again after the leader was killed. libvirt is its test driver (no VM
/// NICs), so what is written is the spec's logical switches; ovn-nbctl is the oracle.
@Suite struct NorthboundClusterTests {
  @Test func applyWritesThroughTheLeaderOverTLSAndAfterItDies() async throws {
    let cluster = try await PrivateCluster.start(tls: true)
    defer { cluster.stop() }
    let certificates = try #require(cluster.certificates)
    let spec = cluster.directory + "/cluster-ovn.yaml"
    func write(networks: [String]) throws {
      let listed = networks.map { "  - {name: \($0), bridge: ovsbr0}" }.joined(separator: "\n")
      try """
      bridges:
        - name: ovsbr0
      networks:
      \(listed)
      cluster:
        bridge: ovsbr0
        engine: ovn
        ovn:
          southbound: tcp:127.0.0.1:6642
          northbound: [\((0..<cluster.size).map(cluster.sslRemote).joined(separator: ", "))]
          ssl: {private_key: \(certificates.clientKey), certificate: \(certificates.clientCert), ca_cert: \(certificates.caCert)}
        hosts:
          - {name: h1, ip: 172.31.0.1}
      """.write(toFile: spec, atomically: true, encoding: .utf8)
    }
    func apply() async throws -> NorthboundSync.Outcome? {
      var options = ReplicaClient.Options()
      options.probeInterval = nil
      options.connectTimeout = .seconds(5)
      options.callTimeout = .seconds(20)
      options.deadline = .now + .seconds(30)
      return try await NorthboundSync.run(
        try SpecLoader.load(path: spec, host: "h1"), libvirt: LibvirtAccess(uri: "test:///default"), prune: true,
        commit: true, options: options)
    }
    try write(networks: ["blue"])
    let first = try #require(try await apply())
    #expect(first.operations > 0 && first.problems.isEmpty, "\(first.changes) \(first.problems)")
    #expect(try cluster.nbctl("ls-list").contains("(ovsvirt-blue)"))
    #expect(try await apply()?.operations == 0, "a second apply writes nothing")

    let leader = try #require(cluster.leader())
    cluster.kill(leader)
    try write(networks: ["blue", "green"])
    // The next run finds the newly elected leader (the election takes a second or two: a run that
    // comes too early finds only followers and says so, naming each remote).
    var outcome: NorthboundSync.Outcome?
    var refusals: [String] = []
    let ready = await eventually(timeout: .seconds(30), every: .milliseconds(200)) {
      do {
        outcome = try await apply()
        return true
      } catch {
        refusals.append("\(error)")
        return false
      }
    }
    #expect(ready, "\(refusals)")
    #expect(outcome?.changes.contains { $0.contains("ovsvirt-green") } == true, "\(outcome?.changes ?? [])")
    let listed = try cluster.nbctl("ls-list")
    #expect(listed.contains("(ovsvirt-blue)") && listed.contains("(ovsvirt-green)"), "\(listed)")
    for refusal in refusals {
      #expect(refusal.contains("no usable OVSDB remote"), "\(refusal)")
    }
  }
}
