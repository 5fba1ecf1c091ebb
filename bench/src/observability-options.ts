// Row 10 (issue 20): the observability settings of an instance of ours, by name.
import { createRequire } from "node:module";
import type { ReplayServerOptions } from "@chat-replay/server";
import { createPrometheusMetrics } from "@chat-replay/server/prometheus";

/** The part of `@opentelemetry/sdk-trace` used here (typed locally: not a dependency of the bench). */
interface OtelSdk {
  InMemorySpanExporter: new () => { reset(): void };
  SimpleSpanProcessor: new (options: { exporter: unknown }) => unknown;
  TracerProvider: new (options: {
    spanProcessors: unknown[];
  }) => NonNullable<ReplayServerOptions["tracerProvider"]>;
}

/** `off`: the library's defaults (no metrics; the OpenTelemetry API with no SDK registered). */
export type ObservabilityVariant = "off" | "noop" | "memory";

/**
 * `noop`: Prometheus metrics on, spans through the API with no SDK registered (what an app
 * that turns metrics on and registers no tracer gets). `memory`: metrics on and every span
 * recorded by the SDK into an in-memory exporter (a real SDK's cost, minus the network).
 */
export function observabilityOptions(variant: unknown): Partial<ReplayServerOptions> {
  if (variant === undefined || variant === "off") return {};
  const metrics = createPrometheusMetrics();
  if (variant === "noop") return { metrics };
  if (variant !== "memory") throw new Error(`unknown observability variant ${String(variant)}`);
  // The SDK is an optional peer of the server (its dev dependency here): resolved from there.
  const fromServer = createRequire(import.meta.resolve("@chat-replay/server/package.json"));
  const sdk = fromServer("@opentelemetry/sdk-trace") as OtelSdk;
  const exporter = new sdk.InMemorySpanExporter();
  const tracerProvider = new sdk.TracerProvider({
    spanProcessors: [new sdk.SimpleSpanProcessor({ exporter })],
  });
  // Spans are dropped every few seconds, so a long run measures recording, not a growing heap.
  setInterval(() => exporter.reset(), 5_000).unref();
  return { metrics, tracerProvider };
}
