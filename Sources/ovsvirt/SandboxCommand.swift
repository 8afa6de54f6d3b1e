import ArgumentParser
import Foundation
import OVSVirt

struct SandboxCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sandbox",
    abstract: "Start (or reuse) a private ovsdb-server + ovs-vswitchd, or stop them.",
    discussion: """
      Prints the --db value to use on standard output (progress goes to standard error), so
        export DB=$(ovsvirt sandbox)
      works in scripts. Running it twice reuses the daemons already started in DIR.
      Bridges in the sandbox need datapath_type=netdev (no kernel datapath is used).
      """
  )

  @Option(name: .long, help: "Directory holding the sandbox's database, sockets, pidfiles and logs.")
  var dir: String = Sandbox.defaultDirectory

  @Flag(name: .long, help: "Stop the daemons this sandbox started (found by their pidfiles in DIR).")
  var stop = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Run ovs-vswitchd in this network namespace (created if missing), so its ports stay off the host.",
      valueName: "NAME"))
  var netns: String?

  @Flag(name: .long, help: "Start only ovsdb-server, not ovs-vswitchd.")
  var noVswitchd = false

  @Flag(name: .long, help: "Print the result as JSON.")
  var json = false

  func run() async throws {
    let sandbox = Sandbox(directory: dir, networkNamespace: netns)
    if stop {
      let stopped = sandbox.stop()
      if json {
        let items = stopped.map { "{\"program\":\"\($0.program)\",\"pid\":\($0.pid)}" }
        print("{\"stopped\":[\(items.joined(separator: ","))]}")
      } else if stopped.isEmpty {
        printErr("nothing of this sandbox is running in \(sandbox.directory)")
      } else {
        for item in stopped { printErr("stopped \(item.program) (pid \(item.pid))") }
      }
      return
    }
    let status: Sandbox.Status
    do {
      status = try await sandbox.start(vswitchd: !noVswitchd)
    } catch let error as SandboxError {
      printErr("error: \(error)")
      throw ExitCode(2)
    }
    if json {
      var fields = ["\"db\":\"\(sandbox.remote)\"", "\"dir\":\"\(sandbox.directory)\""]
      fields.append("\"ovsdb-server\":\(Self.json(status.database))")
      if let v = status.vswitchd { fields.append("\"ovs-vswitchd\":\(Self.json(v))") }
      print("{\(fields.joined(separator: ","))}")
      return
    }
    printErr("ovsdb-server: \(Self.describe(status.database))")
    if let v = status.vswitchd {
      let place = netns.map { ", network namespace \($0)" } ?? ""
      printErr("ovs-vswitchd: \(Self.describe(v)) (bridges need datapath_type=netdev\(place))")
    }
    printErr("use: --db \(sandbox.remote)   (ovs-vsctl --db=\(sandbox.remote) show)")
    printErr("stop: ovsvirt sandbox --stop\(dir == Sandbox.defaultDirectory ? "" : " --dir \(dir)")")
    print(sandbox.remote)
  }

  static func describe(_ state: Sandbox.DaemonState) -> String {
    switch state {
    case .started(let pid): return "started (pid \(pid))"
    case .alreadyRunning(let pid): return "already running (pid \(pid)), reused"
    }
  }

  static func json(_ state: Sandbox.DaemonState) -> String {
    switch state {
    case .started(let pid): return "{\"state\":\"started\",\"pid\":\(pid)}"
    case .alreadyRunning(let pid): return "{\"state\":\"running\",\"pid\":\(pid)}"
    }
  }
}

func printErr(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}
