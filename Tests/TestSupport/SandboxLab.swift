import Foundation
import OVSDB
import Testing

/// A multi-host sandbox a test starts with `ovsvirt sandbox --hosts … --json`: what it printed of
/// each host (its `--db`, `--connect` with `--libvirt`, underlay address and namespace) and of the
/// lab (OVN's remotes with `--ovn`). `stop()` runs `sandbox --stop`.
public struct SandboxLab: Sendable {
  public struct Host: Sendable {
    public var db: String
    /// The host's own libvirtd (`--libvirt`), else nil.
    public var connect: String?
    public var underlay: String
    public var netns: String
  }

  public let directory: String
  public let hosts: [String: Host]
  public let northbound: String?
  public let southbound: String?
  /// What every namespace of the lab starts with (endpoint `NAME` is `PREFIX-e-NAME`).
  public let prefix: String

  struct NotStarted: Error, CustomStringConvertible { var description: String }

  /// Starts `names` in a new temporary directory named after `purpose`.
  public static func start(
    _ names: [String], purpose: String, libvirt: Bool = false, ovn: Bool = false
  ) throws -> SandboxLab {
    let directory = try TemporaryDirectory.make(purpose)
    let started = try CLI.run(
      ["sandbox", "--hosts", names.joined(separator: ","), "--dir", directory, "--json"]
        + (libvirt ? ["--libvirt"] : []) + (ovn ? ["--ovn"] : []), in: directory)
    guard started.status == 0 else {
      _ = try? CLI.run(["sandbox", "--dir", directory, "--stop"], in: directory)
      throw NotStarted(description: "sandbox --hosts failed: \(started.stderr)")
    }
    let json = try JSONParser.parse(started.stdout)
    var hosts: [String: Host] = [:]
    for host in json["hosts"]?.arrayValue ?? [] {
      guard let name = host["name"]?.stringValue, let db = host["db"]?.stringValue,
        let underlay = host["underlay_ip"]?.stringValue, let netns = host["netns"]?.stringValue
      else { continue }
      hosts[name] = Host(db: db, connect: host["connect"]?.stringValue, underlay: underlay, netns: netns)
    }
    let prefix = hosts.values.first.map { String($0.netns.prefix { $0 != "-" }) } ?? ""
    return SandboxLab(
      directory: directory, hosts: hosts, northbound: json["northbound"]?.stringValue,
      southbound: json["southbound"]?.stringValue, prefix: prefix)
  }

  /// Host `name`, or the test ends saying what the sandbox printed.
  public func host(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Host {
    try #require(hosts[name], "no host \(name) in the sandbox's answer", sourceLocation: sourceLocation)
  }

  /// `ovsvirt ARGUMENTS`, run in the lab's directory.
  public func ovsvirt(_ arguments: [String]) throws -> CLI.Result { try CLI.run(arguments, in: directory) }

  public func stop() { _ = try? ovsvirt(["sandbox", "--dir", directory, "--stop"]) }
}
