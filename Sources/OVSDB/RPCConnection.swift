import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// One JSON-RPC session with an OVSDB server over a stream socket.
public final class RPCConnection: Sendable {
  public let endpoint: Endpoint
  /// Server notifications in arrival order, buffered until read; finishes when the connection
  /// closes. Only one task may iterate it. Because nothing is lost before the first read, a client
  /// can apply a monitor's reply (the initial dump) first and then read the updates that followed.
  public let events: AsyncStream<RPCEvent>

  private let channel: any Channel
  private let nextID = NIOLockedValueBox<Int64>(0)

  /// Largest message accepted from the server; a bigger one resets the connection.
  public static let defaultMaxMessageBytes = 256 << 20

  /// Why the connection ended, when that is known better than "closed" (a TLS failure after the
  /// handshake): a call written after the end fails with it.
  private let endReason: NIOLockedValueBox<OVSDBError?>

  private init(
    endpoint: Endpoint, channel: any Channel, events: AsyncStream<RPCEvent>, endReason: NIOLockedValueBox<OVSDBError?>
  ) {
    self.endpoint = endpoint
    self.endReason = endReason
    self.channel = channel
    self.events = events
  }

  /// Starts the threads connections run on, which otherwise start with the first connection. A
  /// process about to load a large shared library calls this first: a thread cannot be created
  /// while `dlopen` holds the loader's lock, so a connection opened meanwhile would wait for the
  /// whole load (ovsvirt reconcile loads libvirt, ~50 libraries, while it reads the switch).
  public static func startEventLoops() {
    _ = MultiThreadedEventLoopGroup.singleton.next()
  }

  /// Opens a connection; fails with `OVSDBError.connectionFailed` naming the endpoint. An `ssl:`
  /// endpoint needs `tls` (a context from `TLSFiles.context()`), and the connection is returned only
  /// once the handshake succeeded (within `timeout`), else `OVSDBError.tlsHandshakeFailed` says why.
  public static func connect(
    to endpoint: Endpoint,
    timeout: Duration = .seconds(10),
    tls: NIOSSLContext? = nil,
    maxMessageBytes: Int = defaultMaxMessageBytes,
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) async throws -> RPCConnection {
    let (stream, continuation) = AsyncStream.makeStream(of: RPCEvent.self)
    let secure: (context: NIOSSLContext, serverHostname: String?)?
    if case .ssl(let host, _) = endpoint {
      guard let tls else {
        continuation.finish()
        throw OVSDBError.tlsSettings(
          "\(endpoint) is an ssl: remote: give the CA certificate (--ca-cert) and usually the private key and certificate"
        )
      }
      // An IP address cannot go in SNI; NIOSSL then checks the certificate against the peer's address.
      secure = (tls, Self.isIPAddress(host) ? nil : host)
    } else {
      secure = nil
    }
    let handshakeBox = NIOLockedValueBox<EventLoopFuture<Void>?>(nil)
    let endReason = NIOLockedValueBox<OVSDBError?>(nil)
    let bootstrap = ClientBootstrap(group: group)
      .connectTimeout(TimeAmount(timeout))
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          if let secure {
            let watcher = TLSHandshakeWatcher(
              promise: channel.eventLoop.makePromise(), endpoint: endpoint.description, endReason: endReason)
            handshakeBox.withLockedValue { $0 = watcher.promise.futureResult }
            try channel.pipeline.syncOperations.addHandler(
              try NIOSSLClientHandler(context: secure.context, serverHostname: secure.serverHostname))
            try channel.pipeline.syncOperations.addHandler(watcher)
          }
          try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(RPCFrameDecoder(maxMessageBytes: maxMessageBytes)))
          try channel.pipeline.syncOperations.addHandler(RPCHandler(events: continuation, endReason: endReason))
        }
      }
    let channel: any Channel
    do {
      switch endpoint {
      case .unix(let path): channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
      case .tcp(let host, let port), .ssl(let host, let port):
        channel = try await bootstrap.connect(host: host, port: port).get()
      }
    } catch {
      continuation.finish()
      throw OVSDBError.connectionFailed(endpoint: endpoint.description, reason: "\(error)")
    }
    if let handshake = handshakeBox.withLockedValue({ $0 }) {
      // The handshake is bounded like the connect: a server that never answers it is no server.
      let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
        channel.close(promise: nil)
      }
      do {
        try await handshake.get()
        timer.cancel()
      } catch {
        timer.cancel()
        try? await channel.close()
        continuation.finish()
        throw OVSDBError.tlsHandshakeFailed(endpoint: endpoint.description, reason: TLSHandshakeWatcher.explain(error))
      }
    }
    return RPCConnection(endpoint: endpoint, channel: channel, events: stream, endReason: endReason)
  }

  private static func isIPAddress(_ host: String) -> Bool {
    (try? SocketAddress(ipAddress: host, port: 0)) != nil
  }

  /// Sends `method(params)` and waits for its result. A JSON-RPC error from the server is thrown as
  /// `OVSDBError.rpcError`; no answer within `timeout` as `OVSDBError.timedOut`.
  public func call(
    _ method: String, _ params: [JSON] = [], timeout: Duration? = .seconds(60)
  ) async throws -> JSON {
    var writer = JSONWriter()
    writer.write(.array(params))
    return try await call(method, encodedParams: writer.bytes, timeout: timeout)
  }

  /// Like `call`, with the params array already encoded (the transaction hot path).
  public func call(
    _ method: String, encodedParams: [UInt8], timeout: Duration? = .seconds(60)
  ) async throws -> JSON {
    let raw = try await callRaw(method, encodedParams: encodedParams, timeout: timeout)
    do {
      return try raw.parse()
    } catch {
      throw OVSDBError.protocolViolation("\(method) result: \(error)")
    }
  }

  /// Like `call`, returning the result undecoded (for monitor dumps, decoded straight into a replica).
  public func callRaw(
    _ method: String, encodedParams: [UInt8], timeout: Duration? = .seconds(60)
  ) async throws -> RawJSON {
    let params = encodedParams
    let id = nextID.withLockedValue { value in
      value += 1
      return value
    }
    let promise = channel.eventLoop.makePromise(of: RawJSON.self)
    let call = PendingCall(
      id: id, method: method, params: params, timeout: timeout.map(TimeAmount.init), promise: promise)
    channel.writeAndFlush(RPCOutbound.call(call)).whenFailure { _ in
      promise.fail(self.endReason.withLockedValue { $0 } ?? OVSDBError.connectionClosed(method: method))
    }
    return try await promise.futureResult.get()
  }

  /// Sends a JSON-RPC notification (no id, no reply), e.g. `cancel` of a pending request.
  public func notify(_ method: String, _ params: [JSON]) async throws {
    let bytes = RPCMessage.notification(method: method, params: params).encoded()
    try await channel.writeAndFlush(RPCOutbound.message(bytes)).get()
  }

  /// The id the next `call` will use; lets a caller `cancel` a request it is about to make.
  public func peekNextID() -> Int64 { nextID.withLockedValue { $0 + 1 } }

  public var isActive: Bool { channel.isActive }

  /// Closes the socket; pending calls fail with `connectionClosed`.
  public func close() async {
    try? await channel.close()
  }
}

extension TimeAmount {
  /// Saturates rather than traps: a timeout of centuries (more than Int64 nanoseconds) is as good as
  /// none, and a caller's odd value must not crash the process.
  init(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    let (total, carry) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
    guard !overflow && !carry else {
      self = .nanoseconds(seconds < 0 ? .min : .max)
      return
    }
    self = .nanoseconds(total)
  }
}
