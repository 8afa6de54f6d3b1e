#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore

/// A request travelling down the pipeline together with the promise its answer completes.
struct PendingCall {
  var id: Int64
  var method: String
  /// The params array, already encoded.
  var params: [UInt8]
  var timeout: TimeAmount?
  var promise: EventLoopPromise<RawJSON>
}

/// What the connection writes: a call that awaits its answer, or a message that needs none.
enum RPCOutbound {
  case call(PendingCall)
  case message([UInt8])
}

/// What the server sends that nobody called for, in arrival order.
public enum RPCEvent: Sendable, Equatable {
  /// `update`, `update2`, `update3`, `locked`, `stolen`, …; `params` is the raw params array.
  case notification(method: String, params: RawJSON)
}

/// Matches responses to calls by id, answers the server's `echo`, and forwards notifications.
/// Lives on the channel's event loop; all state is confined to it.
final class RPCHandler: ChannelDuplexHandler {
  typealias InboundIn = InboundMessage
  typealias OutboundIn = RPCOutbound
  typealias OutboundOut = ByteBuffer

  private struct Waiting {
    var method: String
    var promise: EventLoopPromise<RawJSON>
    var timer: Scheduled<Void>?
  }

  private var waiting: [Int64: Waiting] = [:]
  private let events: AsyncStream<RPCEvent>.Continuation
  /// Why the connection ended, when known better than "closed" (see `TLSHandshakeWatcher`).
  private let endReason: NIOLockedValueBox<OVSDBError?>

  init(events: AsyncStream<RPCEvent>.Continuation, endReason: NIOLockedValueBox<OVSDBError?> = .init(nil)) {
    self.events = events
    self.endReason = endReason
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    let call: PendingCall
    switch unwrapOutboundIn(data) {
    case .message(let bytes):
      context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: promise)
      return
    case .call(let pending):
      call = pending
    }
    let id = call.id
    var timer: Scheduled<Void>? = nil
    if let timeout = call.timeout {
      let method = call.method
      timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
        self?.complete(
          id, with: .failure(OVSDBError.timedOut(method: method, seconds: Double(timeout.nanoseconds) / 1e9)))
      }
    }
    waiting[id] = Waiting(method: call.method, promise: call.promise, timer: timer)
    let bytes = RPCMessage.call(id: id, method: call.method, encodedParams: call.params)
    let written = context.eventLoop.makePromise(of: Void.self)
    let endReason = self.endReason
    written.futureResult.assumeIsolated().whenFailure { [weak self] _ in
      let reason = endReason.withLockedValue { $0 } ?? OVSDBError.connectionClosed(method: call.method)
      self?.complete(id, with: .failure(reason))
    }
    written.futureResult.cascade(to: promise)
    context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: written)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .response(let id, let result, let error):
      guard case .int(let n) = id, let entry = waiting[n] else {
        // A late answer to a call that already timed out: nothing waits for it any more.
        return
      }
      if error.isNull {
        complete(n, with: .success(result))
      } else {
        complete(n, with: .failure(OVSDBError.rpcError(method: entry.method, error: error)))
      }
    case .request(let id, let method, let params):
      // RFC 7047 §4.1.11: the server may probe us with echo; anything else we do not serve.
      let answer = RPCMessage.answer(id: id, method: method, params: params)
      context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: answer)), promise: nil)
    case .notification(let method, let params):
      events.yield(.notification(method: method, params: params))
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: Error) {
    // The peer gone mid-stream (a reset, as from a server killed over TCP) has closed the
    // connection, as a clean close does: callers that reconnect or read again on `connectionClosed`
    // recover from it too. Anything else, such as a malformed message, leaves the stream position
    // unknown: fail everything and reset.
    failAll(Self.isDisconnection(error) ? nil : error as? OVSDBError ?? .protocolViolation("\(error)"))
    context.close(promise: nil)
  }

  /// A read or write that failed because the peer is gone.
  static func isDisconnection(_ error: Error) -> Bool {
    guard let io = error as? IOError else { return false }
    return io.errnoCode == ECONNRESET || io.errnoCode == EPIPE || io.errnoCode == ECONNABORTED
  }

  func channelInactive(context: ChannelHandlerContext) {
    failAll(nil)
    events.finish()
    context.fireChannelInactive()
  }

  private func failAll(_ error: OVSDBError?) {
    for (id, entry) in waiting {
      complete(id, with: .failure(error ?? .connectionClosed(method: entry.method)))
    }
  }

  private func complete(_ id: Int64, with result: Result<RawJSON, Error>) {
    guard let entry = waiting.removeValue(forKey: id) else { return }
    entry.timer?.cancel()
    entry.promise.completeWith(result)
  }
}
