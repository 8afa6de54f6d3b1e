import Testing
import VSwitch

@Suite struct ValidationTests {
  @Test(arguments: ["ovsbr0", "brlv140", "vxlan0", "ens3f4", "a", "exactly15bytes!"])
  func acceptsKernelInterfaceNames(name: String) throws {
    #expect(try InterfaceName(name).rawValue == name)
  }

  @Test(arguments: [
    ("", "is empty"), ("sixteen-bytes-xx", "longer than"), ("a/b", "'/'"), ("a b", "whitespace"),
    ("tab\tx", "whitespace"), (".", "reserved"), ("ünïcödé-nämé", "longer than"),
  ])
  func rejectsBadNamesNamingTheFix(name: String, problem: String) {
    do {
      _ = try InterfaceName(name, role: "port")
      Issue.record("accepted '\(name)'")
    } catch {
      #expect(error.description.contains(problem))
      #expect(error.description.contains("port"))
      #expect(error.fix.contains("1–15 bytes"))
    }
  }

  @Test func vlanRange() throws {
    #expect(try VLANID(0).value == 0)
    #expect(try VLANID(4095) == VLANID.dead)
    #expect(throws: ValidationError.self) { try VLANID(4096) }
    #expect(throws: ValidationError.self) { try VLANID(-1) }
  }

  @Test func trunkLists() throws {
    #expect(try VLANID.parseList("120,130").map(\.value) == [120, 130])
    #expect(try VLANID.parseList(" 130, 120 ,125-127,120").map(\.value) == [120, 125, 126, 127, 130])
    for bad in ["", "120,", "abc", "10-5", "4096", "1-4096", "1--2"] {
      #expect(throws: ValidationError.self, "\(bad)") { try VLANID.parseList(bad) }
    }
  }
}
