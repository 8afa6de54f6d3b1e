import Foundation
import Testing
import TestSupport

/// `attach` keeps every part of a definition it does not mean to change, and refuses a target that
/// does not exist before writing anything.
@Suite(.blockingWork) struct AttachSafetyTests {
  static func domain(_ name: String, interface: String) -> String {
    """
    <domain type='qemu'>
      <name>\(name)</name>
      <memory unit='MiB'>64</memory>
      <vcpu>1</vcpu>
      <os><type arch='x86_64' machine='pc'>hvm</type></os>
      <devices>
        <emulator>/usr/bin/qemu-system-x86_64</emulator>
        \(interface)
        <graphics type='vnc' port='-1' autoport='yes' passwd='s3cr3tpw'/>
      </devices>
    </domain>
    """
  }

  @Test func graphicsPasswordSurvivesAttach() async throws {
    let env = try await VMEnvironment.require("attpw")
    defer { env.cleanUp() }
    let id = getpid() % 100000
    let (vm, network) = ("ovsvirt-test-attpw-\(id)", "ovsvirt-test-attpwnet-\(id)")
    defer { env.remove(domains: [vm], networks: [network]) }
    try env.virsh(
      "net-define",
      xml: """
        <network><name>\(network)</name><forward mode='bridge'/><bridge name='attpwbr'/>
        <virtualport type='openvswitch'/><portgroup name='v120' default='yes'><vlan><tag id='120'/></vlan></portgroup>
        </network>
        """)
    try env.virsh(
      "define",
      xml: Self.domain(
        vm, interface: "<interface type='user'><mac address='52:54:00:a7:00:01'/><model type='e1000'/></interface>"))
    #expect(try env.virsh("dumpxml", "--security-info", vm).contains("passwd='s3cr3tpw'"))

    let moved = try CLI.run(
      ["attach", vm, "--mac", "52:54:00:a7:00:01", "--network", network, "--portgroup", "v120", "--connect", env.uri],
      in: env.directory)
    #expect(moved.status == 0, "\(moved.stderr)")
    let after = try env.virsh("dumpxml", "--security-info", vm)
    #expect(after.contains("passwd='s3cr3tpw'"), "the VNC password was lost:\n\(after)")
    #expect(after.contains("portgroup='v120'"))
  }

  @Test func missingNetworkOrPortgroupIsRefusedAndNothingChanges() async throws {
    let env = try await VMEnvironment.require("attmiss")
    defer { env.cleanUp() }
    let id = getpid() % 100000
    let (vm, network) = ("ovsvirt-test-attmiss-\(id)", "ovsvirt-test-attmissnet-\(id)")
    defer { env.remove(domains: [vm], networks: [network]) }
    try env.virsh(
      "net-define",
      xml: """
        <network><name>\(network)</name><forward mode='bridge'/><bridge name='attmissbr'/>
        <virtualport type='openvswitch'/><portgroup name='v120' default='yes'><vlan><tag id='120'/></vlan></portgroup>
        </network>
        """)
    try env.virsh(
      "define",
      xml: Self.domain(
        vm,
        interface:
          "<interface type='bridge'><mac address='52:54:00:a7:00:02'/><source bridge='virbr9'/><model type='e1000'/></interface>"
      ))
    let before = try env.virsh("dumpxml", "--inactive", "--security-info", vm)
    for (args, says) in [
      (["--network", "ovsvirt-test-no-such-net-\(id)"], "no network"),
      (["--network", network, "--portgroup", "no-such-group"], "no portgroup 'no-such-group'"),
      (["--network", "ovsvirt-test-no-such-net-\(id)", "--config"], "no network"),
    ] {
      let refused = try CLI.run(
        ["attach", vm, "--mac", "52:54:00:a7:00:02"] + args + ["--connect", env.uri], in: env.directory)
      #expect(refused.status == 1, "\(args): \(refused.stderr)")
      #expect(refused.stderr.contains(says), "\(args): \(refused.stderr)")
      #expect(try env.virsh("dumpxml", "--inactive", "--security-info", vm) == before, "\(args) changed the definition")
    }
    // A new NIC onto a missing network is refused the same way.
    let added = try CLI.run(
      [
        "attach", vm, "--mac", "52:54:00:a7:00:09", "--network", "ovsvirt-test-no-such-net-\(id)", "--connect", env.uri,
      ],
      in: env.directory)
    #expect(added.status == 1, "\(added.stderr)")
    #expect(try env.virsh("dumpxml", "--inactive", "--security-info", vm) == before)
  }
}
