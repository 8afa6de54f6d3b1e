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

  /// Nesting, bracket kinds and string state: CJSONFrame's, which its loop updates in place.
  private var state = cjf_state()
  private var messageStart: Int? = nil

  public init(maxMessageBytes: Int = 64 << 20, maxDepth: Int = 64) {
    self.maxMessageBytes = maxMessageBytes
    self.maxDepth = min(maxDepth, 64)  // one bit per level in `state.open_arrays`
  }

  /// Scans `buffer[from...]`, where `from` is where the previous call stopped; the caller keeps
  /// every byte it has not consumed, so offsets stay valid between calls. Returns the byte range of
  /// the first complete message, or nil when more bytes are needed. After a message is returned the
  /// caller consumes bytes up to its end and scans the rest from 0.
  public mutating func scan(_ buffer: UnsafeRawBufferPointer, from: Int) throws(ScanError) -> Range<Int>? {
    guard let bytes = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
    var i = from
    let count = buffer.count
    while i < count {
      guard state.depth > 0, let start = messageStart else {
        // Between messages: whitespace, or the `{` opening the next one.
        let byte = buffer[i]
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D: break
        case UInt8(ascii: "{"):
          guard maxDepth > 0 else { throw .tooDeep(limit: maxDepth) }
          messageStart = i
          state = cjf_state(depth: 1, open_arrays: 0, in_string: 0, escaped: 0)
        case UInt8(ascii: "}"), UInt8(ascii: "]"): throw .unbalanced(byte: byte)
        default: throw .notAnObject(byte: byte)
        }
        i += 1
        continue
      }
      // Inside a message only quotes and brackets matter (and, in a string, backslashes):
      // CJSONFrame's loop, 16 bytes at a time. Every byte passed counts toward the limit.
      let end = Swift.min(count, start + maxMessageBytes)
      var stop = 0
      let result = cjf_scan(&state, bytes, i, end, Int64(maxDepth), &stop)
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
  public var isInsideMessage: Bool { state.depth > 0 }

  public mutating func reset() {
    self = JSONFrameScanner(maxMessageBytes: maxMessageBytes, maxDepth: maxDepth)
  }
}
