import Foundation
import OVSDB
import Testing
import TestSupport

/// libvirt is the oracle of a VM port: what libvirtd itself writes on OVS when it starts a VM is what
/// reconcile must leave alone, and what it must restore after the rows are gone — VLANs in all of
/// libvirt's forms (access, trunk with a native VLAN untagged or tagged, an interface <vlan>
/// overriding its portgroup), external_ids, ingress policing and the linux-htb QoS + Queue of
/// <bandwidth>.
@Suite(.blockingWork) struct LibvirtPlugOracleTests {
  @Test func reconcileMatchesLibvirtsOwnPlugColumnByColumn() async throws {
    let env = try await VMEnvironment.require("plug")
    defer { env.cleanUp() }
    let id = getpid() % 100000
    let (vm, network, bridge) = ("ovsvirt-test-plug-\(id)", "ovsvirt-test-plugnet-\(id)", "plbr\(id % 1000)")
    let common = ["--db", env.db]
    let libvirt = ["--connect", env.uri]
    func ovsvirt(_ args: [String]) throws -> CLI.Result { try CLI.run(args, in: env.directory) }
    defer { env.remove(domains: [vm], networks: [network], bridges: [bridge]) }

    /// What OVS holds for one tap, as ovs-vsctl prints it, ovsvirt's own ownership mark aside.
    func dump(_ tap: String) throws -> String {
      func list(_ table: String, _ record: String, _ columns: String) throws -> String {
        try env.vsctl("--format=csv", "--no-headings", "--columns=\(columns)", "list", table, record)
      }
      var text = "port: " + (try list("Port", tap, "tag,trunks,vlan_mode,external_ids"))
      text +=
        "\ninterface: " + (try list("Interface", tap, "external_ids,ingress_policing_rate,ingress_policing_burst"))
      let qos = try env.vsctl("get", "Port", tap, "qos")
      if qos != "[]" {
        text += "\nqos: " + (try list("QoS", qos, "type,other_config,external_ids"))
        let queues = try env.vsctl("get", "QoS", qos, "queues")
        text +=
          "\nqueues: " + queues.replacingOccurrences(of: #"[0-9a-f-]{36}"#, with: "Q", options: .regularExpression)
        if let queue = try? env.vsctl("get", "QoS", qos, "queues:0") {
          text += "\nqueue 0: " + (try list("Queue", queue, "other_config,external_ids"))
        }
      }
      for mark in [", ovsvirt-owner=ovsvirt", "ovsvirt-owner=ovsvirt, ", "ovsvirt-owner=ovsvirt"] {
        text = text.replacingOccurrences(of: mark, with: "")
      }
      return text
    }

    let added = try ovsvirt(["bridge", "add", bridge, "--datapath-type", "netdev"] + common)
    try #require(added.status == 0, "\(added.stderr)")
    try env.virsh(
      "net-create",
      xml: """
        <network>
          <name>\(network)</name>
          <forward mode='bridge'/>
          <bridge name='\(bridge)'/>
          <virtualport type='openvswitch'/>
          <portgroup name='access' default='yes'><vlan><tag id='120'/></vlan></portgroup>
          <portgroup name='native-untagged'>
            <vlan trunk='yes'><tag id='110' nativeMode='untagged'/><tag id='120'/><tag id='130'/></vlan>
          </portgroup>
          <portgroup name='native-tagged'>
            <vlan trunk='yes'><tag id='110' nativeMode='tagged'/><tag id='120'/><tag id='130'/></vlan>
          </portgroup>
          <portgroup name='shaped'>
            <vlan><tag id='150'/></vlan>
            <bandwidth><inbound average='500' burst='100'/><outbound average='250'/></bandwidth>
          </portgroup>
        </network>
        """)
    func nic(_ n: Int, _ portgroup: String?, _ extra: String = "") -> String {
      "<interface type='network'><mac address='52:54:00:9e:00:0\(n)'/>"
        + "<source network='\(network)'\(portgroup.map { " portgroup='\($0)'" } ?? "")/>\(extra)"
        + "<model type='e1000'/></interface>"
    }
    let interfaces = [
      nic(1, "access"),
      nic(2, "native-untagged"),
      nic(3, "native-tagged"),
      // The interface's own <vlan> overrides its portgroup's.
      nic(4, "native-untagged", "<vlan><tag id='140'/></vlan>"),
      nic(
        5, nil,
        "<bandwidth><inbound average='1000' peak='5000' burst='1024'/><outbound average='128' peak='256' burst='256'/></bandwidth>"
      ),
      // Bandwidth inherited from the portgroup; inbound only on an OVS bridge NIC with a one-tag trunk.
      nic(6, "shaped"),
      "<interface type='bridge'><mac address='52:54:00:9e:00:07'/><source bridge='\(bridge)'/>"
        + "<virtualport type='openvswitch'><parameters profileid='gold'/></virtualport>"
        + "<vlan trunk='yes'><tag id='7'/></vlan><bandwidth><inbound average='300'/></bandwidth>"
        + "<model type='e1000'/></interface>",
    ]

    // watch follows the VM from before it starts: libvirt's plug must look right to it (no fight).
    let log = env.directory + "/watch.log"
    let watcher = try CLI.start(
      ["watch", "--domain", vm, "--interval", "2", "--metrics", "off"] + common + libvirt, log: log)
    var stopped = false
    defer { if !stopped { _ = CLI.stop(watcher, signal: SIGKILL) } }
    let watchReady = await eventually {
      ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("subscribed to domain events")
    }
    #expect(watchReady, "watch did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    try env.virsh("create", xml: VMEnvironment.tinyVM(vm, interfaces: interfaces))

    let taps = try VirtXMLFacade.interfaces(try env.virsh("dumpxml", vm)).map { try #require($0.target) }
    #expect(taps.count == 7)
    let plugged = try taps.map(dump)
    // The oracle's own plug, as a sanity check of what is compared below.
    #expect(plugged[1].contains("port: 110,\"[110, 120, 130]\",native-untagged"), "\(plugged[1])")
    #expect(plugged[2].contains("port: 110,\"[110, 120, 130]\",native-tagged"), "\(plugged[2])")
    #expect(plugged[3].contains("port: 140,[],[]"), "\(plugged[3])")
    #expect(plugged[4].contains("1024,2048"), "\(plugged[4])")
    #expect(plugged[4].contains("linux-htb"), "\(plugged[4])")
    #expect(plugged[5].contains("linux-htb"), "\(plugged[5])")
    #expect(plugged[6].contains("port-profile=gold"), "\(plugged[6])")

    // Let watch see the VM's events and a timer tick or two; then it must not have corrected anything.
    try await Task.sleep(for: .seconds(5))
    stopped = true
    #expect(CLI.stop(watcher) == 0)
    let watchLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    #expect(!watchLog.contains("corrected:"), "watch fought libvirt's plug:\n\(watchLog)")

    // On libvirt's fresh plug, reconcile has nothing to do.
    let dry = try ovsvirt(["reconcile", "--domain", vm, "--dry-run", "--json"] + common + libvirt)
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(try JSONParser.parse(dry.stdout)["operations"] == 0, "\(dry.stdout)")

    // `domain ports` agrees, NIC by NIC.
    let ports = try ovsvirt(["domain", "ports", vm, "--json"] + common + libvirt)
    #expect(ports.status == 0, "\(ports.stderr)")
    let report = try #require(try JSONParser.parse(ports.stdout).arrayValue)
    #expect(report.count == 7)
    #expect(report.allSatisfy { $0["ok"] == true }, "\(ports.stdout)")

    // The rows go (as after ovsdb-server came back without them); one reconcile restores them equal
    // to libvirt's plug, column by column.
    for tap in taps {
      _ = try env.vsctl("--no-wait", "del-port", tap)
      for table in ["QoS", "Queue"] {
        for uuid in try env.vsctl("--no-headings", "--columns=_uuid", "find", table, "external_ids:ifname=\(tap)")
          .split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !uuid.isEmpty
        {
          _ = try env.vsctl("--no-wait", "destroy", table, uuid)
        }
      }
    }
    let fixed = try ovsvirt(["reconcile", "--domain", vm, "--json"] + common + libvirt)
    #expect(fixed.status == 0, "\(fixed.stderr)")
    #expect((try JSONParser.parse(fixed.stdout)["operations"]?.intValue ?? 0) > 0)
    for (tap, before) in zip(taps, plugged) {
      #expect(try dump(tap) == before, "\(tap)")
    }
    let again = try ovsvirt(["reconcile", "--domain", vm, "--json"] + common + libvirt)
    #expect(try JSONParser.parse(again.stdout)["operations"] == 0, "\(again.stdout)")

    // The VM goes: its QoS rows do not outlive it (libvirt clears its own, reconcile ovsvirt's).
    _ = try env.virsh("destroy", vm)
    _ = try ovsvirt(["reconcile", "--json"] + common + libvirt)
    for tap in taps {
      for table in ["QoS", "Queue"] {
        let left = try env.vsctl("--no-headings", "--columns=_uuid", "find", table, "external_ids:ifname=\(tap)")
        #expect(left.isEmpty, "\(table) of \(tap) left behind")
      }
    }
  }
}
