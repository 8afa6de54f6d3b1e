import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OVSDB

/// A unix-socket peer that answers JSON-RPC requests from a script, for the server misbehaviour a
/// real ovsdb-server never shows: malformed, truncated or oversized messages, silence, odd replies.
public final class ScriptedServer: Sendable {
  public enum Reply: Sendable {
    /// Answer with this result for the request's id.
    case result(JSON)
    /// Send these bytes verbatim.
    case raw([UInt8])
    /// Send nothing.
    case silence
    /// Send these bytes, then close the connection.
    case rawThenClose([UInt8])
    /// Answer with this result, but only after `delay` (a slow server, not a silent one).
    case delayedResult(JSON, delay: Duration)
  }

  public let path: String
  private let channel: any Channel
  private let log = NIOLockedValueBox<[JSON]>([])

  /// Every message the server received, in order.
  public var received: [JSON] { log.withLockedValue { $0 } }

  public init(socketPath: String, script: @escaping @Sendable (_ method: String, _ message: JSON) -> Reply) async throws
  {
    path = socketPath
    let log = self.log
    channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .childChannelInitializer { child in
        child.eventLoop.makeCompletedFuture {
          try child.pipeline.syncOperations.addHandler(ScriptHandler(script: script, log: log))
        }
      }
      .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true).get()
  }

  public func close() async {
    try? await channel.close()
  }
}

private final class ScriptHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  let script: @Sendable (String, JSON) -> ScriptedServer.Reply
  let log: NIOLockedValueBox<[JSON]>
  var pending: [UInt8] = []
  var scanner = JSONFrameScanner()
  /// Bytes of `pending` already scanned: the scanner keeps its state between reads.
  var scanned = 0

  init(script: @escaping @Sendable (String, JSON) -> ScriptedServer.Reply, log: NIOLockedValueBox<[JSON]>) {
    self.script = script
    self.log = log
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    var buffer = unwrapInboundIn(data)
    pending += buffer.readBytes(length: buffer.readableBytes) ?? []
    while true {
      let found: Range<Int>?
      let from = scanned
      do {
        found = try pending.withUnsafeBytes { bytes throws(JSONFrameScanner.ScanError) in
          try scanner.scan(bytes, from: from)
        }
      } catch {
        context.close(promise: nil)
        return
      }
      guard let range = found else {
        // A request split across reads: resume where this scan stopped.
        scanned = pending.count
        return
      }
      guard let message = try? JSONParser.parse(pending[range]) else {
        context.close(promise: nil)
        return
      }
      pending.removeFirst(range.upperBound)
      scanned = 0
      log.withLockedValue { $0.append(message) }
      let method = message["method"]?.stringValue ?? ""
      let reply = script(method, message)
      switch reply {
      case .result(let result):
        send(context, RPCMessage.response(id: message["id"] ?? .null, result: result, error: .null).encoded())
      case .raw(let bytes):
        send(context, bytes)
      case .silence:
        break
      case .rawThenClose(let bytes):
        send(context, bytes)
        context.close(promise: nil)
        return
      case .delayedResult(let result, let delay):
        let bytes = RPCMessage.response(id: message["id"] ?? .null, result: result, error: .null).encoded()
        let (seconds, attoseconds) = delay.components
        context.eventLoop.assumeIsolated().scheduleTask(
          in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        ) { [weak self] in
          self?.send(context, bytes)
        }
      }
    }
  }

  func send(_ context: ChannelHandlerContext, _ bytes: [UInt8]) {
    context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
  }
}
