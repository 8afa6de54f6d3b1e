@testable import OVSVirt
import Testing

/// `FrameTrace` on what Open vSwitch 3.1's ofproto/trace and dpif/show printed in the two-host
/// sandbox (a broadcast from a VLAN 120 VM port, flooded locally and into the VXLAN tunnel).
struct CheckFrameTraceTests {
  static let dpifShow = """
    netdev@ovs-netdev: hit:22 missed:15
      br-phy:
        br-phy 65534/1: (tap)
        ul0 1/2: (system)
      ovsbr0:
        ovsbr0 65534/3: (tap)
        vnet0 2/5: (system)
        vx-h2 1/4: (vxlan: remote_ip=172.31.0.2)
    """

  static let trace = """
    Flow: in_port=2,vlan_tci=0x0000,dl_src=52:54:00:81:6e:36,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0000

    bridge("ovsbr0")
    ----------------
     0. priority 0
        NORMAL
         -> no learned MAC for destination, flooding
         -> output to native tunnel
         -> tunneling to 172.31.0.2 via br-phy
         -> tunneling from 5e:45:fa:19:05:89 172.31.0.1 to 32:63:ea:c5:b2:59 172.31.0.2

    Final flow: unchanged
    Megaflow: recirc_id=0,eth,in_port=2,dl_src=52:54:00:81:6e:36,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0000
    Datapath actions: push_vlan(vid=120,pcp=0),3,tnl_push(tnl_port(4),header(size=50,type=4,eth(dst=32:63:ea:c5:b2:59,src=5e:45:fa:19:05:89,dl_type=0x0800),ipv4(src=172.31.0.1,dst=172.31.0.2,proto=17,tos=0,ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x4d)),out_port(1)),2
    """

  @Test func summarisesOutputsVLANAndTunnel() {
    let ports = FrameTrace.datapathPorts(fromDpifShow: Self.dpifShow)
    #expect(ports[4] == "vx-h2" && ports[5] == "vnet0" && ports[2] == "ul0")
    let trace = FrameTrace(trace: Self.trace, ports: ports)
    #expect(trace.outputs == [FrameTrace.Output(port: "ovsbr0", vlan: 120)])
    #expect(
      trace.tunnels == [
        FrameTrace.TunnelOutput(port: "vx-h2", vlan: 120, remoteIP: "172.31.0.2", dstPort: 4789, key: 77)
      ])
    #expect(trace.underlayBridge == "br-phy")
    #expect(!trace.isDropped)
  }

  @Test func noActionsIsDropped() {
    let trace = FrameTrace(trace: "Datapath actions: drop\n", ports: [:])
    #expect(trace.isDropped)
  }
}
