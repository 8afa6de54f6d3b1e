import Foundation

/// Finds the Open vSwitch programs ovsvirt starts (never ones that change OVSDB: that is our job).
public enum Executables {
  /// sbin directories are searched too: ovsdb-server and ovs-vswitchd live there, and a non-login
  /// root shell or CI environment often lacks them in PATH.
  static let extraDirectories = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin"]

  /// The absolute path of `name`, or nil when it is not installed.
  public static func find(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let directories = path.split(separator: ":").map(String.init) + extraDirectories
    for directory in directories where !directory.isEmpty {
      let candidate = directory + "/" + name
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Like `find`, but names the Debian package to install when missing.
  public static func require(_ name: String, package: String) throws(SandboxError) -> String {
    guard let path = find(name) else { throw SandboxError.missingProgram(name: name, package: package) }
    return path
  }

  /// The Open_vSwitch schema the installed OVS ships.
  public static func vswitchSchema() throws(SandboxError) -> String {
    var candidates: [String] = []
    if let dir = ProcessInfo.processInfo.environment["OVS_PKGDATADIR"] { candidates.append(dir + "/vswitch.ovsschema") }
    candidates += ["/usr/share/openvswitch/vswitch.ovsschema", "/usr/local/share/openvswitch/vswitch.ovsschema"]
    guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
      throw SandboxError.missingProgram(name: "vswitch.ovsschema", package: "openvswitch-common")
    }
    return found
  }
}
