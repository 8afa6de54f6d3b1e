import ArgumentParser

@main
struct OVSVirtCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ovsvirt",
    abstract: "Wire libvirt/KVM virtual machines into Open vSwitch.",
    version: OVSVirtVersion.string,
    subcommands: [SandboxCommand.self]
  )
}

enum OVSVirtVersion {
  static let string = "0.1.0-dev"
}
