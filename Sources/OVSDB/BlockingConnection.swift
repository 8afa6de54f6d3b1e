#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A JSON-RPC session for a process that sends a request or two and exits (ovsvirt's one-shot
/// commands): calls block the calling thread, every wait is a `poll` bounded by the caller's
/// deadline, and no thread is started. `RPCConnection` starts NIO's event loops, which costs a
/// one-shot process more than its whole exchange with the server.
///
/// The wire is `RPCConnection`'s: requests are written by `RPCMessage.call`, messages are framed by
/// `JSONFrameScanner` and read by `InboundMessage`, the server's `echo` is answered by
/// `RPCMessage.answer`, and failures are the same `OVSDBError`s. Notifications are dropped (a
/// one-shot session monitors nothing).
public final class BlockingConnection {
  public let endpoint: Endpoint
  private let descriptor: Int32
  private var scanner = JSONFrameScanner(maxMessageBytes: RPCConnection.defaultMaxMessageBytes)
  /// Bytes received and not consumed yet; `scanned` of them already scanned without a message end.
  private var received: [UInt8] = []
  /// What each `recv` fills, kept between reads (a 10,000-port dump is ~40 of them). Left
  /// uninitialized: zero-filling its 16 pages was 16 page faults in a command whose reply is 50
  /// bytes (recv touches only the pages it writes).
  private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
  private var scanned = 0
  private var nextID: Int64 = 0
  private var closed = false

  private init(endpoint: Endpoint, descriptor: Int32) {
    self.endpoint = endpoint
    self.descriptor = descriptor
  }

  deinit {
    close()
    readBuffer.deallocate()
  }

