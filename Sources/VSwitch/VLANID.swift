/// An 802.1Q VLAN id as OVS stores it in Port.tag and Port.trunks. 0 means priority-tagged
/// untagged traffic; 4095 is reserved by 802.1Q, which makes it a safe "dead" VLAN to park ports on.
public struct VLANID: Sendable, Hashable, Comparable, CustomStringConvertible {
  public static let range: ClosedRange<Int> = 0...4095
  /// Where a port is parked when its VLAN cannot be determined: nothing else uses it.
  public static let dead = VLANID(unchecked: 4095)

  public let value: Int

  public init(_ value: Int, for subject: String = "VLAN") throws(ValidationError) {
    guard Self.range.contains(value) else {
      throw ValidationError(
        subject: subject, problem: "VLAN \(value) is outside 0–4095", fix: "use a VLAN id between 0 and 4095")
    }
    self.value = value
  }

  init(unchecked value: Int) { self.value = value }

  /// Parses a comma-separated list with ranges ("120,130,200-210") as ovs-vsctl users write it;
  /// duplicates collapse, the result is sorted.
  public static func parseList(_ text: String, for subject: String = "trunks") throws(ValidationError) -> [VLANID] {
    let fix = "write VLAN ids 0–4095 separated by commas, ranges as LOW-HIGH (e.g. 120,130,200-210)"
    var ids = Set<VLANID>()
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let part = item.trimmingWhitespace()
      let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
      guard bounds.count == 1 || bounds.count == 2, let low = Int(bounds[0]),
        let high = bounds.count == 2 ? Int(bounds[1]) : low
      else {
        throw ValidationError(subject: subject, problem: "'\(part)' is not a VLAN id or range", fix: fix)
      }
      guard low <= high else {
        throw ValidationError(subject: subject, problem: "range '\(part)' runs backwards", fix: fix)
      }
      for v in [low, high] where !range.contains(v) {
        throw ValidationError(subject: subject, problem: "VLAN \(v) is outside 0–4095", fix: fix)
      }
      for v in low...high { ids.insert(VLANID(unchecked: v)) }
    }
    return ids.sorted()
  }

  public static func < (lhs: VLANID, rhs: VLANID) -> Bool { lhs.value < rhs.value }
  public var description: String { String(value) }
}

extension Substring {
  func trimmingWhitespace() -> Substring {
    var s = self
    while let first = s.first, first.isWhitespace { s = s.dropFirst() }
    while let last = s.last, last.isWhitespace { s = s.dropLast() }
    return s
  }
}
