/// Finds where each JSON-RPC message ends in a stream of back-to-back JSON objects (RFC 7047 §4 puts
/// no delimiter between them). It only tracks nesting and string state, so reads split at any byte,
/// even inside an escape or a multi-byte character, resume where the previous scan stopped.
public struct JSONFrameScanner: Sendable {
  public enum ScanError: Error, Sendable, Equatable {
    /// Something other than whitespace or `{` between messages.
    case notAnObject(byte: UInt8)
    /// A message grew past `maxMessageBytes` before it closed.
    case messageTooLarge(limit: Int)
    /// More nested `{`/`[` than `maxDepth`.
    case tooDeep(limit: Int)
    /// A `]` or `}` that closes nothing or the wrong thing.
    case unbalanced(byte: UInt8)
  }

  public let maxMessageBytes: Int
  public let maxDepth: Int

  private var depth = 0
  private var inString = false
  private var escaped = false
  private var messageStart: Int? = nil
  /// Bracket kinds currently open, one bit per level (1 = array); enough for `maxDepth` ≤ 64.
  private var openArrays: UInt64 = 0

  public init(maxMessageBytes: Int = 64 << 20, maxDepth: Int = 64) {
    self.maxMessageBytes = maxMessageBytes
    self.maxDepth = min(maxDepth, 64)
  }

  /// Scans `buffer[from...]`, where `from` is where the previous call stopped; the caller keeps
  /// every byte it has not consumed, so offsets stay valid between calls. Returns the byte range of
  /// the first complete message, or nil when more bytes are needed. After a message is returned the
  /// caller consumes bytes up to its end and scans the rest from 0.
  public mutating func scan(_ buffer: UnsafeRawBufferPointer, from: Int) throws(ScanError) -> Range<Int>? {
    var i = from
    let count = buffer.count
    while i < count {
      if let start = messageStart, i - start >= maxMessageBytes { throw .messageTooLarge(limit: maxMessageBytes) }
      let byte = buffer[i]
      if inString {
        if escaped {
          escaped = false
        } else if byte == UInt8(ascii: "\\") {
          escaped = true
        } else if byte == UInt8(ascii: "\"") {
          inString = false
        }
        i += 1
        continue
      }
      switch byte {
      case UInt8(ascii: "\""):
        guard depth > 0 else { throw .notAnObject(byte: byte) }
        inString = true
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        if depth == 0 {
          guard byte == UInt8(ascii: "{") else { throw .notAnObject(byte: byte) }
          messageStart = i
        }
        guard depth < maxDepth else { throw .tooDeep(limit: maxDepth) }
        let isArray: UInt64 = byte == UInt8(ascii: "[") ? 1 : 0
        openArrays = (openArrays & ~(1 << UInt64(depth))) | (isArray << UInt64(depth))
        depth += 1
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        guard depth > 0 else { throw .unbalanced(byte: byte) }
        let wasArray = (openArrays >> UInt64(depth - 1)) & 1 == 1
        guard wasArray == (byte == UInt8(ascii: "]")) else { throw .unbalanced(byte: byte) }
        depth -= 1
        if depth == 0, let start = messageStart {
          messageStart = nil
          return start..<(i + 1)
        }
      case 0x20, 0x09, 0x0A, 0x0D:
        break
      default:
        guard depth > 0 else { throw .notAnObject(byte: byte) }
      }
      i += 1
    }
    return nil
  }

  /// Whether bytes of an unfinished message are pending (used to report truncation at EOF).
  public var isInsideMessage: Bool { depth > 0 }

  public mutating func reset() {
    self = JSONFrameScanner(maxMessageBytes: maxMessageBytes, maxDepth: maxDepth)
  }
}
