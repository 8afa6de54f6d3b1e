import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A minimal HTTP endpoint serving `GET /metrics` for Prometheus; anything else is 404. What it
/// serves comes from `exposition`, asked on every scrape (the daemon passes its registry's text).
public final class MetricsServer: Sendable {
  let channel: any Channel
  /// The port actually bound (useful with port 0).
  public let port: Int

  private init(channel: any Channel, port: Int) {
    self.channel = channel
    self.port = port
  }

  /// Binds at once, so that a port in use is reported before the daemon starts anything else.
  public static func start(host: String, port: Int, exposition: @escaping @Sendable () -> String) async throws
    -> MetricsServer
  {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.configureHTTPServerPipeline()
          try channel.pipeline.syncOperations.addHandler(MetricsHandler(exposition: exposition))
        }
      }
      .bind(host: host, port: port).get()
    return MetricsServer(channel: channel, port: channel.localAddress?.port ?? port)
  }

  public func close() async {
    try? await channel.close()
  }
}

/// In the daemon's service group the endpoint is the first service, so it is shut down last: the
/// scrape during a shutdown still answers.
extension MetricsServer: Service {
  public func run() async throws {
    // Cancellation (a second signal) ends the wait too; either way the socket closes.
    try? await gracefulShutdown()
    await close()
  }
}

private final class MetricsHandler: ChannelInboundHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  let exposition: @Sendable () -> String
  private var path = ""

  init(exposition: @escaping @Sendable () -> String) {
    self.exposition = exposition
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      path = head.uri
    case .body:
      break
    case .end:
      let found = path == "/metrics" || path.hasPrefix("/metrics?")
      let body = found ? exposition() : "not found: try /metrics\n"
      var headers = HTTPHeaders()
      headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4" : "text/plain")
      headers.add(name: "Content-Length", value: String(body.utf8.count))
      headers.add(name: "Connection", value: "close")
      let head = HTTPResponseHead(version: .http1_1, status: found ? .ok : .notFound, headers: headers)
      context.write(wrapOutboundOut(.head(head)), promise: nil)
      context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
      // Connection: close — the peer reads to EOF, so close once the response is out.
      let written = context.eventLoop.makePromise(of: Void.self)
      context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
      written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
  }
}
