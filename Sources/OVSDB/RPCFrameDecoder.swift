import NIOCore

/// Turns the byte stream into parsed JSON-RPC messages, one per complete top-level object.
struct RPCFrameDecoder: ByteToMessageDecoder {
  typealias InboundOut = InboundMessage

  private var scanner: JSONFrameScanner
  /// Bytes after the reader index already scanned without finding a message end.
  private var scanned = 0

  init(maxMessageBytes: Int) {
    scanner = JSONFrameScanner(maxMessageBytes: maxMessageBytes)
  }

  mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
    let from = scanned
    let found: Range<Int>?
    do {
      found = try buffer.withUnsafeReadableBytes { bytes throws(JSONFrameScanner.ScanError) in
        try scanner.scan(bytes, from: from)
      }
    } catch {
      throw OVSDBError.protocolViolation(Self.describe(error))
    }
    guard let range = found else {
      scanned = buffer.readableBytes
      return .needMoreData
    }
    scanned = 0
    let depth = scanner.maxDepth
    let message = try buffer.withUnsafeReadableBytes { bytes throws(OVSDBError) in
      try InboundMessage(bytes: UnsafeRawBufferPointer(rebasing: bytes[range]), maxDepth: depth)
    }
    buffer.moveReaderIndex(forwardBy: range.upperBound)
    context.fireChannelRead(wrapInboundOut(message))
    return .continue
  }

  mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
    -> DecodingState
  {
    while try decode(context: context, buffer: &buffer) == .continue {}
    if scanner.isInsideMessage {
      throw OVSDBError.protocolViolation("connection closed in the middle of a message (truncated)")
    }
    return .needMoreData
  }

  static func describe(_ error: JSONFrameScanner.ScanError) -> String {
    switch error {
    case .notAnObject(let byte):
      return "expected a JSON object between messages, got byte 0x\(String(byte, radix: 16))"
    case .messageTooLarge(let limit): return "message larger than \(limit) bytes"
    case .tooDeep(let limit): return "message nested deeper than \(limit) levels"
    case .unbalanced(let byte): return "unbalanced '\(Character(Unicode.Scalar(byte)))' in message"
    }
  }
}
