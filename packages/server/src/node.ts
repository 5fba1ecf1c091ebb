// `@chat-replay/server/node`: serving a replay server from Node's http module, Express,
// Connect or Fastify's raw handlers. The main entry stays free of `node:` imports.
import { type IncomingMessage, type Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer, getRequestListener } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { canTakeOver, takeOverFrameStream } from "./frame-stream/create-frame-stream";
import { errorResponse } from "./http-error";
import type { ReplayServer } from "./replay-server";

/** A Node request a framework may have read already (`express.json()` sets `body`). */
type NodeRequest = IncomingMessage & { body?: unknown; rawBody?: Buffer };

/**
 * A `(req, res)` handler for Node's http server, Express and Connect. Mount it **before**
 * body parsers; if a parser already read the body (`express.json()`), the parsed `req.body`
 * is used as the JSON body, and a body read without a parsed value is refused with 400
 * `body_consumed` (never silently treated as empty).
 * @example
 * app.use("/chat", toNodeHandler(replay)); // Express; the client's baseUrl is "/chat"
 */
export function toNodeHandler(
  server: Pick<ReplayServer, "fetch">,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const listener = getRequestListener(nodeFetch(server));
  return async (req: NodeRequest, res: ServerResponse) => {
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD" && req.readableEnded && !(req.rawBody instanceof Buffer)) {
      if (req.body === undefined) {
        await send(res, bodyConsumed());
        return;
      }
      // A JSON parser ran first: hand its value on as the body it parsed.
      req.rawBody = Buffer.from(typeof req.body === "string" ? req.body : JSON.stringify(req.body));
    }
    // Express and Connect strip their mount path from `url` but keep it in `originalUrl`;
    // the replay server matches the path below its own `basePath`, so `url` is right.
    await listener(req, res);
  };
}

/** Options of {@link serveNode}. */
export interface ServeNodeOptions {
  /** Port; 0 picks a free one. Default 8787. */
  readonly port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  readonly hostname?: string;
}

/** A replay server listening on a Node http server. */
export interface NodeReplayServer {
  readonly url: string;
  readonly port: number;
  readonly http: Server;
  /** Ends live turns, closes the stores and every socket (SSE responses included). */
  close(): Promise<void>;
}

/**
 * Serves a replay server on Node's http module, with timeouts that keep slow or idle
 * clients from holding sockets (60 s request, 20 s headers, 10 s keep-alive).
 * @example
 * const { url } = await serveNode(createReplayServer({ model }), { port: 8787 });
 */
export async function serveNode(
  server: ReplayServer,
  options: ServeNodeOptions = {},
): Promise<NodeReplayServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const http = createAdaptorServer({
    fetch: nodeFetch(server),
    serverOptions: { requestTimeout: 60_000, headersTimeout: 20_000, keepAliveTimeout: 10_000 },
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 8787, hostname, () => resolve());
  });
  const address = http.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    http,
    close: async () => {
      await server.close();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    },
  };
}

/**
 * `server.fetch` as the Node adapter calls it: an SSE reader's body is written to the
 * response by the reader itself, with no web-stream read and promise per chunk (the cost
 * that dominates fanning a live turn out to many readers); every other response goes back
 * to the adapter as it is.
 */
function nodeFetch(server: Pick<ReplayServer, "fetch">) {
  return async (request: Request, env: { outgoing?: unknown }): Promise<Response> => {
    const response = await server.fetch(request);
    const body = response.body;
    const outgoing = env.outgoing;
    if (
      body === null ||
      request.method === "HEAD" ||
      !(outgoing instanceof ServerResponse) ||
      outgoing.headersSent ||
      !canTakeOver(body)
    ) {
      return response;
    }
    outgoing.writeHead(response.status, headersOf(response.headers));
    outgoing.flushHeaders();
    const events = takeOverFrameStream(body, {
      write: (bytes) => outgoing.write(bytes),
      end: () => outgoing.end(),
      destroy: (error) => outgoing.destroy(error instanceof Error ? error : undefined),
    });
    if (events === null) throw new Error("the frame stream could not be taken over");
    outgoing.on("drain", events.drain);
    outgoing.on("close", events.close);
    outgoing.on("error", events.close);
    return RESPONSE_ALREADY_SENT;
  };
}

/** A Response's headers for `writeHead`, every `set-cookie` kept. */
function headersOf(headers: Headers): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  headers.forEach((value, key) => {
    record[key] = value;
  });
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) record["set-cookie"] = cookies;
  return record;
}

function bodyConsumed(): Response {
  return errorResponse(
    400,
    "body_consumed",
    "The request body was already read by another middleware; mount chat-replay before body parsers.",
  );
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}
