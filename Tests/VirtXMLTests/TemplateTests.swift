import Foundation
import Testing

@testable import VirtXML

@Suite struct TemplateTests {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  @Test func embeddedTemplatesMatchTheTemplatesFolder() throws {
    let folder = Self.repository.appendingPathComponent("templates").path
    let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".mustache") }
    #expect(Set(files.map { String($0.dropLast(".mustache".count)) }) == Set(EmbeddedTemplates.all.keys))
    for file in files {
      let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
      let name = String(file.dropLast(".mustache".count))
      // The literal drops the file's final newline.
      #expect(
        EmbeddedTemplates.all[name] == String(text.dropLast(text.hasSuffix("\n") ? 1 : 0)),
        "run scripts/embed-templates")
    }
  }

  func parse(_ xml: String) throws -> XMLElement {
    let tree = try XMLTree(xml)
    return try #require(tree.root)
  }

  @Test func seedNetworkWithOneVLAN() throws {
    let xml = try NetworkDefinition(name: "ovsvl", bridge: "brlv140", vlan: 140).xml()
    let root = try parse(xml)
    #expect(root.firstChild(named: "name").map { _ in true } == true)
    #expect(root.firstChild(named: "forward")?.attribute("mode") == "bridge")
    #expect(root.firstChild(named: "bridge")?.attribute("name") == "brlv140")
    #expect(root.firstChild(named: "virtualport")?.attribute("type") == "openvswitch")
    #expect(root.firstChild(named: "vlan")?.firstChild(named: "tag")?.attribute("id") == "140")
    #expect(root.children(named: "portgroup").isEmpty)
  }

  @Test func vlanZeroIsStillAVLAN() throws {
    let root = try parse(try NetworkDefinition(name: "n0", bridge: "br0", vlan: 0).xml())
    #expect(root.firstChild(named: "vlan")?.firstChild(named: "tag")?.attribute("id") == "0")
  }

  @Test func portgroupsOfEveryKind() throws {
    let definition = NetworkDefinition(
      name: "ovsvl2", bridge: "ovsbr0",
      portgroups: [
        .init(name: "vlan-120", vlan: .access(120), isDefault: true),
        .init(name: "uplink", vlan: .trunk([120, 130], native: (tag: 110, mode: .untagged))),
        .init(name: "tagged-native", vlan: .trunk([120], native: (tag: 120, mode: .tagged))),
        .init(name: "untagged", vlan: nil),
      ])
    let root = try parse(try definition.xml())
    let groups = root.children(named: "portgroup")
    #expect(groups.map { $0.attribute("name") } == ["vlan-120", "uplink", "tagged-native", "untagged"])
    #expect(groups[0].attribute("default") == "yes")
    #expect(groups[0].firstChild(named: "vlan")?.attribute("trunk") == nil)
    #expect(groups[0].firstChild(named: "vlan")?.children(named: "tag").map { $0.attribute("id") } == ["120"])
    let uplink = try #require(groups[1].firstChild(named: "vlan"))
    #expect(uplink.attribute("trunk") == "yes")
    #expect(uplink.children(named: "tag").map { $0.attribute("id") } == ["110", "120", "130"])
    #expect(uplink.children(named: "tag").first?.attribute("nativeMode") == "untagged")
    let tagged = try #require(groups[2].firstChild(named: "vlan"))
    #expect(tagged.attribute("trunk") == "yes")
    #expect(tagged.children(named: "tag").first?.attribute("nativeMode") == "tagged")
    #expect(groups[3].firstChild(named: "vlan") == nil)
    #expect(groups[1].attribute("default") == nil)
  }

  @Test func valuesAreEscaped() throws {
    let xml = try NetworkDefinition(name: "a'b<c>&\"d", bridge: "br0").xml()
    let root = try parse(xml)
    #expect(root.children(named: "name").isEmpty == false)
    #expect(xml.contains("a&#39;b&lt;c&gt;&amp;&quot;d"))
  }

  @Test func customTemplatesAreUsedAndChecked() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tpl-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let custom = "<network><name>{{name}}</name><!-- site standard --><bridge name='{{bridge}}'/></network>"
    try custom.write(toFile: dir + "/network.xml.mustache", atomically: true, encoding: .utf8)
    let xml = try NetworkDefinition(name: "n", bridge: "br0").xml(try Templates(directory: dir))
    #expect(xml.contains("<!-- site standard -->"))
    try "<domain>{{name}}</domain>".write(toFile: dir + "/network.xml.mustache", atomically: true, encoding: .utf8)
    #expect(throws: XMLError.self) {
      try NetworkDefinition(name: "n", bridge: "br0").xml(try Templates(directory: dir))
    }
    try "<network><name>{{name}}</name>".write(toFile: dir + "/network.xml.mustache", atomically: true, encoding: .utf8)
    #expect(throws: XMLError.self) {
      try NetworkDefinition(name: "n", bridge: "br0").xml(try Templates(directory: dir))
    }
    #expect(throws: XMLError.self) { try Templates(directory: dir + "/missing") }
  }
}
