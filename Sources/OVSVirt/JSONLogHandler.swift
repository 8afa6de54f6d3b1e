import Foundation
import Logging
import OVSDB

/// swift-log records as one JSON object per line on standard error, for journald and log shippers
/// (`watch --log-format json`): time (RFC 3339, UTC, milliseconds), level, logger label, message,
/// source, and every metadata key as a string field of its own.
public struct JSONLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level = .info
  private let label: String
  /// One lock for every handler: lines from several threads never interleave.
  private static let output = NSLock()

  public init(label: String) {
    self.label = label
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var fields: [String: JSON] = [
      "time": .string(Self.timestamp()), "level": .string(event.level.rawValue), "logger": .string(label),
      "message": .string("\(event.message)"), "source": .string(event.source),
    ]
    for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new })
    where fields[key] == nil {
      fields[key] = .string("\(value)")
    }
    let line = "\(JSON.object(fields))\n"
    Self.output.lock()
    FileHandle.standardError.write(Data(line.utf8))
    Self.output.unlock()
  }

  static func timestamp() -> String {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    var parts = tm()
    var seconds = time_t(time.tv_sec)
    gmtime_r(&seconds, &parts)
    return String(
      format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(time.tv_nsec / 1_000_000))
  }
}
