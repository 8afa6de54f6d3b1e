import OVSDB

extension SwitchPlanner {
  /// Open vSwitch 3.1 keeps a port out of flooding after the bridge's RSTP is turned off if
  /// RSTP had it discarding at some point since it last forwarded (seen in the multi-host sandbox:
  /// once h1 left a three-host mesh, a broadcast from h2's VMs reached only h2; `ofproto/trace`
  /// showed the tunnel left out). Unicast still passes while MACs and ARP entries last; a new VM's
  /// ARP does not. Nothing about RSTP undoes it, re-creating the port does: once RSTP is off, each
  /// tunnel on such a bridge is given a new OpenFlow port number (`ofport_request`), past every
  /// number the bridge's ports use, which makes ovs-vswitchd open the port again.
  public func reopenTunnels(_ bridges: [String], state: SwitchState, in txn: inout TransactionBuilder)
    -> [SwitchChange]
  {
    bridges.flatMap { name -> [SwitchChange] in
      guard let bridge = state.bridges[name], !bridge.isFake else { return [] }
      let ports = state.ports.values.filter { $0.bridgeUUID == bridge.uuid }.sorted { $0.name < $1.name }
      let interfaces = ports.flatMap { $0.interfaces.compactMap { state.interfacesByUUID[$0] } }
      // Past the bridge's numbers, below 0xff00 where OpenFlow's reserved ones (the bridge's own
      // port, 0xfffe) begin.
      var next = (interfaces.compactMap(\.ofport).filter { $0 < 0xff00 }.max() ?? 0) + 1
      return interfaces.filter { InterfaceSpec.Kind(rawValue: $0.type)?.isTunnel == true }.map { tunnel in
        txn.add(
          .update(
            table: "Interface", where: [.uuid(tunnel.uuid)], row: ["ofport_request": .scalar(.integer(Int64(next)))]))
        defer { next += 1 }
        return SwitchChange(
          .change, "tunnel \(tunnel.name)",
          "OpenFlow port \(next): reopened, so it floods again now that RSTP is off (Open vSwitch 3.1)")
      }
    }
  }
}
