import ArgumentParser
import OVSDB

/// Options every OVS command takes.
struct SwitchOptions: ParsableArguments {
  @Option(name: .long, help: "OVSDB server: unix:PATH or tcp:HOST:PORT.")
  var db: String = Endpoint.systemDefault.description

  @Flag(name: .long, help: "Print results as JSON.")
  var json = false

  @Flag(name: .long, help: "Print the operations that would be sent, as JSON, and change nothing.")
  var dryRun = false

  @Flag(name: .long, help: "Do not wait for ovs-vswitchd to apply the change (as ovs-vsctl --no-wait).")
  var noWait = false

  @Option(name: .long, help: "Give up after this many seconds (connect, reply, reconnect, ovs-vswitchd).")
  var timeout: Double = 10

  func validate() throws {
    do {
      _ = try Endpoint(db)
    } catch {
      throw ValidationError("\(error)")
    }
    guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
  }
}
