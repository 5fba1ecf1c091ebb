// `@chat-replay/server/node`: serving a replay server from Node's http module, Express,
// Connect or Fastify's raw handlers. The main entry stays free of `node:` imports.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer, getRequestListener } from "@hono/node-server";
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
  const listener = getRequestListener((request) => server.fetch(request));
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
    fetch: server.fetch,
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
