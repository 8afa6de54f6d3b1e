import OVSVirt
import Testing

/// What apply says about ports not up when its wait ends: at scale, a count first, at most `listed`
/// ports named, the rest counted; a single port is only named.
@Suite struct UnboundTests {
  func ports(_ count: Int) -> [NorthboundConverger.VMPort] {
    (0..<count).map {
      NorthboundConverger.VMPort(
        domain: "vm\($0)", mac: "52:54:00:00:00:\(String($0 % 256, radix: 16))", interfaceID: "port-\($0)",
        network: "tenant", portgroup: nil)
    }
  }

  @Test func hundredsStillBindingAreSummarisedAndCapped() {
    let pending = ports(313)
    let lines = Unbound(ports: pending, of: 334, cameUp: 21).problems { "on br-int, not claimed (\($0.domain))" }
    #expect(lines.count == 1 + 20 + 1, "\(lines)")
    #expect(lines.first?.hasPrefix("313 of 334 logical ports of this host's VMs were not up") == true, "\(lines)")
    #expect(lines.first?.contains("(21 came up during the wait)") == true, "\(lines)")
    #expect(lines.first?.contains("longer --timeout") == true, "\(lines)")
    #expect(lines[1] == "vm0 52:54:00:00:00:0: logical port port-0 is not up: on br-int, not claimed (vm0)")
    #expect(lines[20].contains("port-19 is not up"), "\(lines)")
    #expect(lines.last == "… and 293 more logical ports of this host's VMs not up", "\(lines)")
  }

  @Test func oneUnboundPortIsNamedWithoutSummary() {
    let lines = Unbound(ports: ports(1), of: 1, cameUp: 0).problems { _ in "no interface here has iface-id" }
    #expect(lines == ["vm0 52:54:00:00:00:0: logical port port-0 is not up: no interface here has iface-id"])
  }

  /// ovn-controller claims a host's ports in one batch: none up yet is the usual case at scale.
  @Test func severalWithNoneUpYetAreCountedFirst() {
    let lines = Unbound(ports: ports(2), of: 2, cameUp: 0).problems { _ in "no interface here has iface-id" }
    #expect(lines.count == 3, "\(lines)")
    #expect(lines.first?.hasPrefix("2 of 2 logical ports of this host's VMs were not up") == true, "\(lines)")
    #expect(lines.first?.contains("(0 came up during the wait)") == true, "\(lines)")
    #expect(lines[2] == "vm1 52:54:00:00:00:1: logical port port-1 is not up: no interface here has iface-id")
  }

  @Test func exactlyTheCapListsEveryPortAndNoCount() {
    let lines = Unbound(ports: ports(3), of: 5, cameUp: 2, listed: 3).problems { _ in "why" }
    #expect(lines.count == 4, "\(lines)")
    #expect(lines.first?.hasPrefix("3 of 5 logical ports") == true, "\(lines)")
    #expect(!lines.contains { $0.hasPrefix("…") }, "\(lines)")
  }
}
