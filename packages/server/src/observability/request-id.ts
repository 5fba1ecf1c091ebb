/** Header a proxy may set to carry its request id into our log lines and spans. */
export const REQUEST_ID_HEADER = "x-request-id";

const ids = new WeakMap<Request, string>();

/**
 * The id of a request for log lines and spans: the proxy's `x-request-id` when it looks like
 * an id (letters, digits, `._:-`, at most 128), else a random one; the same for every call
 * on one request. Made only when something logs or traces, so it costs nothing otherwise.
 */
export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (id === undefined) {
    const given = request.headers.get(REQUEST_ID_HEADER);
    id = given !== null && /^[\w.:-]{1,128}$/.test(given) ? given : crypto.randomUUID();
    ids.set(request, id);
  }
  return id;
}
