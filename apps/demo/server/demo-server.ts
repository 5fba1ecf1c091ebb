import type { AddressInfo } from "node:net";
import { createReplayServer, type ReplayServerOptions } from "@chat-replay/server";
import { createDemoTools, createScriptedModel, DEMO_TOOL_APPROVAL } from "@chat-replay/server/testing";
import { createAdaptorServer } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";

/** Options of {@link startDemoServer}; every field has a default. */
export interface DemoServerOptions {
  /** First port to try; 0 picks an ephemeral one. Default 5173. */
  readonly port?: number;
  /** How many consecutive ports to try when the first is taken. Default 1 (only `port`). */
  readonly portAttempts?: number;
  /** Interface to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** The built demo (`apps/demo/dist`) to serve next to the API; `null` serves the API only. */
  readonly staticDir?: string | null;
  /** Passed to `createReplayServer` (default: in-memory stores and the scripted demo model with its tools). */
  readonly replay?: Partial<ReplayServerOptions>;
}

/** A running demo server. */
export interface DemoServer {
  /** Origin of the server, e.g. `http://127.0.0.1:5173`. */
  readonly url: string;
  readonly port: number;
  /** Ends live turns, closes the stores and every socket. */
  close(): Promise<void>;
}

/**
 * Serves the replay backend under `/api/*` and, optionally, the built demo on the same
 * port, so the browser talks to one origin (the owner cookie just works).
 * @example
 * const server = await startDemoServer({ staticDir: "apps/demo/dist", port: 0 });
 * console.log(server.url);
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const host = options.host ?? "127.0.0.1";
  // The demo runs the scripted model and its demo tools, named explicitly (§ no production default).
  const replay = createReplayServer({
    model: createScriptedModel(),
    tools: createDemoTools(),
    toolApproval: DEMO_TOOL_APPROVAL,
    ...options.replay,
  });
  const app = new Hono();
  app.all("/api/*", (c) => replay.fetch(c.req.raw));
  if (options.staticDir) {
    app.use("/*", serveStatic({ root: options.staticDir }));
    // Any other path is the single-page app (routing lives in the URL hash).
    app.get("*", serveStatic({ root: options.staticDir, path: "index.html" }));
  }
  const server = createAdaptorServer({ fetch: app.fetch });
  const port = await listenOnFirstFreePort(server, options.port ?? 5173, options.portAttempts ?? 1, host);
  const origin = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${origin}:${port}`,
    port,
    close: async () => {
      await replay.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // SSE responses keep sockets open; end them so close() resolves now, not at a timeout.
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
    },
  };
}

type Listenable = ReturnType<typeof createAdaptorServer>;

async function listenOnFirstFreePort(server: Listenable, first: number, attempts: number, host: string) {
  for (let offset = 0; ; offset++) {
    try {
      return await listen(server, first === 0 ? 0 : first + offset, host);
    } catch (error) {
      const taken = error instanceof Error && "code" in error && error.code === "EADDRINUSE";
      if (!taken || first === 0 || offset + 1 >= attempts) throw error;
    }
  }
}

function listen(server: Listenable, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}
