import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import NIOTLS

/// Sits after the TLS handler and completes `promise` when the handshake is over: succeeded, failed
/// (the error NIOSSL raised) or cut off (the server closed the connection). Lets a connection be
/// handed out only once it can carry requests. A TLS error after that (with TLS 1.3 the server
/// judges our certificate after our side of the handshake is done, and says so with an alert) goes
/// on as `OVSDBError.tlsHandshakeFailed` naming the remote, which the pending calls then fail with.
/// The alert may be lost (the server closes with our first request unread, and the reset discards
/// what it sent), so a connection that ends before the server sent anything at all is reported the
/// same way rather than as a plain close.
final class TLSHandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = NIOAny

  let promise: EventLoopPromise<Void>
  let endpoint: String
  /// Where the failure is also kept, for calls written after the connection ended.
  let endReason: NIOLockedValueBox<OVSDBError?>
  /// Whether the server has sent any data over the finished handshake.
  private var answered = false

  init(promise: EventLoopPromise<Void>, endpoint: String, endReason: NIOLockedValueBox<OVSDBError?>) {
    self.promise = promise
    self.endpoint = endpoint
    self.endReason = endReason
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    answered = true
    context.fireChannelRead(data)
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if case .handshakeCompleted = event as? TLSUserEvent { promise.succeed() }
    context.fireUserInboundEventTriggered(event)
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // Completing a promise twice is a no-op: after the handshake only the rewrite matters.
    promise.fail(error)
    let fromTLS = error is NIOSSLError || String(reflecting: type(of: error)).hasPrefix("NIOSSL")
    guard fromTLS || !answered else {
      context.fireErrorCaught(error)
      return
    }
    report(fromTLS ? Self.explain(error) : Self.hungUp, context: context)
  }

  private func report(_ reason: String, context: ChannelHandlerContext) {
    answered = true
    let failure = OVSDBError.tlsHandshakeFailed(endpoint: endpoint, reason: reason)
    endReason.withLockedValue { $0 = $0 ?? failure }
    context.fireErrorCaught(failure)
  }

  func channelInactive(context: ChannelHandlerContext) {
    promise.fail(ChannelError.ioOnClosedChannel)
    if !answered { report(Self.hungUp, context: context) }
    context.fireChannelInactive()
  }

  static let hungUp =
    "the server hung up during the handshake or before answering anything, or did not finish the handshake in time (does it accept our certificate, signed by a CA it trusts?)"

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
      return hungUp
    }
    return text
  }
}
