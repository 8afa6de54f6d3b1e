import CLibvirt

/// Something that happened to a domain, as libvirt reports it.
public enum DomainEvent: Sendable, Equatable {
  public enum Lifecycle: Int32, Sendable {
    case defined = 0, undefined, started, suspended, resumed, stopped, shutdown, pmsuspended, crashed
  }

  /// `detail` is the libvirt detail code of that event (e.g. why it stopped).
  case lifecycle(domain: String, event: Lifecycle, detail: Int32)
  case deviceAdded(domain: String, alias: String)
  case deviceRemoved(domain: String, alias: String)

  public var domain: String {
    switch self {
    case .lifecycle(let domain, _, _), .deviceAdded(let domain, _), .deviceRemoved(let domain, _): return domain
    }
  }
}

/// Receives libvirt's C callbacks; retained by libvirt (released by its free callback).
final class EventSink: Sendable {
  let continuation: AsyncStream<DomainEvent>.Continuation
  let lib: LibvirtLibrary

  init(_ continuation: AsyncStream<DomainEvent>.Continuation, lib: LibvirtLibrary) {
    self.continuation = continuation
    self.lib = lib
  }

  func name(_ domain: virDomainPtr?) -> String {
    lib.callAs(.virDomainGetName, LibvirtLibrary.DomainName.self)(domain).map { String(cString: $0) } ?? ""
  }
}

extension Connection {
  typealias LifecycleCallback =
    @convention(c) (virConnectPtr?, virDomainPtr?, Int32, Int32, UnsafeMutableRawPointer?) -> Void
  typealias DeviceCallback =
    @convention(c) (virConnectPtr?, virDomainPtr?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void

  /// Lifecycle (defined, started, stopped, …) and device added/removed events of every domain on
  /// this connection, until the stream is dropped or the connection closes.
  public func domainEvents() throws(LibvirtError) -> AsyncStream<DomainEvent> {
    lib.runEventLoop()
    let (stream, continuation) = AsyncStream.makeStream(of: DomainEvent.self, bufferingPolicy: .unbounded)
    let register = lib.callAs(.virConnectDomainEventRegisterAny, LibvirtLibrary.EventRegister.self)
    let lifecycle: LifecycleCallback = { _, domain, event, detail, opaque in
      guard let opaque else { return }
      let sink = Unmanaged<EventSink>.fromOpaque(opaque).takeUnretainedValue()
      guard let kind = DomainEvent.Lifecycle(rawValue: event) else { return }
      sink.continuation.yield(.lifecycle(domain: sink.name(domain), event: kind, detail: detail))
    }
    let added: DeviceCallback = { _, domain, alias, opaque in
      guard let opaque else { return }
      let sink = Unmanaged<EventSink>.fromOpaque(opaque).takeUnretainedValue()
      sink.continuation.yield(.deviceAdded(domain: sink.name(domain), alias: alias.map { String(cString: $0) } ?? ""))
    }
    let removed: DeviceCallback = { _, domain, alias, opaque in
      guard let opaque else { return }
      let sink = Unmanaged<EventSink>.fromOpaque(opaque).takeUnretainedValue()
      sink.continuation.yield(.deviceRemoved(domain: sink.name(domain), alias: alias.map { String(cString: $0) } ?? ""))
    }
    let release: virFreeCallback = { opaque in
      guard let opaque else { return }
      Unmanaged<EventSink>.fromOpaque(opaque).release()
    }
    var ids: [Int32] = []
    for (eventID, callback) in [
      (
        Int32(VIR_DOMAIN_EVENT_ID_LIFECYCLE.rawValue),
        unsafeBitCast(lifecycle, to: virConnectDomainEventGenericCallback.self)
      ),
      (
        Int32(VIR_DOMAIN_EVENT_ID_DEVICE_ADDED.rawValue),
        unsafeBitCast(added, to: virConnectDomainEventGenericCallback.self)
      ),
      (
        Int32(VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED.rawValue),
        unsafeBitCast(removed, to: virConnectDomainEventGenericCallback.self)
      ),
    ] {
      // Each registration holds its own reference, dropped by libvirt through `release`.
      let opaque = Unmanaged.passRetained(EventSink(continuation, lib: lib)).toOpaque()
      let id = register(pointer, nil, eventID, callback, opaque, release)
      guard id >= 0 else {
        Unmanaged<EventSink>.fromOpaque(opaque).release()
        deregister(ids)
        continuation.finish()
        throw LibvirtError.last("virConnectDomainEventRegisterAny", lib)
      }
      ids.append(id)
    }
    let registered = ids
    continuation.onTermination = { [weak self] _ in self?.deregister(registered) }
    return stream
  }

  func deregister(_ ids: [Int32]) {
    let deregister = lib.callAs(.virConnectDomainEventDeregisterAny, LibvirtLibrary.EventDeregister.self)
    for id in ids { _ = deregister(pointer, id) }
  }
}
