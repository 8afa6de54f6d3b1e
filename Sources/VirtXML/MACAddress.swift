/// MAC addresses as a VM NIC's `<mac address=…>` takes them.
public enum MACAddress {
  /// Six hex pairs separated by ':' with the multicast bit of the first octet clear: an address a
  /// NIC can have as its own.
  public static func isUnicast(_ mac: String) -> Bool {
    let parts = mac.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }),
      let first = UInt8(parts[0], radix: 16)
    else { return false }
    return first & 1 == 0
  }
}