  /// Connects by `deadline`; nil when that does not work out, whatever the reason (the caller then
  /// connects the ordinary way, whose failure message is the one to show).
  public static func connect(to endpoint: Endpoint, by deadline: ContinuousClock.Instant) -> BlockingConnection? {
    switch endpoint {
    case .unix(let path):
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      let bytes = Array(path.utf8)
      guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
      withUnsafeMutableBytes(of: &address.sun_path) { destination in
        destination.copyBytes(from: bytes)
      }
      return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          open(endpoint, family: AF_UNIX, $0, socklen_t(MemoryLayout<sockaddr_un>.size), by: deadline)
        }
      }
    case .tcp(let host, let port):
      var hints = addrinfo()
      hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
      hints.ai_flags = AI_NUMERICSERV
      var list: UnsafeMutablePointer<addrinfo>?
      guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return nil }
      defer { freeaddrinfo(first) }
      var entry: UnsafeMutablePointer<addrinfo>? = first
      while let info = entry {
        if let address = info.pointee.ai_addr,
          let connection = open(
            endpoint, family: info.pointee.ai_family, address, info.pointee.ai_addrlen, by: deadline)
        {
          return connection
        }
        entry = info.pointee.ai_next
      }
      return nil
    case .ssl:
      // TLS, and several remotes with a leader to find, go the ordinary way (OVSDBClient).
      return nil
    }
  }

  private static func open(
    _ endpoint: Endpoint, family: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t,
    by deadline: ContinuousClock.Instant
  ) -> BlockingConnection? {
    let fd = socket(
      family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    guard fd >= 0 else { return nil }
    let connection = BlockingConnection(endpoint: endpoint, descriptor: fd)
    if Glibc.connect(fd, address, length) == 0 { return connection }
    guard errno == EINPROGRESS || errno == EAGAIN, connection.wait(for: Int16(POLLOUT), until: deadline) else {
      return nil
    }
    var failure: Int32 = 0
    var size = socklen_t(MemoryLayout<Int32>.size)
    guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size) == 0, failure == 0 else { return nil }
    return connection
  }

  /// Sends `method(params)` (params already encoded as a JSON array) and returns its result, as
  /// `RPCConnection.callRaw` does: a JSON-RPC error is `OVSDBError.rpcError`, no answer by
  /// `deadline` `OVSDBError.timedOut` (naming `timeout`, the time the caller gave the call).
  public func callRaw(
    _ method: String, encodedParams: [UInt8], timeout: Duration, deadline: ContinuousClock.Instant
  ) throws(OVSDBError) -> RawJSON {
    nextID += 1
    let id = nextID
    let (seconds, attoseconds) = timeout.components
    let timedOut = OVSDBError.timedOut(method: method, seconds: Double(seconds) + Double(attoseconds) / 1e18)
    guard try send(RPCMessage.call(id: id, method: method, encodedParams: encodedParams), until: deadline) else {
      throw timedOut
    }
    while true {
      guard let message = try nextMessage(until: deadline, method: method) else { throw timedOut }
      switch message {
      case .response(let answered, let result, let error):
        // Anything else answers a call this session no longer waits for.
        guard case .int(let n) = answered, n == id else { continue }
        guard error.isNull else { throw .rpcError(method: method, error: error) }
        return result
      case .request(let requestID, let requestMethod, let params):
        guard
          try send(RPCMessage.answer(id: requestID, method: requestMethod, params: params), until: deadline)
        else { throw timedOut }
      case .notification:
        continue
      }
    }
  }

  /// `callRaw`, its result parsed, as `RPCConnection.call` parses it.
  public func call(
    _ method: String, encodedParams: [UInt8], timeout: Duration, deadline: ContinuousClock.Instant
  ) throws(OVSDBError) -> JSON {
    let raw = try callRaw(method, encodedParams: encodedParams, timeout: timeout, deadline: deadline)
    do {
      return try raw.parse()
    } catch {
      throw .protocolViolation("\(method) result: \(error)")
    }
  }

  public func close() {
    guard !closed else { return }
    closed = true
    _ = Glibc.close(descriptor)
  }

  /// Writes all of `bytes`; false when `deadline` passed first.
  private func send(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) throws(OVSDBError) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { buffer in
        let rest = UnsafeRawBufferPointer(rebasing: buffer[offset...])
        return Glibc.send(descriptor, rest.baseAddress, rest.count, Int32(MSG_NOSIGNAL))
      }
      if written > 0 {
        offset += written
      } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        guard wait(for: Int16(POLLOUT), until: deadline) else { return false }
      } else {
        throw .connectionClosed(method: nil)
      }
    }
    return true
  }

  /// The next complete message, reading as needed; nil when `deadline` passed first.
  private func nextMessage(until deadline: ContinuousClock.Instant, method: String) throws(OVSDBError)
    -> InboundMessage?
  {
    while true {
      let from = scanned
      // Array's withUnsafeBytes rethrows untyped: the outcomes come out as Results.
      let scan = received.withUnsafeBytes { bytes in
        Result { () throws(JSONFrameScanner.ScanError) in try scanner.scan(bytes, from: from) }
      }
      let found: Range<Int>?
      switch scan {
      case .success(let range): found = range
      case .failure(let error): throw .protocolViolation(RPCFrameDecoder.describe(error))
      }
      if let range = found {
        let depth = scanner.maxDepth
        let parsed = received.withUnsafeBytes { bytes in
          Result { () throws(OVSDBError) in
            try InboundMessage(bytes: UnsafeRawBufferPointer(rebasing: bytes[range]), maxDepth: depth)
          }
        }
        let message = try parsed.get()
        received.removeSubrange(0..<range.upperBound)
        scanned = 0
        return message
      }
      scanned = received.count
      guard wait(for: Int16(POLLIN), until: deadline) else { return nil }
      let count = Glibc.recv(descriptor, readBuffer.baseAddress, readBuffer.count, 0)
      if count > 0 {
        received.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
      } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        continue
      } else if count == 0 && scanner.isInsideMessage {
        throw .protocolViolation("connection closed in the middle of a message (truncated)")
      } else {
        throw .connectionClosed(method: method)
      }
    }
  }

  /// Waits until the socket is ready for `events` (or has an error to report); false when
  /// `deadline` passed first.
  private func wait(for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
    while true {
      let left = deadline - ContinuousClock.now
      guard left > .zero else { return false }
      let (seconds, attoseconds) = left.components
      // Rounded up: a poll that returns early only loops.
      let milliseconds =
        seconds >= Int64(Int32.max / 1000) ? Int32.max : Int32(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
      var entry = pollfd(fd: descriptor, events: events, revents: 0)
      let ready = poll(&entry, 1, milliseconds)
      if ready > 0 { return true }
      if ready < 0 && errno != EINTR { return true }  // the next read or write reports it
    }
  }
}

extension BlockingConnection {
  /// `OVSDBClient.transact` over this connection: the same request, the same results and
  /// `TransactionError`s.
  public func transact(
    _ database: String, _ operations: [DBOperation], timeout: Duration, deadline: ContinuousClock.Instant
  ) throws -> [OperationResult] {
    let reply = try callRaw(
      "transact", encodedParams: OVSDBClient.transactParams(database, operations), timeout: timeout,
      deadline: deadline)
    return try OperationResult.decode(reply, for: operations)
  }
}
