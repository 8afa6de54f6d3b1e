/// A tiny guest for a sandbox host, from the `guest.xml` template: QEMU's software emulation (no KVM
/// is needed), a kernel and initramfs booted directly, its serial console written to a file, and one
/// NIC on Open vSwitch as `interface` describes it.
public struct GuestDefinition: Sendable, Equatable {
  public var name: String
  public var memoryMiB: Int
  public var kernel: String
  public var initrd: String
  /// The kernel command line (the guest's /init reads its address from it).
  public var commandLine: String
  public var console: String
  public var emulator: String
  public var interface: InterfaceDefinition

  public init(
    name: String, memoryMiB: Int = 128, kernel: String, initrd: String, commandLine: String, console: String,
    emulator: String = "/usr/bin/qemu-system-x86_64", interface: InterfaceDefinition
  ) {
    self.name = name
    self.memoryMiB = memoryMiB
    self.kernel = kernel
    self.initrd = initrd
    self.commandLine = commandLine
    self.console = console
    self.emulator = emulator
    self.interface = interface
  }

  public func xml(_ templates: Templates = .embedded) throws(XMLError) -> String {
    let context: [String: Any] = [
      "name": name, "memory": "\(memoryMiB)", "kernel": kernel, "initrd": initrd, "cmdline": commandLine,
      "console": console, "emulator": emulator, "interface": try interface.xml(templates),
    ]
    return try templates.render("guest.xml", context, root: "domain")
  }
}
