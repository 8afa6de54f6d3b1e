import Foundation
import OVSDB
import OVSVirt
import Testing
import TestSupport

extension DataPlaneTests {
  /// `ovsvirt check` against planted faults on two simulated hosts with real libvirt guests: each
  /// fault must be named (its hop ✗, its fix given) and a real ping must fail with it; after the
  /// repair check reports healthy and the ping passes. One lab for all faults, in order.
  @Suite(.serialized) struct CheckTests {
    struct Lab {
      let directory: String
      let ip: String
      let vsctl: String
      let virshPath: String
      var db: [String: String] = [:]
      var uri: [String: String] = [:]
      var netns: [String: String] = [:]
      var prefix = ""
      var spec: String { directory + "/cluster.yaml" }

      func ovsVsctl(_ host: String, _ arguments: [String]) throws -> String {
        try CLI.runProgram(vsctl, ["--db", db[host] ?? ""] + arguments, in: directory)
      }

      func virsh(_ host: String, _ arguments: [String]) -> Bool {
        (try? CLI.runProgram(virshPath, ["-c", uri[host] ?? ""] + arguments, in: directory)) != nil
      }

      func ovsvirt(_ arguments: [String]) throws -> CLI.Result { try CLI.run(arguments, in: directory) }

      /// check of guest A on h1 towards h2, looking at both hosts; the JSON report and the exit status.
      func check(_ extra: [String] = ["--to-host", "h2"]) throws -> (status: Int32, report: JSON?, text: String) {
        let result = try ovsvirt(
          ["check", "ovsvirt-test-chk-a"] + extra + [
            "--spec", spec, "--host", "h1", "--db", db["h1"] ?? "", "--connect", uri["h1"] ?? "", "--unixctl",
            directory + "/h1/ovs-vswitchd.ctl", "--peer-db", db["h2"] ?? "", "--peer-connect", uri["h2"] ?? "",
            "--json",
          ])
        return (result.status, try? JSONParser.parse(result.stdout), result.stdout + result.stderr)
      }

      /// A full-size ping at the guests' MTU (1446: 1418 bytes of ICMP data, don't fragment) from the
      /// endpoint on h2; true when a reply comes within `within`.
      func ping(_ address: String, within: Duration = .seconds(4)) async -> Bool {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < within {
          let ok =
            (try? await CommandRunner.runOffPool(
              ip, ["netns", "exec", "\(prefix)-e-e2", "ping", "-c", "1", "-W", "1", "-M", "do", "-s", "1418", address],
              outputFile: directory + "/ping-\(UUID().uuidString).out")) != nil
          if ok { return true }
        }
        return false
      }
    }

    static let a = "10.120.0.11"
    static let b = "10.120.0.12"

    static func problems(_ report: JSON?) -> [(hop: String, detail: String, fix: String)] {
      (report?["paths"]?.arrayValue ?? []).flatMap { $0["hops"]?.arrayValue ?? [] }.compactMap { hop in
        guard hop["verdict"]?.stringValue == "problem" else { return nil }
        return (hop["hop"]?.stringValue ?? "", hop["detail"]?.stringValue ?? "", hop["fix"]?.stringValue ?? "")
      }
    }

