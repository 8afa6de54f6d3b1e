import ArgumentParser
import Foundation
import OVSDB

/// Options every OVS command takes.
struct SwitchOptions: ParsableArguments {
  @Option(
    name: .long,
    help: """
      OVSDB server: unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT; several servers of one clustered database \
      comma-separated (the first usable one, its leader only).
      """)
  var db: String = Endpoint.systemDefault.description

  @Option(
    name: [.customShort("p"), .long], help: ArgumentHelp("Private key (PEM) for ssl: remotes.", valueName: "file"))
  var privateKey: String?

  @Option(
    name: [.customShort("c"), .long],
    help: ArgumentHelp("Certificate (PEM) for the private key, for ssl: remotes.", valueName: "file"))
  var certificate: String?

  @Option(
    name: [.customShort("C"), .long],
    help: ArgumentHelp(
      "CA certificate (PEM) the server's certificate must chain to; needed for ssl:.", valueName: "file"))
  var caCert: String?

  @Flag(name: .long, help: "Print results as JSON.")
  var json = false

  @Flag(name: .long, help: "Print the operations that would be sent, as JSON, and change nothing.")
  var dryRun = false

  @Flag(name: .long, help: "Do not wait for ovs-vswitchd to apply the change (as ovs-vsctl --no-wait).")
  var noWait = false

  @Option(
    name: .long,
    help: """
      Give up (exit 2) this many seconds after the command started: connecting, every request and waiting \
      for ovs-vswitchd together; more than 0, at most 86400.
      """)
  var timeout: Double = Self.defaultTimeout

  static let defaultTimeout: Double = 10

  /// The longest --timeout accepted: one day is far beyond any wait for OVSDB worth making, and
  /// keeps every duration derived from it finite and small enough to schedule.
  static let maxTimeout: Double = 86_400

  func validate() throws {
    let endpoints: [Endpoint]
    do {
      endpoints = try Endpoint.list(db)
    } catch {
      throw ValidationError("\(error)")
    }
    // Read (and checked to be PEM) now, so a missing or wrong file is an input error, nothing sent.
    if endpoints.contains(where: \.isTLS) || !tls.isEmpty {
      do {
        _ = try tls.context()
      } catch {
        throw ValidationError("\(error)")
      }
    }
    try Self.check(timeout: timeout)
  }

  /// --timeout as ovsvirt takes it (any command that has one): more than 0, at most a day.
  static func check(timeout: Double) throws {
    guard timeout.isFinite, timeout > 0, timeout <= maxTimeout else {
      throw ValidationError(
        "--timeout \(seconds(timeout)): give the seconds to wait, more than 0 and at most 86400 (one day)")
    }
  }

  /// A one-shot command's client settings: every wait bounded by `timeout` seconds from the command's
  /// start (`CommandClock`), no idle probe.
  static func clientOptions(timeout: Double, tls: TLSFiles? = nil) -> ReplicaClient.Options {
    var clientOptions = ReplicaClient.Options()
    clientOptions.connectTimeout = .seconds(timeout)
    clientOptions.callTimeout = .seconds(timeout)
    clientOptions.deadline = CommandClock.started + .seconds(timeout)
    clientOptions.probeInterval = nil
    clientOptions.tls = tls
    return clientOptions
  }

  /// The key and certificates for ssl: remotes, as given.
  var tls: TLSFiles { TLSFiles(privateKey: privateKey, certificate: certificate, caCertificate: caCert) }

  /// When the OVSDB side of this command must be over, whatever it is waiting for.
  var deadline: ContinuousClock.Instant { CommandClock.started + .seconds(timeout) }

  /// Seconds as a person writes them: 5, 0.5, 1e+10, inf.
  static func seconds(_ value: Double) -> String { String(format: "%g", value) }
}

/// When this process started its command: --timeout counts from here, so it bounds the command as
/// a whole rather than each of its waits.
enum CommandClock {
  static let started = ContinuousClock.now
}
