import { getResponse, type RequestHandler } from "msw";

/**
 * A `fetch` answered by MSW request handlers, in-process: no service worker, so it works in
 * a static previews build opened from anywhere, and streamed bodies (including ones that
 * fail mid-stream on purpose) reach the caller exactly as the handler built them.
 * @example
 * const fetch = createMockFetch(new MockReplayBackend(seed).handlers);
 */
export function createMockFetch(handlers: readonly RequestHandler[]): typeof fetch {
  return async (input, init) => {
    const base = typeof location === "undefined" ? "http://preview.local" : location.href;
    const url = input instanceof Request ? input.url : new URL(String(input), base).href;
    const request = new Request(url, input instanceof Request ? input : init);
    // Handlers use the protocol's relative route paths; resolve them against the page's origin.
    const response = await getResponse([...handlers], request, { baseUrl: new URL(base).origin });
    // `HttpResponse.error()`: a network failure, which fetch reports by rejecting.
    if (response?.type === "error") throw new TypeError("Failed to fetch (preview network is offline)");
    return (
      response ??
      Response.json(
        { error: { code: "not_found", message: `No preview handler for ${request.method} ${url}` } },
        { status: 404 },
      )
    );
  };
}
