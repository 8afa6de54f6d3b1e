import ArgumentParser
import Foundation
import OVSDB
import OVSVirt

/// `ovsvirt sandbox guest`: a real libvirt-managed guest on a host of a multi-host sandbox.
struct GuestCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "guest",
    abstract: "Boot a tiny real guest on a sandbox host (libvirt plugs its NIC), move it, or remove it.",
    discussion: """
      The sandbox must run with --libvirt. The guest is QEMU under software
      emulation booting the kernel and busybox initramfs that
      `scripts/guest-image DIR` makes (--image DIR). Its one NIC is on the
      host's libvirt network NETWORK (and PORTGROUP), which
      `ovsvirt apply SPEC --host H --connect URI` defines; libvirt plugs it
      into the host's Open vSwitch, and the guest sets the address given and
      answers pings. The command returns once the guest's console says its NIC
      is up.
        ovsvirt sandbox guest web1 --host h1 --network ovsvl2 \\
            --portgroup vlan-120 --ip 10.120.0.11/24
        ovsvirt sandbox guest web1 --move-to h2   # same MAC and interfaceid
        ovsvirt sandbox guest web1 --remove
      """)

  @Argument(help: "Guest (libvirt domain) name.") var name: String
  @ParentCommand var sandbox: SandboxCommand
  @Option(name: .long, help: "The sandbox host to start it on.") var host: String?
  @Option(name: .long, help: "The host's libvirt network for its NIC.") var network: String?
  @Option(name: .long, help: "The network's portgroup.") var portgroup: String?
  @Option(name: .long, help: "The guest's address with prefix length, e.g. 10.120.0.11/24.") var ip: String?
  @Option(name: .long, help: "MAC address (default: derived from the name).") var mac: String?
  @Option(name: .long, help: "The NIC's interfaceid (default: a new UUID).") var interfaceid: String?
  @Option(name: .long, help: "The guest NIC's MTU.") var mtu: Int?
  @Option(name: .long, help: "NIC model: virtio or e1000.") var model = "virtio"
  @Option(name: .long, help: "An IPv4 address the guest pings from boot on (replies on its console).")
  var ping: String?
  @Option(name: .long, help: "Folder with vmlinuz and initrd.img (scripts/guest-image DIR).")
  var image: String = ".ovsvirt-guest-image"
  @Option(name: .customLong("move-to"), help: "Stop the guest where it runs and start it on this host.")
  var moveTo: String?
  @Flag(name: .long, help: "Stop and undefine the guest.") var remove = false
  @Option(name: .long, help: "Seconds to wait for the guest to come up.") var timeout: Double = 120
  @Flag(name: .long, help: "Print the result as JSON.") var json = false

  func run() async throws {
    guard timeout.isFinite, timeout > 0, timeout <= 86_400 else {
      throw CommandFailure.refused("--timeout \(timeout): give seconds between 0 and 86400")
    }
    let lab = HostLab(directory: sandbox.dir)
    let guest: HostLab.Guest
    do {
      if remove {
        guard host == nil, moveTo == nil else { throw CommandFailure.refused("--remove takes no --host or --move-to") }
        try await lab.removeGuest(name)
        printErr("guest \(name) removed")
        return
      }
      if let moveTo {
        guard host == nil, network == nil else {
          throw CommandFailure.refused("--move-to keeps the guest's definition: no --host or --network")
        }
        guest = try await lab.moveGuest(name, to: moveTo, timeout: .seconds(timeout))
      } else {
        guard let host, let network else {
          throw CommandFailure.refused("a new guest needs --host and --network (or use --move-to / --remove)")
        }
        var request = HostLab.GuestRequest(
          name: name, host: host, network: network, portgroup: portgroup, address: ip, mtu: mtu, mac: mac,
          interfaceID: interfaceid, model: model, image: image)
        request.ping = ping
        guest = try await lab.addGuest(request, timeout: .seconds(timeout))
      }
    } catch let error as SandboxError {
      switch error {
      case .invalid, .notRunning: throw CommandFailure.refused("\(error)")
      default: throw CommandFailure.failed("\(error)")
      }
    } catch let error as CommandFailure {
      throw error
    } catch {
      throw CommandFailure.failed("\(error)")
    }
    let seconds = Double(guest.bootTime.components.seconds) + Double(guest.bootTime.components.attoseconds) / 1e18
    // `--json` after the subcommand name may be taken as the parent's flag: either one counts.
    if json || sandbox.json {
      print(
        JSON.object([
          "name": .string(guest.name), "host": .string(guest.host), "mac": .string(guest.mac),
          "interfaceid": .string(guest.interfaceID), "connect": .string(guest.uri), "console": .string(guest.console),
          "boot_seconds": .double(seconds),
        ]))
    } else {
      print("\(guest.name)\t\(guest.host)\tmac \(guest.mac)\tinterfaceid \(guest.interfaceID)")
      printErr(
        "guest \(guest.name) up on \(guest.host) in \(String(format: "%.1f", seconds)) s; console \(guest.console); "
          + "virsh -c '\(guest.uri)' …")
    }
  }
}
