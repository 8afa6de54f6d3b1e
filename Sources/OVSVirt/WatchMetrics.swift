import NIOConcurrencyHelpers

/// What the watch daemon counts, exposed in Prometheus' text format. Read by the metrics endpoint
/// from any thread, so it lives behind a lock.
public final class WatchMetrics: Sendable {
  struct Values {
    var reconciles = 0
    var corrections = 0
    var driftDetected = 0
    var problems = 0
    var reconcileSecondsSum = 0.0
    var lastReconcileSeconds = 0.0
    var ovsdbConnected = false
    var libvirtConnected = false
    var knownPorts = 0
    /// When the known VM port state was last read from libvirt in full.
    var knownAt: ContinuousClock.Instant?
  }

  private let values = NIOLockedValueBox(Values())

  public init() {}

  func recordReconcile(seconds: Double, corrections: Int, problems: Int) {
    values.withLockedValue {
      $0.reconciles += 1
      $0.corrections += corrections
      $0.problems += problems
      if corrections > 0 { $0.driftDetected += 1 }
      $0.reconcileSecondsSum += seconds
      $0.lastReconcileSeconds = seconds
    }
  }

  /// The known VM port state: how many ports, and (when read in full) when.
  func setKnownState(ports: Int, at instant: ContinuousClock.Instant?) {
    values.withLockedValue {
      $0.knownPorts = ports
      if let instant { $0.knownAt = instant }
    }
  }

  func setConnected(ovsdb: Bool? = nil, libvirt: Bool? = nil) {
    values.withLockedValue {
      if let ovsdb { $0.ovsdbConnected = ovsdb }
      if let libvirt { $0.libvirtConnected = libvirt }
    }
  }

  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }

  /// The exposition text (Prometheus text format 0.0.4).
  public func render() -> String {
    let v = values.withLockedValue { $0 }
    func metric(_ name: String, _ type: String, _ help: String, _ value: String) -> String {
      "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
    }
    return metric("ovsvirt_watch_reconciles_total", "counter", "Reconcile runs.", "\(v.reconciles)")
      + metric(
        "ovsvirt_watch_corrections_total", "counter", "Changes made to OVS to match libvirt.", "\(v.corrections)")
      + metric(
        "ovsvirt_watch_drift_detected_total", "counter", "Reconciles that found OVS out of step.", "\(v.driftDetected)")
      + metric("ovsvirt_watch_problems_total", "counter", "NICs parked on VLAN 4095 or not placeable.", "\(v.problems)")
      + "# HELP ovsvirt_watch_reconcile_seconds Time spent reconciling.\n# TYPE ovsvirt_watch_reconcile_seconds summary\n"
      + "ovsvirt_watch_reconcile_seconds_sum \(v.reconcileSecondsSum)\novsvirt_watch_reconcile_seconds_count \(v.reconciles)\n"
      + metric(
        "ovsvirt_watch_last_reconcile_seconds", "gauge", "Duration of the latest reconcile.",
        "\(v.lastReconcileSeconds)")
      + metric(
        "ovsvirt_watch_ovsdb_connected", "gauge", "1 while the OVSDB connection is up.", v.ovsdbConnected ? "1" : "0")
      + metric(
        "ovsvirt_watch_libvirt_connected", "gauge", "1 while subscribed to libvirt events.",
        v.libvirtConnected ? "1" : "0")
      + metric("ovsvirt_watch_known_ports", "gauge", "VM ports whose desired state watch knows.", "\(v.knownPorts)")
      + metric(
        "ovsvirt_watch_known_state_age_seconds", "gauge",
        "Seconds since the known VM port state was last read from libvirt in full (-1: never).",
        v.knownAt.map { "\(Self.seconds(ContinuousClock.now - $0))" } ?? "-1")
  }
}
