import Metrics
import NIOConcurrencyHelpers

/// What the watch daemon measures, through the swift-metrics API: the daemon bootstraps
/// swift-metrics with a Prometheus registry (`DescribedPrometheusFactory`), and its endpoint serves
/// that registry. The labels given to swift-metrics are the Prometheus names, so dashboards and the
/// README name the same series.
public final class WatchMetrics: Sendable {
  /// The Prometheus names, kept in one place for the descriptions below and for tests.
  public enum Name {
    public static let reconciles = "ovsvirt_watch_reconciles_total"
    public static let corrections = "ovsvirt_watch_corrections_total"
    public static let driftDetected = "ovsvirt_watch_drift_detected_total"
    public static let problems = "ovsvirt_watch_problems_total"
    public static let reconcileSeconds = "ovsvirt_watch_reconcile_seconds"
    public static let driftCorrectedSeconds = "ovsvirt_watch_drift_corrected_seconds"
    public static let lastReconcileSeconds = "ovsvirt_watch_last_reconcile_seconds"
    public static let ovsdbConnected = "ovsvirt_watch_ovsdb_connected"
    public static let libvirtConnected = "ovsvirt_watch_libvirt_connected"
    public static let knownPorts = "ovsvirt_watch_known_ports"
    public static let knownVMs = "ovsvirt_watch_known_vms"
    public static let knownStateAgeSeconds = "ovsvirt_watch_known_state_age_seconds"
  }

  /// A heal takes milliseconds, so the buckets start at 1 ms.
  static let healBuckets: [Duration] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000].map {
    Duration.milliseconds($0)
  }
  /// Drift lasts as long as a heal, or seconds to minutes while OVSDB refuses the transaction.
  static let driftBuckets: [Duration] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 15000, 60000, 300_000].map {
    Duration.milliseconds($0)
  }

  /// HELP text of every metric, and the buckets of the two histograms.
  public static let descriptions: [String: DescribedPrometheusFactory.Description] = [
    Name.reconciles: .init(help: "Heals run (each checks OVS against the spec and the known VM ports)."),
    Name.corrections: .init(help: "Changes made to OVS to match libvirt and the spec, by kind."),
    Name.driftDetected: .init(help: "Heals that found OVS out of step and changed it."),
    Name.problems: .init(help: "NICs parked on VLAN 4095 or not placeable, and failed transactions, by kind."),
    Name.reconcileSeconds: .init(
      help: "Time one heal took: planning, confirming drift with libvirt, committing.", buckets: healBuckets),
    Name.driftCorrectedSeconds: .init(
      help: "Time from the OVSDB change or event that showed drift to the commit that corrected it.",
      buckets: driftBuckets),
    Name.lastReconcileSeconds: .init(help: "Duration of the latest heal."),
    Name.ovsdbConnected: .init(help: "1 while the OVSDB connection is up."),
    Name.libvirtConnected: .init(help: "1 while subscribed to libvirt events."),
    Name.knownPorts: .init(help: "VM ports whose desired state watch knows (ports followed)."),
    Name.knownVMs: .init(help: "Running VMs whose ports watch knows (VMs followed)."),
    Name.knownStateAgeSeconds: .init(
      help: "Seconds since the known VM port state was last read from libvirt in full (-1: never)."),
  ]

  private let reconciles: Counter
  private let corrections: [CorrectionKind: Counter]
  private let driftDetected: Counter
  private let problems: [WatchProblemKind: Counter]
  private let reconcileTime: Metrics.Timer
  private let driftCorrected: Metrics.Timer
  private let lastReconcile: Gauge
  private let ovsdbConnected: Gauge
  private let libvirtConnected: Gauge
  private let knownPorts: Gauge
  private let knownVMs: Gauge
  private let knownStateAge: Gauge
  /// When the known VM port state was last read from libvirt in full; its age is a gauge set when
  /// scraped (`refreshAge()`), since nothing else happens when it merely grows older.
  private let knownAt = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

  /// Makes every series up front (kinds at 0), so a query finds them before the first correction.
  public init(factory: any MetricsFactory = MetricsSystem.factory) {
    reconciles = Counter(label: Name.reconciles, factory: factory)
    corrections = Dictionary(
      uniqueKeysWithValues: CorrectionKind.allCases.map {
        ($0, Counter(label: Name.corrections, dimensions: [("kind", $0.rawValue)], factory: factory))
      })
    driftDetected = Counter(label: Name.driftDetected, factory: factory)
    problems = Dictionary(
      uniqueKeysWithValues: WatchProblemKind.allCases.map {
        ($0, Counter(label: Name.problems, dimensions: [("kind", $0.rawValue)], factory: factory))
      })
    reconcileTime = Metrics.Timer(label: Name.reconcileSeconds, factory: factory)
    driftCorrected = Metrics.Timer(label: Name.driftCorrectedSeconds, factory: factory)
    lastReconcile = Gauge(label: Name.lastReconcileSeconds, factory: factory)
    ovsdbConnected = Gauge(label: Name.ovsdbConnected, factory: factory)
    libvirtConnected = Gauge(label: Name.libvirtConnected, factory: factory)
    knownPorts = Gauge(label: Name.knownPorts, factory: factory)
    knownVMs = Gauge(label: Name.knownVMs, factory: factory)
    knownStateAge = Gauge(label: Name.knownStateAgeSeconds, factory: factory)
    for gauge in [lastReconcile, ovsdbConnected, libvirtConnected, knownPorts, knownVMs] { gauge.record(0) }
    knownStateAge.record(-1)
  }

  /// One heal: how long it took, what it changed and what went wrong; `driftLasted` when it
  /// corrected drift, from the change that showed the drift on.
  func recordHeal(
    took duration: Duration, corrections made: [CorrectionKind], problems found: [WatchProblemKind],
    driftLasted: Duration?
  ) {
    reconciles.increment()
    reconcileTime.record(duration: duration)
    lastReconcile.record(Self.seconds(duration))
    for kind in made { corrections[kind]?.increment() }
    for kind in found { problems[kind]?.increment() }
    if !made.isEmpty { driftDetected.increment() }
    if let driftLasted { driftCorrected.record(duration: driftLasted) }
  }

  /// The known VM port state: how many ports of how many VMs, and (when read in full) when.
  func setKnownState(ports: Int, vms: Int, at instant: ContinuousClock.Instant?) {
    knownPorts.record(ports)
    knownVMs.record(vms)
    if let instant { knownAt.withLockedValue { $0 = instant } }
    refreshAge()
  }

  func setConnected(ovsdb: Bool? = nil, libvirt: Bool? = nil) {
    if let ovsdb { ovsdbConnected.record(ovsdb ? 1 : 0) }
    if let libvirt { libvirtConnected.record(libvirt ? 1 : 0) }
  }

  /// Sets the known-state age gauge to now; the endpoint calls it before each scrape.
  public func refreshAge() {
    guard let at = knownAt.withLockedValue({ $0 }) else { return }
    knownStateAge.record(Self.seconds(ContinuousClock.now - at))
  }

  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }
}
