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
      // Inside a message only quotes and brackets matter (and, in a string, backslashes): jump
      // from one to the next eight bytes at a time. Every byte passed counts toward the limit.
      let limit = start + maxMessageBytes
      if inString && escaped {
        guard i < limit else { throw .messageTooLarge(limit: maxMessageBytes) }
        escaped = false
        i += 1
        continue
      }
      let stop: Int
      if inString {
        stop = JSONStringScan.nextQuoteOrBackslash(in: buffer, from: i)
      } else {
        // Between strings the next quote or bracket is a byte or two away: a plain loop is
        // cheaper there than loading words.
        var j = i
        while j < count {
          let byte = buffer[j]
          let folded = byte | 0x20
          if byte == UInt8(ascii: "\"") || folded == UInt8(ascii: "{") || folded == UInt8(ascii: "}") { break }
          j += 1
        }
        stop = j
      }
      guard Swift.min(stop, count - 1) < limit else { throw .messageTooLarge(limit: maxMessageBytes) }
      guard stop < count else { break }
      i = stop + 1
      let byte = buffer[stop]
      if inString {
        if byte == UInt8(ascii: "\\") {
          escaped = true
        } else {
          inString = false
        }
        continue
      }
      switch byte {
      case UInt8(ascii: "\""):
        inString = true
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        guard depth < maxDepth else { throw .tooDeep(limit: maxDepth) }
        let isArray: UInt64 = byte == UInt8(ascii: "[") ? 1 : 0
        openArrays = (openArrays & ~(1 << UInt64(depth))) | (isArray << UInt64(depth))
        depth += 1
      default:  // `}` or `]`
        let wasArray = (openArrays >> UInt64(depth - 1)) & 1 == 1
        guard wasArray == (byte == UInt8(ascii: "]")) else { throw .unbalanced(byte: byte) }
        depth -= 1
        if depth == 0 {
          messageStart = nil
          return start..<i
        }
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