    @Test func plantedFaultsAreNamedAndAgreeWithPing() async throws {
      guard getuid() == 0 else { try Integration.unavailable("network namespaces need root") }
      for program in ["ping", "ovs-vsctl", "virsh", "qemu-system-x86_64"] { _ = try Integration.program(program) }
      let image = try Integration.environment("OVSVIRT_GUEST_IMAGE")
      let sandbox = try SandboxLab.start(["h1", "h2"], purpose: "check", libvirt: true)
      defer { sandbox.stop() }
      var lab = Lab(
        directory: sandbox.directory, ip: try Integration.program("ip"),
        vsctl: try Integration.program("ovs-vsctl"), virshPath: try Integration.program("virsh"))
      for (name, host) in sandbox.hosts {
        lab.db[name] = host.db
        lab.uri[name] = host.connect
        lab.netns[name] = host.netns
      }
      lab.prefix = sandbox.prefix
      try """
      bridges:
        - name: ovsbr0
          datapath_type: netdev
      networks:
        - name: ovsvl2
          bridge: ovsbr0
          portgroups: [{name: vlan-120, vlan: 120, default: true}, {name: vlan-130, vlan: 130}]
      cluster:
        bridge: ovsbr0
        type: vxlan
        hosts:
          - {name: h1, ip: 172.31.0.1}
          - {name: h2, ip: 172.31.0.2}
      """.write(toFile: lab.spec, atomically: true, encoding: .utf8)
      func apply(_ host: String) throws {
        let applied = try lab.ovsvirt([
          "apply", lab.spec, "--host", host, "--db", lab.db[host] ?? "", "--connect", lab.uri[host] ?? "",
        ])
        #expect(applied.status == 0, "apply \(host): \(applied.stderr)")
      }
      for host in ["h1", "h2"] {
        try apply(host)
        // The bridge's MTU is what libvirt gives new taps: the 1446 a VXLAN over a 1500 underlay leaves.
        _ = try lab.ovsVsctl(host, ["set", "interface", "ovsbr0", "mtu_request=1446"])
      }
      var interfaceID = ""
      for (name, host, address) in [
        ("ovsvirt-test-chk-a", "h1", "\(Self.a)/24"), ("ovsvirt-test-chk-b", "h2", "\(Self.b)/24"),
      ] {
        let guest = try lab.ovsvirt([
          "sandbox", "guest", name, "--dir", lab.directory, "--host", host, "--network", "ovsvl2", "--portgroup",
          "vlan-120", "--ip", address, "--mtu", "1446", "--image", image,
        ])
        try #require(guest.status == 0, "guest \(name): \(guest.stderr)")
        if name.hasSuffix("-a") {
          interfaceID =
            guest.stdout.components(separatedBy: "interfaceid ").last?.trimmingCharacters(in: .whitespacesAndNewlines)
            ?? ""
        }
      }
      let endpoint = try lab.ovsvirt([
        "sandbox", "endpoint", "e2", "--dir", lab.directory, "--host", "h2", "--bridge", "ovsbr0", "--access", "120",
        "--ip", "10.120.0.13/24", "--mtu", "1446",
      ])
      try #require(endpoint.status == 0, "endpoint: \(endpoint.stderr)")

      // The healthy path: check says so, and the full-size ping crosses.
      #expect(await lab.ping(Self.a, within: .seconds(30)), "healthy lab: no ping reply from guest A")
      #expect(await lab.ping(Self.b, within: .seconds(30)), "healthy lab: no ping reply from guest B")
      var healthy = try lab.check()
      #expect(healthy.status == 0, "healthy: \(healthy.text)")
      let aMAC = healthy.report?["paths"]?.arrayValue?.first?["mac"]?.stringValue ?? ""
      let aTap = healthy.report?["paths"]?.arrayValue?.first?["tap"]?.stringValue ?? ""
      try #require(!aTap.isEmpty, "no tap in \(healthy.text)")
      // --to the guest on h2 (read through --peer-connect) and the whole-host report agree.
      #expect(try lab.check(["--to", "ovsvirt-test-chk-b"]).status == 0)
      let whole = try lab.ovsvirt([
        "check", "--spec", lab.spec, "--host", "h1", "--db", lab.db["h1"] ?? "", "--connect", lab.uri["h1"] ?? "",
        "--unixctl", lab.directory + "/h1/ovs-vswitchd.ctl",
      ])
      #expect(whole.status == 0, "whole host: \(whole.stdout)\(whole.stderr)")

      struct Fault {
        var name: String
        var hop: String
        var names: String
        var fixNames: String
        var pingTarget: String
        var plant: () async throws -> Void
        var repair: () async throws -> Void
      }
      let interfaceXML = { (vlan: String) in
        """
        <interface type='network'><mac address='\(aMAC)'/><source network='ovsvl2' portgroup='vlan-120'/>\(vlan)\
        <virtualport type='openvswitch'><parameters interfaceid='\(interfaceID)'/></virtualport><model type='virtio'/>\
        <mtu size='1446'/></interface>
        """
      }
      let xmlFile = lab.directory + "/nic.xml"
      let reconcileA = {
        let done = try lab.ovsvirt([
          "reconcile", "--domain", "ovsvirt-test-chk-a", "--db", lab.db["h1"] ?? "", "--connect", lab.uri["h1"] ?? "",
        ])
        #expect(done.status == 0, "reconcile: \(done.stderr)")
      }
      let h1ns = lab.netns["h1"] ?? ""
      let faults: [Fault] = [
        Fault(
          name: "wrong VLAN on one side", hop: "peer", names: "VLAN 130", fixNames: "own <vlan>", pingTarget: Self.a,
          plant: {
            try interfaceXML("<vlan><tag id='130'/></vlan>").write(toFile: xmlFile, atomically: true, encoding: .utf8)
            #expect(lab.virsh("h1", ["update-device", "ovsvirt-test-chk-a", xmlFile, "--live"]))
          },
          repair: {
            try interfaceXML("").write(toFile: xmlFile, atomically: true, encoding: .utf8)
            #expect(lab.virsh("h1", ["update-device", "ovsvirt-test-chk-a", xmlFile, "--live"]))
            // libvirt 9.0 re-plugs the tap untagged when a live <vlan> goes: check names that too.
            try reconcileA()
          }),
        Fault(
          name: "uplink trunk missing the VLAN", hop: "uplink", names: "does not carry VLAN 120",
          fixNames: "--trunk 120,130", pingTarget: Self.a,
          plant: { _ = try lab.ovsVsctl("h1", ["set", "port", "vx-h2", "trunks=130"]) },
          repair: { _ = try lab.ovsVsctl("h1", ["clear", "port", "vx-h2", "trunks"]) }),
        Fault(
          name: "tunnel removed", hop: "tunnel", names: "no tunnel to h2", fixNames: "ovsvirt apply",
          pingTarget: Self.a,
          plant: { _ = try lab.ovsVsctl("h1", ["del-port", "vx-h2"]) }, repair: { try apply("h1") }),
        Fault(
          name: "wrong VNI", hop: "tunnel", names: "key (VNI) 77", fixNames: "ovsvirt apply", pingTarget: Self.a,
          plant: { _ = try lab.ovsVsctl("h1", ["set", "interface", "vx-h2", "options:key=77"]) },
          repair: { try apply("h1") }),
        Fault(
          name: "peer host without the network", hop: "peer", names: "h2 has no libvirt network ovsvl2",
          fixNames: "--host h2", pingTarget: Self.b,
          plant: {
            #expect(lab.virsh("h2", ["destroy", "ovsvirt-test-chk-b"]))
            #expect(lab.virsh("h2", ["net-destroy", "ovsvl2"]))
            #expect(lab.virsh("h2", ["net-undefine", "ovsvl2"]))
            // What an HA restart of B on h2 meets now.
            #expect(!lab.virsh("h2", ["start", "ovsvirt-test-chk-b"]))
          },
          repair: {
            try apply("h2")
            #expect(lab.virsh("h2", ["start", "ovsvirt-test-chk-b"]))
          }),
        Fault(
          name: "guest MTU too big for the tunnel", hop: "mtu", names: "too big for tunnel vx-h2",
          fixNames: "lower the guest's MTU to 1346", pingTarget: Self.a,
          plant: {
            _ = try CLI.runProgram(lab.ip, ["-n", h1ns, "link", "set", "ul0", "mtu", "1400"], in: lab.directory)
            // ovs-vswitchd reports the new MTU in the Interface table within a moment.
            _ = await eventually(timeout: .seconds(10)) {
              (try? lab.ovsVsctl("h1", ["get", "interface", "ul0", "mtu"]))?.contains("1400") == true
            }
          },
          repair: {
            _ = try CLI.runProgram(lab.ip, ["-n", h1ns, "link", "set", "ul0", "mtu", "1500"], in: lab.directory)
          }),
        Fault(
          name: "port parked on 4095", hop: "port", names: "parked on VLAN 4095", fixNames: "ovsvirt reconcile",
          pingTarget: Self.a,
          plant: { _ = try lab.ovsVsctl("h1", ["set", "port", aTap, "tag=4095"]) }, repair: { try reconcileA() }),
        Fault(
          name: "interface ovs-vswitchd could not open", hop: "port", names: "could not open", fixNames: "port del",
          pingTarget: Self.a,
          plant: {
            _ = try lab.ovsVsctl("h1", ["set", "interface", aTap, "type=internal"])
            _ = await eventually(timeout: .seconds(10)) {
              (try? lab.ovsVsctl("h1", ["get", "interface", aTap, "error"]))?.contains("could not") == true
            }
          },
          repair: {
            let deleted = try lab.ovsvirt(["port", "del", aTap, "--db", lab.db["h1"] ?? ""])
            #expect(deleted.status == 0, "\(deleted.stderr)")
            try reconcileA()
          }),
      ]
      for fault in faults {
        try await fault.plant()
        let found = try lab.check(fault.pingTarget == Self.b ? ["--to", "ovsvirt-test-chk-b"] : ["--to-host", "h2"])
        let named = Self.problems(found.report).filter { $0.hop == fault.hop && $0.detail.contains(fault.names) }
        #expect(found.status == 1, "\(fault.name): check should find problems: \(found.text)")
        #expect(!named.isEmpty, "\(fault.name): no \(fault.hop) problem naming '\(fault.names)': \(found.text)")
        #expect(
          named.contains { $0.fix.contains(fault.fixNames) },
          "\(fault.name): fix should say '\(fault.fixNames)': \(found.text)")
        #expect(!(await lab.ping(fault.pingTarget, within: .seconds(3))), "\(fault.name): ping passed with the fault")
        try await fault.repair()
        #expect(await lab.ping(fault.pingTarget, within: .seconds(30)), "\(fault.name): no ping after the repair")
        healthy = try lab.check()
        #expect(healthy.status == 0, "\(fault.name): not healthy after the repair: \(healthy.text)")
      }
    }
  }
}
