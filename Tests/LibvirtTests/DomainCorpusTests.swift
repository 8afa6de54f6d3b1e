import Foundation
import Testing
import TestSupport

/// Real-world domain definitions (Tests/LibvirtTests/Corpus, origins in SOURCES.md) defined on the
/// test libvirtd, one NIC moved onto an OVS network portgroup and then onto an OVS bridge trunk with
/// `ovsvirt attach`, each time compared with what libvirt itself keeps: everything but the chosen NIC
/// is unchanged, and the NIC changed only as attach means it to.
@Suite(.blockingWork) struct DomainCorpusTests {
  static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

  /// What a NIC may lose when it changes type: its source and VLAN are replaced; host- or guest-side
  /// addressing of ethernet / user NICs, passt's port forwards are what libvirt refuses on an OVS NIC.
  static let replacedChildren: Set<String> = ["source", "vlan", "virtualport", "ip", "route", "portForward"]
  /// Children attach may edit (an attribute only the old type allowed) but must not drop.
  static let editedChildren: Set<String> = ["target", "driver", "backend", "bandwidth", "port"]

  @Test func everyDefinitionKeepsAllButTheChosenNIC() async throws {
    let env = try await VMEnvironment.require("corpus")
    defer { env.cleanUp() }
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).filter { $0.hasSuffix(".xml") }
      .sorted()
    #expect(files.count >= 60, "the corpus has \(files.count) definitions")
    let id = getpid() % 100000
    let network = "ovsvirt-test-corpusnet-\(id)"
    try env.virsh(
      "net-create",
      xml: """
        <network><name>\(network)</name><forward mode='bridge'/><bridge name='corpusbr'/>
        <virtualport type='openvswitch'/>
        <portgroup name='v120' default='yes'><vlan><tag id='120'/></vlan></portgroup>
        <portgroup name='v130'><vlan><tag id='130'/></vlan></portgroup>
        </network>
        """)
    defer { env.remove(networks: [network]) }

