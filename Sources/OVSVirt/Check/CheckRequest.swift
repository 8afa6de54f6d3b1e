import OVSDB

/// What `ovsvirt check` is asked: which NIC (or all running ones), to where, and where to look.
public struct CheckRequest: Sendable {
  /// `DOMAIN` or `DOMAIN/MAC`.
  public struct NICName: Sendable, Equatable, CustomStringConvertible {
    public var domain: String
    public var mac: String?

    public init(domain: String, mac: String? = nil) {
      self.domain = domain
      self.mac = mac
    }

    /// `DOMAIN/MAC`: the MAC is what follows the last `/` when it looks like one.
    public init(parsing text: String) {
      if let slash = text.lastIndex(of: "/"), text[text.index(after: slash)...].filter({ $0 == ":" }).count == 5 {
        self.init(domain: String(text[..<slash]), mac: String(text[text.index(after: slash)...]).lowercased())
      } else {
        self.init(domain: text)
      }
    }

    public var description: String { domain + (mac.map { "/\($0)" } ?? "") }
  }

  /// Another host's OVSDB and libvirt, to look at its side of the path.
  public struct Peer: Sendable {
    public var db: String?
    public var libvirtURI: String?

    public init(db: String? = nil, libvirtURI: String? = nil) {
      self.db = db
      self.libvirtURI = libvirtURI
    }
  }

  public var db: String
  public var libvirt: LibvirtAccess
  /// ovs-vswitchd's control socket.
  public var unixctl: String
  /// When looking must be over (OVSDB, ovs-vswitchd), as --timeout says.
  public var deadline: ContinuousClock.Instant
  /// nil: every OVS NIC of every running domain.
  public var subject: NICName?
  public var to: NICName?
  public var toHost: String?
  public var specPath: String?
  /// This host's name in the cluster spec (nil: the short hostname).
  public var host: String?
  public var peer: Peer
  /// Key and certificates for ssl: remotes (this host's and the peer's).
  public var tls: TLSFiles?

  public init(
    db: String, libvirt: LibvirtAccess, unixctl: String, deadline: ContinuousClock.Instant, subject: NICName? = nil,
    to: NICName? = nil, toHost: String? = nil, specPath: String? = nil, host: String? = nil, peer: Peer = Peer()
  ) {
    self.db = db
    self.libvirt = libvirt
    self.unixctl = unixctl
    self.deadline = deadline
    self.subject = subject
    self.to = to
    self.toHost = toHost
    self.specPath = specPath
    self.host = host
    self.peer = peer
  }
}
