/// A libvirt `<bandwidth>` element (domain interface or portgroup): the rates of traffic into the
/// VM (`inbound`) and out of it (`outbound`), in libvirt's units: average, peak and floor in
/// kilobytes per second, burst in kibibytes.
public struct Bandwidth: Sendable, Equatable {
  public struct Rate: Sendable, Equatable {
    public var average: UInt64
    public var peak: UInt64?
    public var burst: UInt64?
    public var floor: UInt64?

    public init(average: UInt64, peak: UInt64? = nil, burst: UInt64? = nil, floor: UInt64? = nil) {
      self.average = average
      self.peak = peak
      self.burst = burst
      self.floor = floor
    }
  }

  public var inbound: Rate?
  public var outbound: Rate?

  public init(inbound: Rate? = nil, outbound: Rate? = nil) {
    self.inbound = inbound
    self.outbound = outbound
  }

  /// Reads `<bandwidth>`; a rate libvirt would refuse (not a number, or out of range) is an error.
  public init(element: XMLElement) throws(XMLError) {
    inbound = try element.firstChild(named: "inbound").map(Self.rate)
    outbound = try element.firstChild(named: "outbound").map(Self.rate)
  }

  /// The `<bandwidth>` child of `element`, read; nil when it has none.
  public static func child(of element: XMLElement) throws(XMLError) -> Bandwidth? {
    guard let bandwidth = element.firstChild(named: "bandwidth") else { return nil }
    return try Bandwidth(element: bandwidth)
  }

  private static func rate(_ element: XMLElement) throws(XMLError) -> Rate {
    func number(_ name: String) throws(XMLError) -> UInt64? {
      guard let text = element.attribute(name) else { return nil }
      // libvirt's own limit: rates go through ×8192 into 64 bits.
      guard let value = UInt64(text), value <= UInt64.max / 8192 else {
        throw XMLError("<bandwidth><\(element.name)>: \(name)='\(text)' is not a rate libvirt accepts")
      }
      return value
    }
    return Rate(
      average: try number("average") ?? 0, peak: try number("peak"), burst: try number("burst"),
      floor: try number("floor"))
  }
}