    // Hundreds of blocking virsh and ovsvirt runs: on a thread of the test's own, not on one of the
    // two pool threads the suite's other tests (timers, reconnects) need.
    let checks = self
    let failures: [String] = await withCheckedContinuation { done in
      Thread {
        var failures: [String] = []
        for (index, file) in files.enumerated() {
          let name = "ovsvirt-test-corpus-\(id)-\(index)"
          defer {
            _ = try? env.virsh("undefine", name, "--nvram")
            _ = try? env.virsh("undefine", name)
          }
          do {
            try checks.check(file, as: name, network: network, env: env)
          } catch {
            failures.append("\(file): \(error)")
          }
        }
        done.resume(returning: failures)
      }.start()
    }
    let report = failures.joined(separator: "\n")
    #expect(failures.isEmpty, "\(failures.count) of \(files.count):\n\(report)")
  }

  struct Mismatch: Error, CustomStringConvertible {
    var description: String
  }

  func check(_ file: String, as name: String, network: String, env: VMEnvironment) throws {
    var xml = try String(contentsOf: Self.corpus.appendingPathComponent(file), encoding: .utf8)
    // Made definable here: a name of the test's own, no uuid (libvirt gives one), TCG instead of KVM.
    xml = xml.replacingOccurrences(of: #"<uuid>[^<]*</uuid>"#, with: "", options: .regularExpression)
    xml = xml.replacingOccurrences(
      of: #"<name>[^<]*</name>"#, with: "<name>\(name)</name>", options: .regularExpression,
      range: xml.range(of: #"<name>[^<]*</name>"#, options: .regularExpression))
    xml = xml.replacingOccurrences(of: "<domain type='kvm'", with: "<domain type='qemu'")
    xml = xml.replacingOccurrences(of: "<domain type=\"kvm\"", with: "<domain type=\"qemu\"")
    try env.virsh("define", xml: xml)
    // What libvirt itself keeps: its own round trip (define what it printed) settles the order it
    // puts implicit devices in, so the comparison below sees only what attach changed.
    try env.virsh("define", xml: try env.virsh("dumpxml", "--inactive", "--security-info", name))
    let kept = try env.virsh("dumpxml", "--inactive", "--security-info", name)
    // The first NIC whose MAC no other NIC shares (libvirt allows duplicates; attach selects by MAC
    // and refuses an ambiguous one); without such a NIC, attach adds one.
    let macs = Self.interfaceBlocks(kept).compactMap(Self.mac)
    let mac = macs.first { candidate in macs.filter { $0 == candidate }.count == 1 } ?? "52:54:00:c0:ff:ee"

    for (step, target) in [
      ["--network", network, "--portgroup", "v130"], ["--bridge", "corpusbr", "--trunk", "120,130"],
    ].enumerated() {
      let before = try env.virsh("dumpxml", "--inactive", "--security-info", name)
      let attached = try CLI.run(
        ["attach", name, "--mac", mac, "--config", "--connect", env.uri] + target, in: env.directory)
      guard attached.status == 0 else {
        throw Mismatch(description: "attach \(target) exited \(attached.status): \(attached.stderr)")
      }
      let after = try env.virsh("dumpxml", "--inactive", "--security-info", name)
      let (restBefore, oldNIC) = Self.splitting(before, at: mac)
      let (restAfter, newNIC) = Self.splitting(after, at: mac)
      guard let newNIC else { throw Mismatch(description: "step \(step): the NIC \(mac) is gone") }
      // A NIC added to a domain that had none may need a PCI controller libvirt adds by itself.
      let addedControllers = oldNIC == nil ? Self.withoutNewControllers(restAfter, comparedTo: restBefore) : restAfter
      guard addedControllers == restBefore else {
        throw Mismatch(
          description: "step \(step): more than the NIC changed:\n\(Self.diff(restBefore, addedControllers))")
      }
      try expectMoved(oldNIC, to: newNIC, target: target, mac: mac, step: step)
    }
  }

  /// The new NIC joins the target as attach means, and kept every child it had but what its old type
  /// alone allowed.
  func expectMoved(_ old: [String]?, to new: [String], target: [String], mac: String, step: Int) throws {
    let text = new.joined(separator: "\n")
    func require(_ condition: Bool, _ what: String) throws {
      guard condition else { throw Mismatch(description: "step \(step): \(what):\n\(text)") }
    }
    try require(text.contains("<mac address='\(mac)'/>"), "MAC changed")
    try require(text.contains("<virtualport type='openvswitch'>"), "no OVS virtualport")
    try require(text.contains("interfaceid='"), "no interfaceid")
    if target[0] == "--network" {
      try require(new[0].contains("type='network'"), "not a network NIC")
      try require(text.contains("network='\(target[1])' portgroup='\(target[3])'"), "wrong source")
      try require(!text.contains("<vlan"), "an interface <vlan> would override the portgroup")
    } else {
      try require(new[0].contains("type='bridge'"), "not a bridge NIC")
      try require(text.contains("<source bridge='\(target[1])'/>"), "wrong source")
      try require(text.contains("<vlan trunk='yes'>"), "no trunk")
    }
    guard let old else { return }
    let oldChildren = Self.children(old)
    let newChildren = Self.children(new)
    for (child, block) in oldChildren where !Self.replacedChildren.contains(child) {
      guard let now = newChildren[child] else {
        // Port isolation (Linux bridge only) and a bandwidth that was only a floor are refused on
        // an OVS NIC.
        if (child == "port" && block.contains("isolated=")) || (child == "bandwidth" && block.contains("floor=")) {
          continue
        }
        // A hostdev NIC's `<driver name='vfio'/>` says nothing else: it goes with the type.
        if child == "driver", block.contains("name='vfio'") || block.contains("name='kvm'"),
          !block.contains("queues"), !block.contains("<host"), !block.contains("<guest")
        {
          continue
        }
        throw Mismatch(description: "step \(step): <\(child)> was dropped:\n\(text)")
      }
      if !Self.editedChildren.contains(child) {
        try require(now == block, "<\(child)> changed")
      }
    }
  }

  /// The `<interface>` blocks of libvirt's formatted XML, as lines.
  static func interfaceBlocks(_ xml: String) -> [[String]] {
    var blocks: [[String]] = []
    var current: [String]?
    for line in xml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if current == nil, trimmed.hasPrefix("<interface ") {
        if trimmed.hasSuffix("/>") {
          blocks.append([line])
          continue
        }
        current = [line]
        continue
      }
      if current != nil {
        current?.append(line)
        if trimmed == "</interface>", let done = current {
          blocks.append(done)
          current = nil
        }
      }
    }
    return blocks
  }

  static func mac(_ block: [String]) -> String? {
    for line in block {
      guard let range = line.range(of: #"<mac address='[^']*'"#, options: .regularExpression) else { continue }
      return String(line[range].dropFirst("<mac address='".count).dropLast())
    }
    return nil
  }

  /// The XML without the interface that has `mac`, and that interface's lines.
  static func splitting(_ xml: String, at mac: String) -> (String, [String]?) {
    let lines = xml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let block = interfaceBlocks(xml).first(where: { Self.mac($0) == mac }),
      let start = (0...(lines.count - block.count)).first(where: { Array(lines[$0..<$0 + block.count]) == block })
    else { return (xml, nil) }
    var rest = lines
    rest.removeSubrange(start..<start + block.count)
    return (rest.joined(separator: "\n"), block)
  }

  /// Each direct child element of an interface block by name (first of each name), as text.
  static func children(_ block: [String]) -> [String: String] {
    guard block.count > 2 else { return [:] }
    let inner = block.dropFirst().dropLast()
    let indent = inner.first.map { $0.prefix { $0 == " " }.count } ?? 0
    var result: [String: String] = [:]
    var name: String?
    var lines: [String] = []
    func flush() {
      if let name, result[name] == nil { result[name] = lines.joined(separator: "\n") }
    }
    for line in inner {
      let depth = line.prefix { $0 == " " }.count
      if depth == indent, line.dropFirst(depth).hasPrefix("<"), !line.dropFirst(depth).hasPrefix("</") {
        flush()
        let tag = line.dropFirst(depth + 1).prefix { $0 != " " && $0 != ">" && $0 != "/" }
        name = String(tag)
        lines = [line]
      } else {
        lines.append(line)
      }
    }
    flush()
    return result
  }

  /// `after` without `<controller>` lines libvirt added that `before` lacks.
  static func withoutNewControllers(_ after: String, comparedTo before: String) -> String {
    let known = Set(before.split(separator: "\n").map(String.init))
    var lines: [String] = []
    var skipping = false
    for line in after.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if !skipping, trimmed.hasPrefix("<controller "), !known.contains(line) {
        skipping = !trimmed.hasSuffix("/>")
        continue
      }
      if skipping {
        if trimmed == "</controller>" { skipping = false }
        continue
      }
      lines.append(line)
    }
    return lines.joined(separator: "\n")
  }

  static func diff(_ a: String, _ b: String) -> String {
    let left = a.split(separator: "\n").map(String.init)
    let right = b.split(separator: "\n").map(String.init)
    let gone = left.filter { !right.contains($0) }.map { "- " + $0 }
    let new = right.filter { !left.contains($0) }.map { "+ " + $0 }
    return (gone + new).prefix(20).joined(separator: "\n")
  }
}
