import Foundation
import Libvirt
import Testing
import TestSupport

@Suite struct TestDriverTests {
  @Test func testDriverHasItsDefaultObjects() throws {
    let connection = try Connection(uri: "test:///default")
    #expect(try connection.driverType().uppercased() == "TEST")
    #expect(try connection.domainNames() == ["test"])
    #expect(try connection.networkNames() == ["default"])
    #expect(try connection.canonicalURI() == "test:///default")
  }

  @Test func badURIKeepsLibvirtsMessage() {
    do {
      _ = try Connection(uri: "nosuchdriver:///x")
      Issue.record("opened a bogus URI")
    } catch {
      #expect(error.code != 0)
      #expect(!error.message.isEmpty)
      #expect(error.description.contains("virConnectOpen(nosuchdriver:///x)"))
    }
  }
}

/// Against the libvirtd that scripts/test started (qemu:///system), with virsh as the oracle.
@Suite struct SystemLibvirtdTests {
  @Test func readsWhatVirshReads() throws {
    let uri = try Integration.environment("OVSVIRT_LIBVIRT_URI")
    let virsh = try Integration.program("virsh")
    let connection: Connection
    do {
      connection = try Connection(uri: uri)
    } catch {
      try Integration.unavailable("libvirtd at \(uri) does not answer: \(error)")
    }
    #expect(try connection.driverType() == "QEMU")
    let version = try connection.libraryVersion()
    #expect(version.major >= 8)
    let out = try TemporaryDirectory.make("virsh") + "/out"
    let oracle = try CommandRunnerHelper.run(virsh, ["-c", uri, "net-list", "--all", "--name"], outputFile: out)
    let expected = oracle.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    #expect(try connection.networkNames() == expected.sorted())
  }
}
