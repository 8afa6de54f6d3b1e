import Libvirt
import VirtXML

/// Plans and performs the libvirt half of a spec: networks defined (or redefined when their
/// VLAN/portgroup shape changed; a running network's portgroups changed in place), started and
/// autostarted, and VM NICs attached. Planning only
/// reads; `run` performs the steps in order and stops at the first failure, so the caller can say
/// exactly what was done and what was not.
public struct LibvirtConverger: Sendable {
  public struct Step: Sendable {
    public var change: PlannedChange
    let action: Action
  }

  enum Action: Sendable {
    case define(xml: String)
    case start(network: String)
    case autostart(network: String, on: Bool)
    case updatePortgroup(network: String, update: PortgroupUpdate, live: Bool, config: Bool)
    /// `mtu`: the NIC's `<mtu size>` in the definition (nil: left as it is).
    case attach(domain: String, mac: String, target: InterfaceTarget, mtu: Int?)
    case remove(network: String)
  }

  /// What `run` did: the steps done (with libvirt's notes), and the one that failed with the rest.
  public struct Outcome: Sendable {
    public var done: [PlannedChange] = []
    public var notes: [String] = []
    public var failed: (change: PlannedChange, error: String)?
    public var notRun: [PlannedChange] = []
  }

  public let connection: Connection
  public let templates: Templates

  public init(connection: Connection, templates: Templates) {
    self.connection = connection
    self.templates = templates
  }

  /// Connected through `libvirt` with its templates.
  public init(_ libvirt: LibvirtAccess) throws(CommandFailure) {
    self.init(connection: try libvirt.open(), templates: try libvirt.templates())
  }

