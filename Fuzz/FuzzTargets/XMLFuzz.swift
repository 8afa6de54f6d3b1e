import VirtXML

extension FuzzTarget {
  /// The interface patcher (libxml2 underneath) on any text as a domain's XML, with one kind of
  /// selector and target per input (its length picks which, so executions stay fast): it patches
  /// or throws, and patching its own output again changes nothing. `retag` and `interface` run on
  /// every input.
  public static let xml = FuzzTarget(name: "xml") { input throws(FuzzFailure) in
    let text = String(decoding: input, as: UTF8.self)
    let (selector, target, mtu) = XMLFuzz.cases[input.count % XMLFuzz.cases.count]
    try XMLFuzz.patchTwice(text, selector, target, mtu)
    _ = try? InterfacePatcher.retag(domainXML: text, select: .only, vlan: .access(5))
    _ = try? InterfacePatcher.interface(select: .mac("52:54:00:aa:00:01"), in: text)
  }
}

enum XMLFuzz {
  static let cases: [(InterfaceSelector, InterfaceTarget, Int?)] = [
    (.only, .network("net0", portgroup: "vlan-120"), nil),
    (.mac("52:54:00:AA:00:01"), .bridge("br0", vlan: .access(120)), 9000),
    (.targetDevice("vnet0"), .bridge("br0", vlan: .trunk([10, 20], native: (tag: 10, mode: .untagged))), nil),
    (.only, .bridge("br0", vlan: nil), 1500),
  ]

  static func patchTwice(
    _ text: String, _ selector: InterfaceSelector, _ target: InterfaceTarget, _ mtu: Int?
  ) throws(FuzzFailure) {
    guard
      let patched = try? InterfacePatcher.patch(
        domainXML: text, select: selector, to: target, interfaceID: "fuzz-id", mtu: mtu)
    else { return }
    let again: PatchedInterface
    do {
      _ = try XMLTree(patched.interfaceXML)
      again = try InterfacePatcher.patch(
        domainXML: patched.domainXML, select: selector, to: target, interfaceID: "other-id", mtu: mtu)
    } catch {
      throw FuzzFailure("the patched XML is refused (\(error)):\n\(patched.domainXML)")
    }
    guard again.interfaceXML == patched.interfaceXML, again.interfaceID == patched.interfaceID else {
      throw FuzzFailure("patching twice differs:\n\(patched.interfaceXML)\n---\n\(again.interfaceXML)")
    }
  }
}
