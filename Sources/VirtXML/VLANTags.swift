/// A libvirt `<vlan>` element: one tag (access), several (trunk), and a native VLAN for trunks.
public struct VLANTags: Sendable, Equatable {
  public enum NativeMode: String, Sendable { case untagged, tagged }

  public var tags: [Int]
  public var trunk: Bool
  /// For trunks: which tag is native, and how its frames leave the port.
  public var native: (tag: Int, mode: NativeMode)?

  public static func access(_ tag: Int) -> VLANTags { VLANTags(tags: [tag], trunk: false, native: nil) }

  public static func trunk(_ tags: [Int], native: (tag: Int, mode: NativeMode)? = nil) -> VLANTags {
    VLANTags(tags: tags, trunk: true, native: native)
  }

  public init(tags: [Int], trunk: Bool, native: (tag: Int, mode: NativeMode)?) {
    self.tags = tags
    self.trunk = trunk
    self.native = native
  }

  public static func == (a: VLANTags, b: VLANTags) -> Bool {
    a.tags == b.tags && a.trunk == b.trunk && a.native?.tag == b.native?.tag && a.native?.mode == b.native?.mode
  }

  /// Template context: the tags (native VLAN included, marked) and whether it is a trunk.
  var context: [String: Any] {
    var all = tags
    if let native, !all.contains(native.tag) { all.insert(native.tag, at: 0) }
    let tagContexts: [[String: Any]] = all.map { tag in
      var entry: [String: Any] = ["id": tag]
      if let native, native.tag == tag { entry["nativeMode"] = native.mode.rawValue }
      return entry
    }
    return ["hasTags": !all.isEmpty, "trunk": trunk || all.count > 1, "tags": tagContexts]
  }
}
