import type { MiddlewareHandler } from "hono";
import { errorResponse } from "./http-error";

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Headers on every response: `nosniff`, and `Vary: Cookie, Authorization` because every
 * answer under the API depends on who asks (shared caches must not mix owners).
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set("x-content-type-options", "nosniff");
    c.res.headers.append("vary", "Cookie, Authorization");
  };
}

/** Whether `origin` is the request's own (same host; the scheme may differ behind a TLS proxy) or listed. */
function originAllowed(origin: string, host: string | undefined, allowed: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file://) and garbage are never ours
  }
  if (host !== undefined && parsed.host === host.toLowerCase()) return true;
  return allowed.some((entry) => {
    try {
      return new URL(entry).origin === parsed.origin;
    } catch {
      return false;
    }
  });
}

/**
 * Refuses cross-site writes (§3 "Cross-site writes"). Browsers send `Origin` (and
 * `Sec-Fetch-Site`) on every POST, same-origin included: a write from another origin that
 * is not allowed gets 403, before any body is read. Requests with neither header (servers,
 * CLIs, tests) are not browser requests and pass. Every POST must also say
 * `application/json` (415 otherwise), which a cross-site form or `text/plain` fetch cannot
 * send without a CORS preflight.
 */
export function crossSiteGuard(allowedOrigins: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    if (!WRITE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    const crossSite =
      origin !== undefined
        ? !originAllowed(origin, c.req.header("host"), allowedOrigins)
        : site === "cross-site";
    if (crossSite) return errorResponse(403, "forbidden", "Cross-site requests are not allowed here.");
    if (c.req.method === "POST") {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "application/json") {
        return errorResponse(415, "unsupported_media_type", "Send the body as application/json.");
      }
    }
    return next();
  };
}
