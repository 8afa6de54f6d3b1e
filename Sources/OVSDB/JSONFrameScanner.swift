import CJSONFrame

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
    // The state lives in locals while the loop runs (written back on every exit), so the compiler
    // keeps it in registers: this pass runs over every byte received.
    var depth = self.depth
    var inString = self.inString
    var escaped = self.escaped
    var messageStart = self.messageStart
    var openArrays = self.openArrays
    defer {
      self.depth = depth
      self.inString = inString
      self.escaped = escaped
      self.messageStart = messageStart
      self.openArrays = openArrays
    }
    var i = from
    let count = buffer.count
    while i < count {
      guard depth > 0, let start = messageStart else {
        // Between messages: whitespace, or the `{` opening the next one.
        let byte = buffer[i]
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D: break
        case UInt8(ascii: "{"):
          guard maxDepth > 0 else { throw .tooDeep(limit: maxDepth) }
          messageStart = i
          openArrays = 0
          depth = 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"): throw .unbalanced(byte: byte)
        default: throw .notAnObject(byte: byte)
        }
        i += 1
        continue
      }
      // Inside a message only quotes and brackets matter (and, in a string, backslashes):
      // CJSONFrame's loop, 16 bytes at a time. Every byte passed counts toward the limit.
      let limit = start + maxMessageBytes
      let end = Swift.min(count, limit)
      guard let bytes = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { break }
      var state = cjf_state(
        depth: Int64(depth), open_arrays: openArrays, in_string: inString ? 1 : 0, escaped: escaped ? 1 : 0)
      var stop = 0
      let result = cjf_scan(&state, bytes, i, end, Int64(maxDepth), &stop)
      depth = Int(state.depth)
      openArrays = state.open_arrays
      inString = state.in_string != 0
      escaped = state.escaped != 0
      i = stop
      switch Int(result) {
      case CJF_CLOSED:
        messageStart = nil
        return start..<i
      case CJF_TOO_DEEP: throw .tooDeep(limit: maxDepth)
      case CJF_UNBALANCED: throw .unbalanced(byte: buffer[stop])
      default:  // CJF_NEED_MORE: the buffer ended, or the message reached its limit still open
        guard end == count else { throw .messageTooLarge(limit: maxMessageBytes) }
      }
    }
    return nil
  }

  /// Whether bytes of an unfinished message are pending (used to report truncation at EOF).
  public var isInsideMessage: Bool { depth > 0 }

  public mutating func reset() {
    self = JSONFrameScanner(maxMessageBytes: maxMessageBytes, maxDepth: maxDepth)
  }
}
