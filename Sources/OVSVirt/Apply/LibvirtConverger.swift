import Libvirt
import VirtXML

/// Plans and performs the libvirt half of a spec: networks defined (or redefined when their
/// VLAN/portgroup shape changed), started and autostarted, and VM NICs attached. Planning only
/// reads; `run` performs the steps in order and stops at the first failure, so the caller can say
/// exactly what was done and what was not.
public struct LibvirtConverger {
  public struct Step: Sendable {
    public var change: PlannedChange
    let action: Action
  }

  enum Action: Sendable {
    case define(xml: String)
    case start(network: String)
    case autostart(network: String, on: Bool)
    case attach(domain: String, mac: String, target: InterfaceTarget)
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
      for domain in try connection.domains(activeOnly: true) {
        for nic in try DomainInterface.all(inDomainXML: try domain.xml()) {
          if let network = nic.sourceNetwork { users[network, default: []].append(domain.name) }
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
      if !shape.behavesLike(try NetworkShape(xml: xml)) {
        let redefined = try shape.uuid.map { uuid throws(XMLError) in try NetworkShape.withUUID(uuid, in: xml) } ?? xml
        let active = try current.isActive()
        steps.append(
          Step(
            change: PlannedChange(
              .change, "network \(name)",
              "redefine: \(detail)\(active ? " (the running network keeps its old settings until it is restarted)" : "")"
            ),
            action: .define(xml: redefined)))
      }
      if try !current.isActive() {
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
      let action = Action.attach(domain: attachment.domain, mac: attachment.mac, target: attachment.target)
      guard let nic = nics.first(where: { $0.mac == attachment.mac }) else {
        steps.append(
          Step(change: PlannedChange(.add, subject, "new NIC on \(attachment.target.summary)"), action: action))
        continue
      }
      if !NICAttacher.matches(nic, attachment.target) {
        let from = nic.sourceNetwork.map { $0 + (nic.portgroup.map { "/\($0)" } ?? "") } ?? nic.sourceBridge ?? nic.type
        steps.append(
          Step(change: PlannedChange(.change, subject, "\(from) → \(attachment.target.summary)"), action: action))
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
        case .remove(let network):
          let found = try connection.network(named: network)
          if try found.isActive() { try found.stop() }
          try found.undefine()
        case .attach(let domain, let mac, let target):
          outcome.notes += try NICAttacher.apply(
            try connection.domain(named: domain), connection: connection, mac: mac, target: target, templates: templates
          )
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
