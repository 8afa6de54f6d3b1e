import Foundation
import OVSDB
import Testing
import TestSupport

extension DataPlaneTests {
  /// apply's Northbound half as `scripts/bench ovn` drives it, on one sandbox chassis without
  /// guests: the VMs' NICs come from libvirt's test driver (a file of running domains), and are
  /// plugged on br-int as libvirt plugs them (an internal port with the external_ids libvirt writes).
  /// apply --json says how long its Northbound transaction and its wait for the ports took; a NIC
  /// that is not plugged is named (exit 3) once --timeout is spent, and binds on the next apply once
  /// it is.
  @Suite(.serialized) struct OVNBindingReportTests {
    @Test func applyTimesItsNorthboundTransactionAndBindingWait() async throws {
      guard getuid() == 0 else { try Integration.unavailable("network namespaces need root") }
      for program in ["ovn-northd", "ovn-controller"] { _ = try Integration.program(program) }
      let vsctl = try Integration.program("ovs-vsctl")
      let nbctl = try Integration.program("ovn-nbctl")
      let lab = try SandboxLab.start(["h1"], purpose: "ovn-report", ovn: true)
      defer { lab.stop() }
      let directory = lab.directory
      let northbound = try #require(lab.northbound)
      let southbound = try #require(lab.southbound)
      let h1 = try lab.host("h1")
      let spec = directory + "/cluster-ovn.yaml"
      try """
      bridges:
        - name: ovsbr0
          datapath_type: netdev
      networks:
        - name: ovsvl2
          bridge: ovsbr0
          portgroups:
            - {name: vlan-120, vlan: 120, default: true}
        - name: tenant
          bridge: ovsbr0
      cluster:
        bridge: ovsbr0
        engine: ovn
        ovn: {southbound: "\(southbound)", northbound: "\(northbound)"}
        hosts:
          - {name: h1, ip: \(h1.underlay)}
      """.write(toFile: spec, atomically: true, encoding: .utf8)
      struct NIC {
        var domain, uuid, mac, interfaceID, source, tap: String
      }
      let nics = [
        NIC(
          domain: "vm-a", uuid: "6b3c1e52-0a7d-4c38-9d2e-000000000101", mac: "52:54:00:0b:00:01",
          interfaceID: "6b3c1e52-0a7d-4c38-9d2e-000000000001",
          source: "<source network='ovsvl2' portgroup='vlan-120'/>", tap: "bnet1"),
        NIC(
          domain: "vm-b", uuid: "6b3c1e52-0a7d-4c38-9d2e-000000000102", mac: "52:54:00:0b:00:02",
          interfaceID: "6b3c1e52-0a7d-4c38-9d2e-000000000002",
          source: "<source network='tenant'/>", tap: "bnet2"),
      ]
      let domains = nics.map { nic in
        """
        <domain type='test'><name>\(nic.domain)</name><uuid>\(nic.uuid)</uuid>\
        <memory>8192</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>\
        <interface type='network'><mac address='\(nic.mac)'/>\(nic.source)<virtualport type='openvswitch'>\
        <parameters interfaceid='\(nic.interfaceID)'/></virtualport><target dev='\(nic.tap)'/></interface>\
        </devices></domain>
        """
      }
      // No <network> in the files: the test driver cannot give a network's inactive XML, which apply
      // reads; apply defines the networks in each connection itself.
      try "<node>\n</node>\n".write(toFile: directory + "/empty.xml", atomically: true, encoding: .utf8)
      try "<node>\n\(domains.joined(separator: "\n"))\n</node>\n".write(
        toFile: directory + "/vms.xml", atomically: true, encoding: .utf8)
      func apply(_ file: String, timeout: Int) throws -> (CLI.Result, JSON) {
        let result = try lab.ovsvirt([
          "apply", spec, "--host", "h1", "--db", h1.db, "--connect", "test://\(directory)/\(file)", "--timeout",
          "\(timeout)", "--json",
        ])
        return (result, try JSONParser.parse(result.stdout))
      }
      func plug(_ nic: NIC) throws {
        _ = try CLI.runProgram(
          vsctl,
          [
            "--db=\(h1.db)", "--timeout=30", "add-port", "br-int", nic.tap, "--", "set", "Interface", nic.tap,
            "type=internal", "external_ids:iface-id=\(nic.interfaceID)", "external_ids:attached-mac=\(nic.mac)",
            "external_ids:iface-status=active", "external_ids:vm-id=\(nic.uuid)",
          ], in: directory)
      }
      func isUp(_ nic: NIC) -> Bool {
        let up = try? CLI.runProgram(
          nbctl, ["--db=\(northbound)", "--bare", "get", "Logical_Switch_Port", nic.interfaceID, "up"], in: directory)
        return up?.trimmingCharacters(in: .whitespacesAndNewlines) == "true"
      }

      // A chassis with the logical switches and no VM yet: ovn-controller makes br-int.
      let (first, _) = try apply("empty.xml", timeout: 30)
      try #require(first.status == 0, "\(first.stderr)")
      #expect(
        await eventually(timeout: .seconds(30)) {
          (try? CLI.runProgram(vsctl, ["--db=\(h1.db)", "br-exists", "br-int"], in: directory)) != nil
        }, "ovn-controller made no br-int")
      try plug(nics[0])

      // vm-b's NIC is not plugged: its port is written, apply waits until --timeout, then names it.
      let (partial, report) = try apply("vms.xml", timeout: 8)
      #expect(partial.status == 3, "\(partial.stdout) \(partial.stderr)")
      #expect(partial.stderr.contains("logical port \(nics[1].interfaceID) is not up"), "\(partial.stderr)")
      #expect(partial.stderr.contains("no interface here has iface-id"), "\(partial.stderr)")
      #expect(!partial.stderr.contains(nics[0].interfaceID), "\(partial.stderr)")
      let north = try #require(report["northbound"], "\(report)")
      #expect((north["operations"]?.intValue ?? 0) > 0, "\(north)")
      if case .double(let milliseconds) = north["transactionMs"] {
        #expect(milliseconds > 0 && milliseconds < 8000, "\(north)")
      } else {
        Issue.record("no transactionMs: \(north)")
      }
      // It waited for vm-b until the deadline: seconds, not the transaction's milliseconds.
      if case .double(let milliseconds) = north["upWaitMs"] {
        #expect(milliseconds > 2000 && milliseconds < 8000, "\(north)")
      } else {
        Issue.record("no upWaitMs: \(north)")
      }
      #expect(isUp(nics[0]), "vm-a's port did not come up")

      // Plugged, the next apply writes nothing in the Northbound database and returns once it is up.
      try plug(nics[1])
      let (complete, settled) = try apply("vms.xml", timeout: 30)
      #expect(complete.status == 0, "\(complete.stdout) \(complete.stderr)")
      #expect(settled["northbound"]?["operations"]?.intValue == 0, "\(settled)")
      #expect(isUp(nics[1]), "vm-b's port did not come up")
      if case .double = settled["northbound"]?["upWaitMs"] {
      } else {
        Issue.record("no upWaitMs: \(settled)")
      }
    }
  }
}
