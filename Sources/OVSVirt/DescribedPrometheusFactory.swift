import CoreMetrics
import Prometheus

/// The swift-metrics backend of `watch`: every metric made through the swift-metrics API lands in a
/// swift-prometheus registry together with its `# HELP` text and, for timers, its buckets.
///
/// swift-prometheus' own `PrometheusMetricsFactory` registers each metric with empty help, which
/// `promtool check metrics` reports as a problem, and its registry stops the process when one name
/// is registered twice with different help; so the help has to be known when a metric is first made,
/// which is what the descriptions given here are for.
public struct DescribedPrometheusFactory: MetricsFactory {
  /// The help text of one metric family, and for a timer the upper bounds of its buckets (Prometheus
  /// sums a histogram's buckets across hosts, so they are fixed here rather than per run).
  public struct Description: Sendable {
    public var help: String
    public var buckets: [Duration]?

    public init(help: String, buckets: [Duration]? = nil) {
      self.help = help
      self.buckets = buckets
    }
  }

  public let registry: PrometheusCollectorRegistry
  /// By metric name (the swift-metrics label).
  let descriptions: [String: Description]
  /// For timers without buckets of their own: 1 ms to 10 s.
  static let defaultBuckets: [Duration] = [
    .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
    .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
    .seconds(10),
  ]

  /// For aggregating recorders (counts of things, not durations; watch makes none today).
  static let valueBuckets: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]

  public init(registry: PrometheusCollectorRegistry, descriptions: [String: Description]) {
    self.registry = registry
    self.descriptions = descriptions
  }

  /// The registry's descriptor of `label`; a name without a description gets no HELP line.
  private func descriptor(_ label: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: label, unitName: "", helpText: descriptions[label]?.help ?? "")
  }

  private func buckets(_ label: String) -> [Duration] {
    descriptions[label]?.buckets ?? Self.defaultBuckets
  }

  public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
    registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
  }

  public func makeFloatingPointCounter(label: String, dimensions: [(String, String)])
    -> any FloatingPointCounterHandler
  {
    registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
  }

  public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
    registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
  }

  public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
    guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
    return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: Self.valueBuckets)
  }

  public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
    registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets(label))
  }

  public func destroyCounter(_ handler: any CounterHandler) {
    if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
  }

  public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
    if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
  }

  public func destroyMeter(_ handler: any MeterHandler) {
    if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
  }

  public func destroyRecorder(_ handler: any RecorderHandler) {
    if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
  }

  public func destroyTimer(_ handler: any TimerHandler) {
    if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
  }
}
