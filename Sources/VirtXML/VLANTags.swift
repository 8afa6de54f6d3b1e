/// A libvirt `<vlan>` element: one tag (access), several (trunk), and a native VLAN for trunks.
public struct VLANTags: Sendable, Equatable {
  public enum NativeMode: String, Sendable { case untagged, tagged }

  /// The `<tag>` ids in document order; the native one may be among them or only in `native`.
  public var tags: [Int]
  /// `trunk='yes'`.
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

  /// libvirt's tag list: every tag, the native one included (first when it was not listed).
  public var allTags: [Int] {
    guard let native, !tags.contains(native.tag) else { return tags }
    return [native.tag] + tags
  }

  /// Whether libvirt treats it as a trunk: `trunk='yes'`, or more than one tag.
  public var isTrunk: Bool { trunk || allTags.count > 1 || native != nil }

  /// Same VLANs for a VM: the same set of tags, trunk or not, the same native VLAN and mode
  /// (the order tags are written in, and whether the native one is repeated, do not matter).
  public static func == (a: VLANTags, b: VLANTags) -> Bool {
    Set(a.allTags) == Set(b.allTags) && a.isTrunk == b.isTrunk && a.native?.tag == b.native?.tag
      && a.native?.mode == b.native?.mode
  }

  /// Template context: the tags (native VLAN included, marked) and whether it is a trunk.
  var context: [String: Any] {
    let tagContexts: [[String: Any]] = allTags.map { tag in
      var entry: [String: Any] = ["id": tag]
      if let native, native.tag == tag { entry["nativeMode"] = native.mode.rawValue }
      return entry
    }
    return ["hasTags": !allTags.isEmpty, "trunk": isTrunk, "tags": tagContexts]
  }
}

extension VLANTags {
  /// Reads a `<vlan>` element wherever libvirt allows one (domain interface, network, portgroup),
  /// as libvirt does: every `<tag id=…>` in order, `trunk='yes'`, and at most one tag with
  /// `nativeMode='untagged'|'tagged'`. This is the only reader of `<vlan>` in ovsvirt, so reconcile,
  /// watch, apply, attach and `domain ports` cannot read one differently. Anything libvirt itself
  /// would not accept (a missing or non-numeric id, an id outside 0–4095, an unknown nativeMode,
  /// two native tags, no tag) is an error: callers fail closed on it rather than guess.
  public init(element vlan: XMLElement) throws(XMLError) {
    var ids: [Int] = []
    var native: (tag: Int, mode: NativeMode)?
    for tag in vlan.children(named: "tag") {
      guard let text = tag.attribute("id"), let id = Int(text), (0...4095).contains(id) else {
        throw XMLError("<vlan>: tag id '\(tag.attribute("id") ?? "")' is not a VLAN 0–4095")
      }
      if let modeText = tag.attribute("nativeMode") {
        guard let mode = NativeMode(rawValue: modeText) else {
          throw XMLError("<vlan>: nativeMode '\(modeText)' is neither 'untagged' nor 'tagged'")
        }
        guard native == nil else { throw XMLError("<vlan>: more than one tag has a nativeMode") }
        native = (id, mode)
      }
      ids.append(id)
    }
    guard !ids.isEmpty else { throw XMLError("<vlan> has no <tag id=…>") }
    let trunkText = vlan.attribute("trunk")
    guard trunkText == nil || trunkText == "yes" || trunkText == "no" else {
      throw XMLError("<vlan>: trunk='\(trunkText ?? "")' is neither 'yes' nor 'no'")
    }
    self.init(tags: ids, trunk: trunkText == "yes" || ids.count > 1, native: native)
  }

  /// The `<vlan>` child of `element`, read; nil when it has none.
  public static func child(of element: XMLElement) throws(XMLError) -> VLANTags? {
    guard let vlan = element.firstChild(named: "vlan") else { return nil }
    return try VLANTags(element: vlan)
  }
}
