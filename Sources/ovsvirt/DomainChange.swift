import ArgumentParser
import Libvirt
import OVSVirt
import VirtXML

/// What attach and detach share: where a change applies, and how failures become exit codes.
enum DomainChange {
  /// `--live` / `--config` as given, else both for a running VM and the definition for a stopped one.
  static func scope(live: Bool, config: Bool, running: Bool, domain: String) throws -> Domain.Scope {
    var scope: Domain.Scope = []
    if live || (!live && !config && running) { scope.insert(.live) }
    if config || (!live && !config) { scope.insert(.config) }
    if scope.contains(.live) && !running {
      throw SwitchSession.refuse("domain '\(domain)' is not running: drop --live")
    }
    return scope
  }

  /// Exit 1 for what the user named wrongly (no such domain, no such NIC), 2 for libvirt failing.
  static func exitError(_ error: any Error, domain: String) -> any Error {
    switch error {
    case let exit as ExitCode: return exit
    case let refused as RefusedInput: return SwitchSession.refuse("\(refused)")
    case let error as LibvirtError: return SwitchSession.fail("\(error)", code: error.isNoDomain ? 1 : 2)
    case let error as XMLError: return SwitchSession.refuse("domain '\(domain)': \(error)")
    default: return SwitchSession.fail("\(error)", code: 2)
    }
  }
}
