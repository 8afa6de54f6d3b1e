import Foundation
import Testing
import TestSupport

/// ovs-vsctl users write `--db=` before the command, virsh users `-c URI`: same meaning as after.
@Suite(.blockingWork) struct LeadingOptionsTests {
  @Test func optionsBeforeTheCommandMeanTheSame() async throws {
    let db = try await PrivateOVSDB.start()
    defer { db.stop() }
    let dir = db.sandbox.directory
    let added = try CLI.run(["--db", db.remote, "bridge", "add", "br0"], in: dir)
    #expect(added.status == 0, "\(added.stderr)")
    let port = try CLI.run(["--db=\(db.remote)", "--no-wait", "port", "add", "br0", "p1", "--access", "120"], in: dir)
    #expect(port.status == 0, "\(port.stderr)")
    let before = try CLI.run(["--db", db.remote, "show"], in: dir)
    let after = try CLI.run(["show", "--db", db.remote], in: dir)
    #expect(before.status == 0)
    #expect(before.stdout == after.stdout)
    #expect(before.stdout.contains("p1"))
    let json = try CLI.run(["--json", "--db", db.remote, "bridge", "list"], in: dir)
    #expect(json.stdout == (try CLI.run(["bridge", "list", "--json", "--db", db.remote], in: dir)).stdout)
    // Still refused as after the command: an option the command does not take.
    let refused = try CLI.run(["--templates", "/nonexistent", "show", "--db", db.remote], in: dir)
    #expect(refused.status == 1, "\(refused.stderr)")
    // -c is virsh's --connect.
    let help = try CLI.run(["--help"], in: dir)
    #expect(help.stdout.contains("--db, --connect (or -c)"))
  }
}