  /// The steps that would bring libvirt to the spec, and problems that block some of them (e.g. a
  /// domain that is not defined on this host). `prune`: networks ovsvirt defined earlier that the
  /// spec dropped; one that a running VM still uses is kept and reported (`kept`).
  public func plan(_ spec: HostSpec, prune: Set<String> = []) throws -> (
    steps: [Step], problems: [String], kept: Set<String>
  ) {
    var steps: [Step] = []
    var problems: [String] = []
    var kept: Set<String> = []
    let existing = Dictionary(try connection.networks().map { ($0.name, $0) }) { first, _ in first }
    let named = Set(spec.networks.map(\.definition.name))
    let doomed = prune.subtracting(named).filter { existing[$0] != nil }.sorted()
    if !doomed.isEmpty {
      var users: [String: [String]] = [:]
      for (domain, nics) in try runningNICs() {
        for nic in nics {
          if let network = nic.sourceNetwork { users[network, default: []].append(domain) }
        }
      }
      for network in doomed {
        if let vms = users[network] {
          kept.insert(network)
          problems.append(
            "network \(network) is not in the spec, but running VMs use it (\(Set(vms).sorted().joined(separator: ", "))); "
              + "move their NICs first, or keep it in the spec")
          continue
        }
        steps.append(
          Step(
            change: PlannedChange(.remove, "network \(network)", "defined by ovsvirt, not in the spec"),
            action: .remove(network: network)))
      }
    }
    // Which running domains use which network/portgroup, read only if a portgroup is to go.
    var runningNICs: [NetworkPortgroup: [String]]?
    for network in spec.networks {
      let definition = network.definition
      let name = definition.name
      let xml = try definition.xml(templates)
      let detail = Self.describe(definition)
      guard let current = existing[name] else {
        steps.append(Step(change: PlannedChange(.add, "network \(name)", detail), action: .define(xml: xml)))
        steps.append(Step(change: PlannedChange(.change, "network \(name)", "start"), action: .start(network: name)))
        if network.autostart {
          steps.append(
            Step(
              change: PlannedChange(.change, "network \(name)", "autostart"),
              action: .autostart(network: name, on: true)))
        }
        continue
      }
      let shape = try NetworkShape(xml: try current.xml(inactive: true))
      let wanted = try NetworkShape(xml: xml)
      let active = try current.isActive()
      // A running network's portgroups are changed in place, in it and in its definition; anything
      // else only by a redefinition, which a running network takes up when restarted.
      let live = active ? try NetworkShape(xml: try current.xml()) : wanted
      let liveUpdates = live.behavesLike(wanted) ? [] : try PortgroupUpdate.between(live, wanted, wantedXML: xml)
      var configUpdates: [PortgroupUpdate] = []
      if !shape.behavesLike(wanted) {
        if active, let updates = try PortgroupUpdate.between(shape, wanted, wantedXML: xml) {
          configUpdates = updates
        } else {
          let redefined =
            try shape.uuid.map { uuid throws(XMLError) in try NetworkShape.withUUID(uuid, in: xml) } ?? xml
          let note =
            active && liveUpdates == nil ? " (the running network keeps its old settings until it is restarted)" : ""
          steps.append(
            Step(
              change: PlannedChange(.change, "network \(name)", "redefine: \(detail)\(note)"),
              action: .define(xml: redefined)))
        }
      }
      let (updates, inUse) = try portgroupSteps(
        network: name, live: liveUpdates ?? [], config: configUpdates, running: &runningNICs)
      steps += updates
      problems += inUse
      if !active {
        steps.append(Step(change: PlannedChange(.change, "network \(name)", "start"), action: .start(network: name)))
      }
      if try current.autostart() != network.autostart {
        steps.append(
          Step(
            change: PlannedChange(.change, "network \(name)", network.autostart ? "autostart" : "no autostart"),
            action: .autostart(network: name, on: network.autostart)))
      }
    }
    let domains = Set(try connection.domainNames())
    for attachment in spec.attachments {
      let subject = "domain \(attachment.domain) NIC \(attachment.mac)"
      guard domains.contains(attachment.domain) else {
        problems.append("\(attachment.location): domain '\(attachment.domain)' is not defined on this host")
        continue
      }
      let vm = try connection.domain(named: attachment.domain)
      let nics = try DomainInterface.all(inDomainXML: try vm.xml(inactive: true))
      let action = Action.attach(
        domain: attachment.domain, mac: attachment.mac, target: attachment.target, mtu: attachment.mtu)
      guard let nic = nics.first(where: { $0.mac == attachment.mac }) else {
        steps.append(
          Step(change: PlannedChange(.add, subject, "new NIC on \(attachment.target.summary)"), action: action))
        continue
      }
      if !NICAttacher.matches(nic, attachment.target) {
        let from = nic.sourceNetwork.map { $0 + (nic.portgroup.map { "/\($0)" } ?? "") } ?? nic.sourceBridge ?? nic.type
        steps.append(
          Step(change: PlannedChange(.change, subject, "\(from) → \(attachment.target.summary)"), action: action))
      } else if let mtu = attachment.mtu, nic.mtu != mtu {
        // libvirt changes no MTU of a running NIC: the definition's applies from the next start.
        steps.append(
          Step(
            change: PlannedChange(
              .change, subject, "mtu \(nic.mtu.map(String.init) ?? "default") → \(mtu) (from the VM's next start)"),
            action: action))
      }
    }
    return (steps, problems, kept)
  }

  /// Performs `steps` in order; stops at the first failure.
  public func run(_ steps: [Step]) -> Outcome {
    var outcome = Outcome()
    for (i, step) in steps.enumerated() {
      do {
        switch step.action {
        case .define(let xml): _ = try connection.defineNetwork(xml: xml)
        case .start(let network): try connection.network(named: network).start()
        case .autostart(let network, let on): try connection.network(named: network).setAutostart(on)
        case .updatePortgroup(let network, let update, let live, let config):
          try connection.network(named: network).updatePortgroup(
            update.command, xml: update.xml, live: live, config: config)
        case .remove(let network):
          let found = try connection.network(named: network)
          if try found.isActive() { try found.stop() }
          try found.undefine()
        case .attach(let domain, let mac, let target, let mtu):
          outcome.notes += try NICAttacher.apply(
            try connection.domain(named: domain), connection: connection, mac: mac, target: target, mtu: mtu,
            templates: templates)
        }
        outcome.done.append(step.change)
      } catch {
        outcome.failed = (step.change, "\(error)")
        outcome.notRun = steps[(i + 1)...].map(\.change)
        break
      }
    }
    return outcome
  }

