import CLibvirt

/// Process-wide libvirt setup done once before the first connection.
enum LibvirtSession {
  /// libvirt prints every error to stderr by default; ovsvirt reports them itself, as Swift errors.
  static let initialized: Bool = {
    guard virInitialize() == 0 else { return false }
    virSetErrorFunc(nil) { _, _ in }
    return true
  }()
}
