import Foundation
import OVSDB
import Testing
import TestSupport

/// `apply` on the libvirt half, against scripts/test's libvirtd: networks defined, started and
/// autostarted, a VM's NIC moved; a second apply writes nothing; a libvirt failure after OVS
/// committed exits 3 and says what is done and what to run.
@Suite(.blockingWork) struct ApplyLibvirtTests {
  @Test func networksAndNICsConvergeAndReapplyWritesNothing() async throws {
    let env = try await VMEnvironment.require("applv")
    defer { env.cleanUp() }
    let (uri, db, dir) = (env.uri, env.db, env.directory)
    let id = getpid() % 100000
    let (bridge, vm, net) = ("avbr\(id)", "ovsvirt-test-av-\(id)", "ovsvirt-test-avn-\(id)")
    let common = ["--db", db, "--connect", uri]
    defer { env.remove(domains: [vm], networks: [net], bridges: [bridge]) }
    try env.virsh(
      "define",
      xml: VMEnvironment.tinyVM(
        vm,
        interfaces: ["<interface type='bridge'><mac address='52:54:00:ab:00:01'/><source bridge='virbr9'/></interface>"]
      ))
    func spec(_ groups: String, nic: String = "pg-a") throws -> String {
      let path = dir + "/spec.yaml"
      try """
      bridges:
        - name: \(bridge)
          datapath_type: netdev
      networks:
        - name: \(net)
          bridge: \(bridge)
          portgroups: [\(groups)]
      domains:
        - name: \(vm)
          interfaces: [{mac: '52:54:00:ab:00:01', network: \(net), portgroup: \(nic)}]
      """.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
    let first = try CLI.run(["apply", try spec("{name: pg-a, vlan: 10}"), "--json"] + common, in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(try env.virsh("net-info", net).contains("Active:         yes"))
    #expect(try env.virsh("net-info", net).contains("Autostart:      yes"))
    let domainXML = try env.virsh("dumpxml", "--inactive", vm)
    #expect(domainXML.contains("<source network='\(net)' portgroup='pg-a'/>"), "\(domainXML)")
    #expect(domainXML.contains("<virtualport type='openvswitch'>"))

    let second = try CLI.run(["apply", try spec("{name: pg-a, vlan: 10}"), "--json"] + common, in: dir)
    #expect(try JSONParser.parse(second.stdout)["writes"] == 0, "\(second.stdout)")

    // A changed portgroup VLAN is changed in the running network and in its definition, in one
    // step (same uuid, nothing else).
    let uuid = try env.virsh("net-uuid", net)
    let planned = try CLI.run(["plan", try spec("{name: pg-a, vlan: 11}")] + common, in: dir)
    #expect(
      planned.stdout.contains(
        "~ network \(net): portgroup pg-a: VLAN 10 → VLAN 11 (running network and definition)"), "\(planned.stdout)")
    let changed = try CLI.run(["apply", try spec("{name: pg-a, vlan: 11}"), "--json"] + common, in: dir)
    let report = try JSONParser.parse(changed.stdout)
    #expect(report["writes"] == 1, "\(changed.stdout)")
    #expect(try env.virsh("net-dumpxml", "--inactive", net).contains("<tag id='11'/>"))
    #expect(try env.virsh("net-dumpxml", net).contains("<tag id='11'/>"), "the running network kept VLAN 10")
    #expect(try env.virsh("net-uuid", net) == uuid)

    // Portgroups added and removed, the default moving from one to another: libvirt takes them in
    // the order given (never two defaults at once), live and in the definition.
    func networkXML(_ flags: [String] = []) throws -> String {
      try env.oracle(env.virsh, ["-c", uri, "net-dumpxml"] + flags + [net])
    }
    func portgroups(_ flags: [String] = []) throws -> [String] {
      try networkXML(flags).split(separator: "\n").filter { $0.contains("<portgroup") }
        .map { $0.trimmingCharacters(in: .whitespaces) }
    }
    let added = try CLI.run(
      ["apply", try spec("{name: pg-a, vlan: 11}, {name: pg-b, vlan: 20, default: true}")] + common, in: dir)
    #expect(added.status == 0, "\(added.stderr)")
    for flags in [[], ["--inactive"]] {
      let xml = try networkXML(flags)
      #expect(try portgroups(flags) == ["<portgroup name='pg-a'>", "<portgroup name='pg-b' default='yes'>"], "\(xml)")
    }
    let moved = try CLI.run(["apply", try spec("{name: pg-a, vlan: 11, default: true}")] + common, in: dir)
    #expect(moved.status == 0, "\(moved.stderr)")
    #expect(moved.stdout.contains("remove portgroup pg-b"), "\(moved.stdout)")
    for flags in [[], ["--inactive"]] { #expect(try portgroups(flags) == ["<portgroup name='pg-a' default='yes'>"]) }
    #expect(try env.virsh("net-uuid", net) == uuid)

    // A portgroup a running VM is on is not removed (reconcile would park the VM's port on VLAN
    // 4095): reported, exit 3, while the NIC's definition moves to the new portgroup (the running
    // NIC keeps its source until the VM restarts); once the VM runs on the new one, it goes.
    _ = try env.virsh("start", vm)
    defer { _ = try? env.virsh("destroy", vm) }
    let away = try spec("{name: pg-c, vlan: 30}", nic: "pg-c")
    let refused = try CLI.run(["apply", away] + common, in: dir)
    #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
    #expect(
      refused.stderr.contains("portgroup pg-a of network \(net) is not in the spec, but running VMs use it (\(vm))"),
      "\(refused.stderr)")
    #expect(try portgroups() == ["<portgroup name='pg-a' default='yes'>", "<portgroup name='pg-c'>"])
    #expect(try env.virsh("dumpxml", "--inactive", vm).contains("portgroup='pg-c'"), "the NIC was not moved")
    _ = try env.virsh("destroy", vm)
    _ = try env.virsh("start", vm)
    let removed = try CLI.run(["apply", away] + common, in: dir)
    #expect(removed.status == 0, "\(removed.stdout)\(removed.stderr)")
    for flags in [[], ["--inactive"]] { #expect(try portgroups(flags) == ["<portgroup name='pg-c'>"]) }
    _ = try env.virsh("destroy", vm)

    // --prune undefines a network an earlier apply defined and the spec dropped; a network made by
    // hand is never touched. On a switch of its own: prune of the shared one would meet (and rightly
    // refuse to touch) other tests' bridges.
    let own = try await PrivateOVSDB.start()
    defer { own.stop() }
    let isolated = ["--db", own.remote, "--connect", uri, "--no-wait"]
    let (extra, manual) = ("ovsvirt-test-avx-\(id)", "ovsvirt-test-avm-\(id)")
    defer { env.remove(networks: [extra, manual]) }
    let withExtra = try spec("{name: pg-a, vlan: 11}")
    try (try String(contentsOfFile: withExtra, encoding: .utf8))
      .replacingOccurrences(of: "domains:", with: "  - {name: \(extra), bridge: \(bridge), vlan: 5}\ndomains:")
      .write(toFile: withExtra, atomically: true, encoding: .utf8)
    #expect(try CLI.run(["apply", withExtra] + isolated, in: dir).status == 0)
    let defined = try CLI.run(["net", "define", manual, "--bridge", bridge] + isolated, in: dir)
    try #require(defined.status == 0, "\(defined.stderr)")
    #expect(try env.virsh("net-list", "--all", "--name").contains(extra))
    let kept = try CLI.run(["apply", try spec("{name: pg-a, vlan: 11}"), "--json"] + isolated, in: dir)
    #expect(try JSONParser.parse(kept.stdout)["writes"] == 0, "without --prune nothing goes: \(kept.stdout)")
    let pruned = try CLI.run(["apply", try spec("{name: pg-a, vlan: 11}"), "--prune"] + isolated, in: dir)
    #expect(pruned.status == 0, "\(pruned.stderr)")
    #expect(pruned.stdout.contains("- network \(extra): defined by ovsvirt, not in the spec"), "\(pruned.stdout)")
    let names = try env.virsh("net-list", "--all", "--name")
    #expect(!names.contains(extra) && names.contains(manual) && names.contains(net), "\(names)")
  }

  /// OVS committed, then libvirt refuses a step: exit 3, what was applied, what failed, what to run.
  @Test func libvirtFailureAfterOVSExitsThreeAndSaysWhatToRun() async throws {
    let env = try await VMEnvironment.require("applf")
    defer { env.cleanUp() }
    let (uri, db, dir) = (env.uri, env.db, env.directory)
    let id = getpid() % 100000
    let (bridge, net) = ("afbr\(id)", "ovsvirt-test-afn-\(id)")
    let common = ["--db", db, "--connect", uri]
    defer { env.remove(networks: [net], bridges: [bridge]) }
    // A customised network template libvirt will not accept (unknown forward mode).
    let templates = dir + "/templates"
    try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: true)
    try "<network><name>{{name}}</name><forward mode='teleport'/><bridge name='{{bridge}}'/></network>\n".write(
      toFile: templates + "/network.xml.mustache", atomically: true, encoding: .utf8)
    let spec = dir + "/spec.yaml"
    try """
    bridges: [{name: \(bridge)}]
    networks: [{name: \(net), bridge: \(bridge)}]
    domains:
      - name: ovsvirt-test-nosuchvm-\(id)
        interfaces: [{mac: '52:54:00:ab:00:09', bridge: \(bridge)}]
    """.write(toFile: spec, atomically: true, encoding: .utf8)
    let result = try CLI.run(["apply", spec, "--templates", templates] + common, in: dir)
    #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
    #expect(result.stderr.contains("OVS is applied"), "\(result.stderr)")
    #expect(result.stderr.contains("libvirt step failed: + network \(net)"), "\(result.stderr)")
    #expect(result.stderr.contains("not done: ~ network \(net): start"), "\(result.stderr)")
    #expect(result.stderr.contains("domain 'ovsvirt-test-nosuchvm-\(id)' is not defined on this host"))
    #expect(result.stderr.contains("run `ovsvirt apply \(spec)` again"))
    #expect(try env.vsctl("br-exists", bridge) == "")
  }

  /// A network's `mtu:` reaches the guests the only way libvirt takes it for a bridge-mode network:
  /// as `<mtu size>` on each NIC ovsvirt writes (libvirt 9.0 refuses `<mtu>` in such a network —
  /// "mtu size only allowed in open, route, nat, and isolated mode"). Reapplying writes nothing;
  /// a changed mtu is one change to the definition.
  @Test func networkMTUGoesOnTheNICsLibvirtAccepts() async throws {
    let env = try await VMEnvironment.require("applm")
    defer { env.cleanUp() }
    let (uri, db, dir) = (env.uri, env.db, env.directory)
    let id = getpid() % 100000
    let (bridge, vm, net) = ("ambr\(id)", "ovsvirt-test-am-\(id)", "ovsvirt-test-amn-\(id)")
    let common = ["--db", db, "--connect", uri]
    defer { env.remove(domains: [vm], networks: [net], bridges: [bridge]) }
    try env.virsh(
      "define",
      xml: VMEnvironment.tinyVM(
        vm,
        interfaces: ["<interface type='bridge'><mac address='52:54:00:ab:01:01'/><source bridge='virbr9'/></interface>"]
      ))
    func spec(mtu: Int) throws -> String {
      let path = dir + "/spec.yaml"
      try """
      bridges:
        - name: \(bridge)
          datapath_type: netdev
      networks:
        - name: \(net)
          bridge: \(bridge)
          mtu: \(mtu)
          portgroups: [{name: pg-a, vlan: 10, default: true}]
      domains:
        - name: \(vm)
          interfaces: [{mac: '52:54:00:ab:01:01', network: \(net)}]
      """.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
    let first = try CLI.run(["apply", try spec(mtu: 1446), "--json"] + common, in: dir)
    #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
    #expect(!(try env.virsh("net-dumpxml", net)).contains("<mtu"))
    #expect(try env.virsh("dumpxml", "--inactive", vm).contains("<mtu size='1446'/>"))
    let again = try CLI.run(["apply", try spec(mtu: 1446), "--json"] + common, in: dir)
    #expect(try JSONParser.parse(again.stdout)["writes"] == 0, "\(again.stdout)")
    let planned = try CLI.run(["plan", try spec(mtu: 1400)] + common, in: dir)
    #expect(planned.stdout.contains("mtu 1446 → 1400"), "\(planned.stdout)")
    let changed = try CLI.run(["apply", try spec(mtu: 1400)] + common, in: dir)
    #expect(changed.status == 0, "\(changed.stderr)")
    #expect(try env.virsh("dumpxml", "--inactive", vm).contains("<mtu size='1400'/>"))
  }
}
