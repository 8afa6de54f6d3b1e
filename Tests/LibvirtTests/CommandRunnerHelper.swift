import OVSVirt

/// virsh as an oracle, through the same spawning code the product uses for daemons.
enum CommandRunnerHelper {
  static func run(_ program: String, _ arguments: [String], outputFile: String) throws -> String {
    try CommandRunner.run(program, arguments, outputFile: outputFile)
  }
}
