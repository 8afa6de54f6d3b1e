/// What apply says about the logical ports of this host's VMs that were not up when its wait ended.
/// At scale (hundreds of ports on a host, a busy ovn-northd and ovn-controller) they may merely be
/// still binding, and ovn-controller tends to claim a host's ports in one batch, so none may have
/// come up yet: when more than one port is not up (or some came up), a first line counts them and
/// says what to do; the ports are named up to `listed`, the rest counted, not in hundreds of lines.
public struct Unbound: Sendable {
  /// The ports not up, in the order apply read them.
  public var ports: [NorthboundConverger.VMPort]
  /// How many ports apply waited for.
  public var total: Int
  /// How many of those came up while it waited.
  public var cameUp: Int
  /// How many ports are named one by one.
  public var listed: Int

  public init(ports: [NorthboundConverger.VMPort], of total: Int, cameUp: Int, listed: Int = 20) {
    self.ports = ports
    self.total = total
    self.cameUp = cameUp
    self.listed = listed
  }

  /// One line per port named (with `why`), a first line counting them when there are several (or
  /// the wait made progress), a last one counting the ports not named.
  public func problems(why: (NorthboundConverger.VMPort) -> String) -> [String] {
    var lines: [String] = []
    if cameUp > 0 || ports.count > 1 {
      lines.append(
        "\(ports.count) of \(total) logical ports of this host's VMs were not up when --timeout ran out "
          + "(\(cameUp) came up during the wait); binding hundreds of ports can take ovn-northd and ovn-controller "
          + "tens of seconds: run apply again (it writes nothing more, and waits again) or give it a longer "
          + "--timeout. What this host's switch shows now:")
    }
    for port in ports.prefix(listed) {
      lines.append("\(port.domain) \(port.mac): logical port \(port.interfaceID) is not up: \(why(port))")
    }
    if ports.count > listed {
      lines.append("… and \(ports.count - listed) more logical ports of this host's VMs not up")
    }
    return lines
  }
}
