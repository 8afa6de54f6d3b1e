import NIOCore
import NIOSSL
import NIOTLS

/// Sits after the TLS handler and completes `promise` when the handshake is over: succeeded, failed
/// (the error NIOSSL raised) or cut off (the server closed the connection). Lets a connection be
/// handed out only once it can carry requests. A TLS error after that (with TLS 1.3 the server
/// judges our certificate after our side of the handshake is done, and says so with an alert) goes
/// on as `OVSDBError.tlsHandshakeFailed` naming the remote, which the pending calls then fail with.
final class TLSHandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = NIOAny

  let promise: EventLoopPromise<Void>
  let endpoint: String

  init(promise: EventLoopPromise<Void>, endpoint: String) {
    self.promise = promise
    self.endpoint = endpoint
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if case .handshakeCompleted = event as? TLSUserEvent { promise.succeed() }
    context.fireUserInboundEventTriggered(event)
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // Completing a promise twice is a no-op: after the handshake only the rewrite matters.
    promise.fail(error)
    guard error is NIOSSLError || String(reflecting: type(of: error)).hasPrefix("NIOSSL") else {
      context.fireErrorCaught(error)
      return
    }
    context.fireErrorCaught(OVSDBError.tlsHandshakeFailed(endpoint: endpoint, reason: Self.explain(error)))
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
    if text.contains("ALERT_UNKNOWN_CA") || text.contains("ALERT_BAD_CERTIFICATE")
      || text.contains("ALERT_CERTIFICATE")
    {
      return "the server refused our certificate: not signed by a CA it trusts, expired, or missing (\(text))"
    }
    if let channelError = error as? ChannelError, channelError == .ioOnClosedChannel {
      return
        "the server closed the connection during the handshake, or did not finish it in time (does it accept our certificate, signed by a CA it trusts?)"
    }
    return text
  }
}
