import Foundation

/// Short temporary directories: unix socket paths must stay under 108 bytes.
public enum TemporaryDirectory {
  /// scripts/test points this at its run directory, so an interrupted run can sweep everything.
  static var base: String {
    ProcessInfo.processInfo.environment["OVSVIRT_TEST_RUNDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
  }

  public static func make(_ prefix: String) throws -> String {
    var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
    let path: String? = template.withUnsafeMutableBufferPointer { buffer in
      guard let start = buffer.baseAddress, let made = mkdtemp(start) else { return nil }
      return String(cString: made)
    }
    guard let path else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: base]) }
    return path
  }

  /// A network namespace name tied to this run (scripts/test deletes `ovt-RUNID-*` at the end) and
  /// to one temporary directory.
  public static func namespace(for directory: String) -> String {
    let runID = URL(fileURLWithPath: base).lastPathComponent.split(separator: ".").last.map(String.init) ?? "local"
    return "ovt-\(runID)-\(URL(fileURLWithPath: directory).lastPathComponent)"
  }
}
