import Foundation
import OVSVirt
import Testing
import TestSupport

extension DataPlaneTests {
  /// The short soak CI runs: `scripts/soak 2` (two minutes of drifts, daemon restarts and guests
  /// stopped and started under `watch`, see the script) must pass every check. A random seed each run,
  /// printed, so a failure can be replayed with `scripts/soak 2 --seed N`.
  @Suite(.serialized) struct SoakTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path

    @Test func twoMinuteSoakPassesEveryCheck() throws {
      guard getuid() == 0 else { try Integration.unavailable("network namespaces need root") }
      _ = try Integration.environment("OVSVIRT_GUEST_IMAGE")
      for program in ["libvirtd", "qemu-system-x86_64", "virsh", "ovs-vsctl", "ovsdb-client", "stdbuf", "tail"] {
        _ = try Integration.program(program)
      }
      let python = "/usr/bin/python3"
      guard FileManager.default.isExecutableFile(atPath: python) else {
        try Integration.unavailable("\(python) is missing (scripts/bootstrap installs it with python3-openvswitch)")
      }
      let directory = try TemporaryDirectory.make("soak")
      let seed = UInt32.random(in: 0...UInt32.max)
      let out = directory + "/soak.out"
      let status = try CommandRunner.spawn(
        python, [Self.repository + "/scripts/soak", "2", "--seed", "\(seed)", "--dir", directory + "/lab"],
        environment: ["OVSVIRT_BIN": try CLI.binary()], stdout: out, stderr: nil)
      let output = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
      print(output.split(separator: "\n").filter { !$0.hasPrefix("soak: guest") }.joined(separator: "\n"))
      #expect(status == 0, "scripts/soak 2 --seed \(seed) exited \(status):\n\(output)")
      #expect(output.contains("PASS  every drift corrected"), "\(output)")
      if status == 0 { try? FileManager.default.removeItem(atPath: directory) }
    }
  }
}
