import NIOCore
import NIOSSL
import NIOTLS

/// Sits after the TLS handler and completes `promise` when the handshake is over: succeeded, failed
/// (the error NIOSSL raised) or cut off (the server closed the connection, e.g. it refused our
/// certificate). Lets a connection be handed out only once it can carry requests.
final class TLSHandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = NIOAny

  let promise: EventLoopPromise<Void>

  init(promise: EventLoopPromise<Void>) {
    self.promise = promise
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if case .handshakeCompleted = event as? TLSUserEvent { promise.succeed() }
    context.fireUserInboundEventTriggered(event)
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    promise.fail(error)
    context.fireErrorCaught(error)
  }

  func channelInactive(context: ChannelHandlerContext) {
    promise.fail(ChannelError.ioOnClosedChannel)
    context.fireChannelInactive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    promise.fail(ChannelError.ioOnClosedChannel)
  }

  /// What a person can act on, from the error BoringSSL or NIOSSL gave.
  static func explain(_ error: any Error) -> String {
    let text = "\(error)"
    if text.contains("CERTIFICATE_VERIFY_FAILED") {
      return "the server's certificate is not trusted: not signed by the given CA certificate, or expired (\(text))"
    }
    if text.contains("failedToValidateHostname") || text.contains("Hostname") {
      return "the server's certificate is not for this host or address (\(text))"
    }
    if let channelError = error as? ChannelError, channelError == .ioOnClosedChannel {
      return
        "the server closed the connection during the handshake, or did not finish it in time (does it accept our certificate, signed by a CA it trusts?)"
    }
    return text
  }
}
