import Libvirt
import OVSDB
import VSwitch

/// `ovsvirt check` as one use case: reads libvirt (on ovsvirt's own thread), this host's OVSDB,
/// optionally a peer host's OVSDB and libvirt and the cluster spec, asks ovs-vswitchd how it
/// forwards each NIC's frame (`ofproto/trace` over its control socket), and turns it all into
/// hops with verdicts (`PathRules`). Problems found are the report; only failing to look throws
/// (exit 2), or a request naming what is not there (exit 1).
public enum PathCheck {
  /// The switch tables, plus the MTU ovs-vswitchd reports for each interface (the guest's and the
  /// underlay's, for the MTU budget).
  static let tables: [String: [String]?] = {
    var tables = SwitchTables.monitored
    tables["Interface"] = (SwitchTables.monitored["Interface"].flatMap { $0 } ?? []) + ["mtu"]
    return tables
  }()

  public static func run(_ request: CheckRequest) async throws(CommandFailure) -> CheckReport {
    let (mySpec, peerSpecs) = try specs(request)
    let thisHost = mySpec?.host ?? request.host
    var peers: [String] = request.toHost.map { [$0] } ?? []
    if peers.isEmpty, let mySpec {
      let meshPeers = mySpec.ports.compactMap(\.meshPeer)
      // A named peer NIC on another host's libvirt is on the one peer a two-host cluster has.
      peers = request.to != nil && request.peer.libvirtURI != nil ? (meshPeers.count == 1 ? meshPeers : []) : meshPeers
    }

    let executor = LibvirtExecutor(name: "ovsvirt-check-libvirt")
    defer { executor.shutdown() }
    let facts: LibvirtFacts
    do {
      facts = try await executor.run { try LibvirtFacts.read(request) }
    } catch {
      throw CommandFailure.classify(error, subject: request.subject.map { "domain '\($0.domain)'" })
    }
    let state = try await readSwitch(request.db, tls: request.tls, deadline: request.deadline)
    var peerSwitch: SwitchState?
    if let db = request.peer.db { peerSwitch = try await readSwitch(db, tls: request.tls, deadline: request.deadline) }

    let unixctl = UnixctlClient(path: request.unixctl, timeout: max(request.deadline - .now, .milliseconds(100)))
    let traces: [String: FrameTrace]
    do {
      traces = try await executor.run { try traceAll(facts, state: state, to: facts.to, client: unixctl) }
    } catch {
      throw .failed("\(error)")
    }
    let rules = PathRules(
      request: request, state: state, peerState: peerSwitch, mySpec: mySpec, peerSpecs: peerSpecs,
      thisHost: thisHost, peers: peers, to: facts.to, peerNetworks: facts.peerNetworks)
    let paths = facts.nics.map { rules.path(for: $0, trace: $0.nic.targetDevice.flatMap { traces[$0] }) }
    return CheckReport(host: thisHost, paths: paths)
  }

  /// The cluster spec for this host and for each other host it names.
  private static func specs(_ request: CheckRequest) throws(CommandFailure) -> (HostSpec?, [String: HostSpec]) {
    guard let path = request.specPath else { return (nil, [:]) }
    let mine: HostSpec
    do {
      mine = try SpecLoader.load(path: path, host: request.host)
    } catch {
      throw CommandFailure(.refused, "\(path) has problems", details: error.problems.map(\.description))
    }
    var others: [String: HostSpec] = [:]
    for peer in mine.ports.compactMap(\.meshPeer) {
      others[peer] = try? SpecLoader.load(path: path, host: peer)
    }
    return (mine, others)
  }

  static func readSwitch(
    _ db: String, tls: TLSFiles?, deadline: ContinuousClock.Instant
  ) async throws(CommandFailure) -> SwitchState {
    var options = ReplicaClient.Options()
    options.tls = tls
    let left = max(deadline - .now, .milliseconds(100))
    options.connectTimeout = left
    options.callTimeout = left
    options.deadline = deadline
    options.probeInterval = nil
    let client = ReplicaClient(remote: db, tables: tables, options: options)
    do {
      let replica = try await client.start()
      let state = SwitchState(replica.snapshot)
      await client.close()
      return state
    } catch {
      await client.close()
      throw .failed("cannot read OVSDB at \(db): \(error)")
    }
  }

  /// `ofproto/trace` of a frame from each NIC's port, with its MAC (to the peer NIC's MAC, or
  /// broadcast), on its VLAN when the port is a trunk. Blocks: runs on the executor.
  static func traceAll(_ facts: LibvirtFacts, state: SwitchState, to: CheckedNIC?, client: UnixctlClient) throws
    -> [String: FrameTrace]
  {
    let ports = FrameTrace.datapathPorts(fromDpifShow: try client.callBlocking("dpif/show", []))
    var traces: [String: FrameTrace] = [:]
    for nic in facts.nics {
      guard nic.running, let tap = nic.nic.targetDevice, let port = state.ports[tap],
        (state.interfaces[tap]?.ofport ?? -1) >= 1,
        let bridge = state.bridges.values.first(where: { $0.uuid == port.bridgeUUID && !$0.isFake })
      else { continue }
      var flow = "in_port=\(tap),dl_src=\(nic.mac ?? "02:00:00:00:00:01"),dl_dst=\(to?.mac ?? "ff:ff:ff:ff:ff:ff")"
      let settings = port.vlanSettings
      if settings.tag == nil || settings.mode == .trunk, let first = settings.trunks.first {
        flow += ",dl_vlan=\(first.value)"
      }
      traces[tap] = FrameTrace(trace: try client.callBlocking("ofproto/trace", [bridge.name, flow]), ports: ports)
    }
    return traces
  }
}

/// Everything read from libvirt, here and on the peer host, in one go on the executor's thread.
struct LibvirtFacts: Sendable {
  var nics: [CheckedNIC]
  var to: CheckedNIC?
  /// Per "network/portgroup" of the NICs checked: what the peer host's libvirt has.
  var peerNetworks: [String: PeerNetwork]

  static func read(_ request: CheckRequest) throws -> LibvirtFacts {
    let connection = try request.libvirt.open()
    let nics: [CheckedNIC]
    if let subject = request.subject {
      nics = try CheckedNIC.read(connection, domain: subject.domain, mac: subject.mac)
      guard !nics.isEmpty else {
        throw CommandFailure.refused(
          "domain '\(subject.domain)' has no NIC\(subject.mac.map { " with MAC \($0)" } ?? "")")
      }
    } else {
      nics = try CheckedNIC.readRunning(connection)
    }
    let peerConnection = try request.peer.libvirtURI.map { try LibvirtAccess(uri: $0).open() }
    var to: CheckedNIC?
    if let name = request.to {
      let found = try CheckedNIC.read(peerConnection ?? connection, domain: name.domain, mac: name.mac)
      guard let first = found.first(where: { $0.nic.virtualPortType == "openvswitch" }) ?? found.first else {
        throw CommandFailure.refused("domain '\(name.domain)' has no NIC\(name.mac.map { " with MAC \($0)" } ?? "")")
      }
      to = first
    }
    var peerNetworks: [String: PeerNetwork] = [:]
    if let peerConnection {
      for nic in nics {
        guard let network = nic.nic.sourceNetwork, peerNetworks[nic.source] == nil else { continue }
        peerNetworks[nic.source] = try PeerNetwork.read(peerConnection, network: network, portgroup: nic.nic.portgroup)
      }
    }
    return LibvirtFacts(nics: nics, to: to, peerNetworks: peerNetworks)
  }
}
