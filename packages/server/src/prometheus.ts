// `@chat-replay/server/prometheus`: the metrics of a replay server in Prometheus form
// (prom-client). Kept out of the main entry, which holds only the `ReplayMetrics` port.
export {
  createPrometheusMetrics,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from "./observability/prometheus-metrics";
export type { MetricsSource, ReadMode, ReplayMetrics, TurnOutcome } from "./observability/replay-metrics";
