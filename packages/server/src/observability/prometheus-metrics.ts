import { ATTACH_MODES, CURSOR_VERDICTS } from "@chat-replay/protocol";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { MetricsSource, ReplayMetrics } from "./replay-metrics";

/** Options of {@link createPrometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Registry to register on (yours, to serve one exposition). Default: a new one. */
  readonly registry?: Registry;
  /** Also collect prom-client's process metrics (CPU, memory, event loop lag). Default true. */
  readonly processMetrics?: boolean;
  /** Buckets of the resume-latency histogram, in seconds. */
  readonly resumeLatencyBuckets?: readonly number[];
  /** Buckets of the reader-lag histogram, in seconds. */
  readonly readerLagBuckets?: readonly number[];
}

/** The registry behind the metrics, for apps that serve or merge it themselves. */
export interface PrometheusMetrics extends ReplayMetrics {
  readonly registry: Registry;
}

/** Label values as Prometheus spells them: `no-content` → `no_content`. */
const label = (value: string) => value.replace(/-/g, "_");

/**
 * Prometheus metrics of a replay server (prom-client), all named `chat_replay_*`; pass it
 * as `createReplayServer({ metrics })` and the server answers `GET /metrics`.
 * @example
 * import { createPrometheusMetrics } from "@chat-replay/server/prometheus";
 * const replay = createReplayServer({ model, metrics: createPrometheusMetrics() });
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const sources = new Set<MetricsSource>();
  const sum = (read: (source: MetricsSource) => number) => {
    let total = 0;
    for (const source of sources) total += read(source);
    return total;
  };

  new Gauge({
    name: "chat_replay_active_turns",
    help: "Turns this process holds, by state: running here, or paused here for approval.",
    labelNames: ["state"],
    registers,
    collect() {
      this.set(
        { state: "running" },
        sum((source) => source.activeTurns().running),
      );
      this.set(
        { state: "waiting_for_approval" },
        sum((source) => source.activeTurns().waitingForApproval),
      );
    },
  });
  new Gauge({
    name: "chat_replay_open_readers",
    help: "Open SSE responses of this process (send, stream and continue).",
    registers,
    collect() {
      this.set(sum((source) => source.openReaders()));
    },
  });
  const attaches = new Counter({
    name: "chat_replay_attaches_total",
    help: "GET /stream answers by replay mode and cursor verdict (§6).",
    labelNames: ["mode", "cursor"],
    registers,
  });
  const resumeLatency = new Histogram({
    name: "chat_replay_resume_latency_seconds",
    help: "Re-attach (GET /stream, resume or full) from request to the first frame after start, or to the buffer's head.",
    labelNames: ["mode"],
    buckets: [
      ...(options.resumeLatencyBuckets ?? [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]),
    ],
    registers,
  });
  // Observed once per write to every live reader: a plain array histogram (prom-client's
  // observe hashes its labels on every call, a noticeable share of a live frame's cost).
  const readerLag = new CountingHistogram(
    "chat_replay_reader_lag_seconds",
    "Live entries: from append to the store to written to a reader's response (oldest entry of each write).",
    options.readerLagBuckets ?? [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  registry.registerMetric(readerLag as unknown as Parameters<Registry["registerMetric"]>[0]);
  const turnsEnded = new Counter({
    name: "chat_replay_turns_ended_total",
    help: "Turns ended by this process, by outcome.",
    labelNames: ["outcome"],
    registers,
  });
  const storeErrors = new Counter({
    name: "chat_replay_store_errors_total",
    help: "Failed store calls, by store (redis, postgres, memory, custom).",
    labelNames: ["store"],
    registers,
  });
  const refusals = new Counter({
    name: "chat_replay_rate_limited_total",
    help: "Requests refused with 429, by error code.",
    labelNames: ["code"],
    registers,
  });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "chat_replay_" });

  // Series that exist from the start, so rate() and ratios work before the first event.
  for (const mode of ATTACH_MODES) {
    for (const cursor of CURSOR_VERDICTS) attaches.inc({ mode: label(mode), cursor }, 0);
  }
  for (const outcome of ["finished", "failed", "stopped"]) turnsEnded.inc({ outcome }, 0);
  resumeLatency.zero({ mode: "resume" });
  resumeLatency.zero({ mode: "full" });

  // Children resolved once: the hot paths skip prom-client's label lookups.
  const latencyChildren = {
    resume: resumeLatency.labels({ mode: "resume" }),
    full: resumeLatency.labels({ mode: "full" }),
  };

  return {
    registry,
    attach: (mode, cursor) => attaches.inc({ mode: label(mode), cursor }),
    resumeLatency: (mode, seconds) => latencyChildren[mode].observe(seconds),
    readerLag: (seconds) => readerLag.observe(seconds),
    turnEnded: (outcome) => turnsEnded.inc({ outcome }),
    storeError: (store) => storeErrors.inc({ store }),
    refused: (code) => refusals.inc({ code }),
    track(source) {
      sources.add(source);
      return () => sources.delete(source);
    },
    exposition: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/**
 * A label-less Prometheus histogram as a prom-client custom metric: `observe` is a short
 * scan over the bucket bounds and two additions; the cumulative buckets are built at scrape.
 */
class CountingHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly bounds: readonly number[];
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    bounds: readonly number[],
  ) {
    this.bounds = [...bounds].sort((a, b) => a - b);
    this.counts = new Float64Array(this.bounds.length + 1);
  }

  observe(value: number): void {
    let bucket = 0;
    while (bucket < this.bounds.length && value > this.bounds[bucket]!) bucket++;
    this.counts[bucket]! += 1;
    this.sum += value;
    this.count += 1;
  }

  get() {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    let cumulative = 0;
    for (let bucket = 0; bucket <= this.bounds.length; bucket++) {
      cumulative += this.counts[bucket]!;
      const le = bucket < this.bounds.length ? this.bounds[bucket]! : "+Inf";
      values.push({ metricName: `${this.name}_bucket`, labels: { le }, value: cumulative });
    }
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: this.count });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
