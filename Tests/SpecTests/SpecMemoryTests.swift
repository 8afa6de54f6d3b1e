import Foundation
import OVSVirt
import Testing
import TestSupport

/// Loading a spec costs at most about ten times the file: the peak resident memory of `ovsvirt plan`
/// on a 2 MiB spec, less that on a two-line one, measured by the kernel (wait4's ru_maxrss) for the
/// child alone. `plan` loads the spec before it connects, so a database that is not there ends it
/// right after loading.
@Suite(.blockingWork) struct SpecMemoryTests {
  /// Peak resident memory in bytes of `ovsvirt plan FILE` against no database.
  static func peak(_ spec: String, in directory: String) throws -> (bytes: Int, stderr: String) {
    let err = directory + "/plan-\(UUID().uuidString).err"
    defer { try? FileManager.default.removeItem(atPath: err) }
    let pid = try CommandRunner.launch(
      try CLI.binary(), ["plan", spec, "--db", "unix:\(directory)/no-such.sock", "--timeout", "5"],
      stdout: "/dev/null", stderr: err)
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
    return (usage.ru_maxrss * 1024, (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
  }

  /// A spec like the README's 4 MiB one, half the size: bridges of ports as flow mappings.
  static func bigSpec(bytes limit: Int) -> String {
    var text = "bridges:\n"
    var port = 0
    var bridge = 0
    while text.utf8.count < limit - 200 {
      text += "  - name: br\(bridge)\n    datapath_type: netdev\n    ports:\n"
      bridge += 1
      for _ in 0..<1000 where text.utf8.count < limit - 200 {
        text +=
          port % 10 == 0
          ? "      - {name: p\(port), trunks: [10, 20, 30]}\n"
          : "      - {name: p\(port), access: \(port % 4000 + 1)}\n"
        port += 1
      }
    }
    return text
  }

  @Test func loadingStaysWithinTenTimesTheFile() throws {
    let directory = try TemporaryDirectory.make("specmem")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let small = directory + "/small.yaml"
    let big = directory + "/big.yaml"
    try "bridges:\n  - name: br0\n".write(toFile: small, atomically: true, encoding: .utf8)
    let text = Self.bigSpec(bytes: 2 << 20)
    try text.write(toFile: big, atomically: true, encoding: .utf8)
    let baseline = try Self.peak(small, in: directory)
    let loaded = try Self.peak(big, in: directory)
    // The spec loaded (no problem listed): what failed is connecting, after loading.
    #expect(!loaded.stderr.contains("problem"), "\(loaded.stderr)")
    let growth = loaded.bytes - baseline.bytes
    let ratio = Double(growth) / Double(text.utf8.count)
    #expect(ratio <= 10, "\(growth) bytes more than for a two-line spec, \(ratio)× the \(text.utf8.count)-byte file")
  }
}
