import type { TracerProvider } from "@opentelemetry/api";

/** The OTLP exporter of the CLI, when one is configured. */
export interface CliTracing {
  readonly provider: TracerProvider;
  /** Where spans go (no credentials: only the URL's origin and path). */
  readonly label: string;
  /** Flushes pending spans and stops the exporter. */
  shutdown(): Promise<void>;
}

/** The OpenTelemetry SDK packages the CLI needs for OTLP (optional peers of this package). */
export const OTEL_PACKAGES = [
  "@opentelemetry/sdk-trace",
  "@opentelemetry/exporter-trace-otlp-http",
  "@opentelemetry/resources",
] as const;

/**
 * Turns on OTLP/HTTP span export when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; null otherwise. The SDK is loaded only
 * then, so a CLI without it configured never loads it, and a library user never does.
 * The exporter reads the other standard variables itself (headers, protocol, timeout);
 * `OTEL_SERVICE_NAME` names the service (default `chat-replay-server`).
 */
export async function otlpTracingFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<CliTracing | null> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return null;
  let modules: [
    typeof import("@opentelemetry/sdk-trace"),
    typeof import("@opentelemetry/exporter-trace-otlp-http"),
    typeof import("@opentelemetry/resources"),
  ];
  try {
    modules = await Promise.all([
      import("@opentelemetry/sdk-trace"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
    ]);
  } catch {
    throw new Error(
      `OTEL_EXPORTER_OTLP_ENDPOINT is set, but the OpenTelemetry SDK is not installed: npm install ${OTEL_PACKAGES.join(" ")}`,
    );
  }
  const [{ BatchSpanProcessor, TracerProvider }, { OTLPTraceExporter }, { resourceFromAttributes }] = modules;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || "chat-replay-server" }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
  return { provider, label: redactEndpoint(endpoint), shutdown: () => provider.shutdown() };
}

/** An endpoint without user info or query (which could carry a key). */
function redactEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.origin}${url.pathname}`;
  } catch {
    return "(unparsable endpoint)";
  }
}
