import Foundation
import Testing
import TestSupport

/// `ovsvirt net …` against the private libvirtd and OVS of scripts/test, with virsh and ovs-vsctl as oracles.
@Suite(.blockingWork) struct NetCommandTests {
  struct Environment {
    let uri: String
    let db: String
    let dir: String
    let lease: HostLease
  }

  func environment() async throws -> Environment {
    let uri = try Integration.environment("OVSVIRT_LIBVIRT_URI")
    let db = try Integration.environment("OVSVIRT_TEST_DB")
    _ = try Integration.program("virsh")
    return Environment(uri: uri, db: db, dir: try TemporaryDirectory.make("net"), lease: try await HostLease.acquire())
  }

  func virsh(_ env: Environment, _ args: String...) throws -> String {
    try CLI.runProgram(try Integration.program("virsh"), ["-c", env.uri] + args, in: env.dir)
  }

  @Test func definePortgroupNetworkOnANewBridgeAndDeleteIt() async throws {
    let env = try await environment()
    defer {
      try? FileManager.default.removeItem(atPath: env.dir)
      env.lease.release()
    }
    let name = "ovsvirt-test-pg-\(getpid())"
    let bridge = "tbr\(getpid() % 100000)"
    let common = ["--db", env.db, "--connect", env.uri]
    // Refused while the bridge is missing: nothing defined in libvirt.
    let refused = try CLI.run(
      ["net", "define", name, "--bridge", bridge, "--portgroup", "vlan-120=120"] + common, in: env.dir)
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("does not exist in Open vSwitch"))
    #expect(!(try virsh(env, "net-list", "--all", "--name")).contains(name))

    let defined = try CLI.run(
      [
        "net", "define", name, "--bridge", bridge, "--portgroup", "vlan-120=120", "--portgroup",
        "uplink=120,130;native=110",
        "--default-portgroup", "vlan-120", "--create-bridge", "--start", "--autostart",
      ] + common, in: env.dir)
    #expect(defined.status == 0, "\(defined.stderr)")
    defer {
      _ = try? CLI.run(["net", "del", name, "--if-exists", "--connect", env.uri], in: env.dir)
      _ = try? CLI.run(["bridge", "del", bridge, "--if-exists", "--db", env.db], in: env.dir)
    }
    let ovs = try CLI.runProgram(
      try Integration.program("ovs-vsctl"), ["--db=\(env.db)", "br-exists", bridge], in: env.dir)
    #expect(ovs.isEmpty)
    let xml = try virsh(env, "net-dumpxml", name)
    #expect(xml.contains("<bridge name='\(bridge)'"))
    #expect(xml.contains("<virtualport type='openvswitch'/>"))
    #expect(xml.contains("<portgroup name='vlan-120' default='yes'>"))
    #expect(xml.contains("<tag id='110' nativeMode='untagged'/>"))
    let info = try virsh(env, "net-info", name)
    #expect(info.contains("Active:         yes"))
    #expect(info.contains("Autostart:      yes"))

    let listed = try CLI.run(["net", "list", "--json", "--connect", env.uri], in: env.dir)
    #expect(listed.stdout.contains("\"name\":\"\(name)\""))
    let deleted = try CLI.run(["net", "del", name, "--connect", env.uri], in: env.dir)
    #expect(deleted.status == 0)
    #expect(!(try virsh(env, "net-list", "--all", "--name")).contains(name))
    let again = try CLI.run(["net", "del", name, "--connect", env.uri], in: env.dir)
    #expect(again.status == 1)
  }

  @Test func badPortgroupsAreRefusedBeforeAnything() async throws {
    let dir = try TemporaryDirectory.make("netbad")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (spec, reason) in [
      ("=120", "write NAME=VLAN"), ("pg=5000", "VLANs 0–4095"), ("pg=1,x", "VLANs 0–4095"),
      ("pg=1;nat=2", "is not native=N"),
    ] {
      let result = try CLI.run(
        [
          "net", "define", "n", "--bridge", "b", "--portgroup", spec, "--dry-run", "--db", "unix:\(dir)/none",
          "--connect", "test:///default",
        ],
        in: dir)
      #expect(result.status == 1, "\(spec)")
      #expect(result.stderr.contains(reason), "\(spec): \(result.stderr)")
    }
  }
}