  private struct NetworkPortgroup: Hashable {
    var network: String
    var portgroup: String
  }

  /// Steps for the portgroup changes of one network: one step for both the running network and its
  /// definition when they need the same (the usual case), else each its own. A portgroup that
  /// running VMs are on is not removed (reconcile would park their ports on VLAN 4095): reported.
  private func portgroupSteps(
    network: String, live: [PortgroupUpdate], config: [PortgroupUpdate],
    running: inout [NetworkPortgroup: [String]]?
  ) throws -> (steps: [Step], problems: [String]) {
    var problems: [String] = []
    var refused: Set<String> = []
    for update in live + config where update.command == .delete && !refused.contains(update.portgroup) {
      let users = try runningUsers(&running)[NetworkPortgroup(network: network, portgroup: update.portgroup)] ?? []
      guard !users.isEmpty else { continue }
      refused.insert(update.portgroup)
      problems.append(
        "portgroup \(update.portgroup) of network \(network) is not in the spec, but running VMs use it "
          + "(\(Set(users).sorted().joined(separator: ", "))); move their NICs first, or keep it in the spec")
    }
    func steps(_ updates: [PortgroupUpdate], live: Bool, config: Bool, scope: String) -> [Step] {
      updates.filter { !($0.command == .delete && refused.contains($0.portgroup)) }.map { update in
        Step(
          change: PlannedChange(.change, "network \(network)", "\(update.summary) (\(scope))"),
          action: .updatePortgroup(network: network, update: update, live: live, config: config))
      }
    }
    if live == config {
      return (steps(live, live: true, config: true, scope: "running network and definition"), problems)
    }
    return (
      steps(config, live: false, config: true, scope: "definition")
        + steps(live, live: true, config: false, scope: "running network"),
      problems
    )
  }

  private func runningUsers(_ cache: inout [NetworkPortgroup: [String]]?) throws -> [NetworkPortgroup: [String]] {
    if let cache { return cache }
    var users: [NetworkPortgroup: [String]] = [:]
    for (domain, nics) in try runningNICs() {
      for nic in nics {
        guard let network = nic.sourceNetwork, let portgroup = nic.portgroup else { continue }
        users[NetworkPortgroup(network: network, portgroup: portgroup), default: []].append(domain)
      }
    }
    cache = users
    return users
  }

  /// Each running domain's NICs, from its live XML. A domain that went away after it was listed is
  /// left out: VMs come and go while apply runs.
  private func runningNICs() throws -> [(domain: String, nics: [DomainInterface])] {
    var result: [(domain: String, nics: [DomainInterface])] = []
    for domain in try connection.domains(activeOnly: true) {
      guard let xml = try domain.xmlUnlessGone() else { continue }
      result.append((domain.name, try DomainInterface.all(inDomainXML: xml)))
    }
    return result
  }

  static func describe(_ definition: NetworkDefinition) -> String {
    var parts = ["on \(definition.bridge)"]
    if let vlan = definition.vlan { parts.append("VLAN \(vlan)") }
    if !definition.portgroups.isEmpty {
      parts.append(
        "portgroups "
          + definition.portgroups.map { group in
            let tags = group.vlan.map { $0.tags.map(String.init).joined(separator: ",") } ?? "untagged"
            return "\(group.name)(\(tags)\(group.isDefault ? ", default" : ""))"
          }.joined(separator: " "))
    }
    return parts.joined(separator: " ")
  }
}
