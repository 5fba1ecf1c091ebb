import type { Hono } from "hono";
import type { Readiness } from "./readiness";
import type { ReplayMetrics } from "./replay-metrics";

/** The operations endpoints, for load balancers and scrapers. */
export const OPS_PATHS = ["/healthz", "/readyz", "/metrics"] as const;

/** What the operations endpoints answer from. */
export interface OpsDeps {
  readonly readiness: Readiness;
  readonly metrics: ReplayMetrics | null;
}

const NO_STORE = { "cache-control": "no-store" };

/**
 * Answers an operations endpoint, or null for any other path. No identity, no session,
 * no cross-site check: probes carry no credentials, and these answers name no session,
 * URL or secret.
 * - `GET /healthz`: 200 while the process serves requests.
 * - `GET /readyz`: 200 when every store answers, else 503 naming the store that does not.
 * - `GET /metrics`: the Prometheus exposition, when the server has `metrics`.
 */
export async function answerOps(path: string, deps: OpsDeps): Promise<Response | null> {
  switch (path) {
    case "/healthz":
      return Response.json({ status: "ok" }, { headers: NO_STORE });
    case "/readyz": {
      const result = await deps.readiness.check();
      if (result.ready)
        return Response.json({ status: "ready", checks: result.checks }, { headers: NO_STORE });
      const failed = result.checks.filter((check) => !check.ok);
      const message = `Not ready: ${failed.map((check) => `${check.store} (${check.role} store) ${check.reason === "timeout" ? "did not answer in time" : "is unavailable"}`).join("; ")}.`;
      return Response.json(
        { status: "unavailable", error: { code: "not_ready", message }, checks: result.checks },
        { status: 503, headers: { ...NO_STORE, "retry-after": "1" } },
      );
    }
    case "/metrics": {
      if (!deps.metrics) return null;
      const { contentType, body } = await deps.metrics.exposition();
      return new Response(body, { headers: { ...NO_STORE, "content-type": contentType } });
    }
    default:
      return null;
  }
}

/** Registers the operations endpoints on an app (under its base path), ahead of every middleware. */
export function registerOpsRoutes(app: Hono, deps: OpsDeps): void {
  for (const path of OPS_PATHS) {
    if (path === "/metrics" && !deps.metrics) continue;
    // Never null here: /metrics is registered only with metrics.
    app.get(path, async () => (await answerOps(path, deps)) as Response);
  }
}

/** Whether a request path is an operations endpoint at the root (outside any base path). */
export function isOpsPath(pathname: string): boolean {
  return (OPS_PATHS as readonly string[]).includes(pathname);
}
