import { ChatReplayError, ROUTES } from "@chat-replay/protocol";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { BadJsonError, errorResponse, readJson } from "./http-error";
import { mintOwnerToken, ownerIdOf, readOwnerToken } from "./identity";
import { type ReplayServerOptions, resolveOptions } from "./replay-options";
import { createSessionBodySchema, describeIssue } from "./request-schemas";
import { SessionRoutes } from "./session-routes";
import type { SessionRecord } from "./session-store";
import { TurnRunner } from "./turn-runner";

/** A replay server: a Web-standard `fetch` handler plus `close`. */
export interface ReplayServer {
  /** Handles one request; mount it on Node, a Next.js route handler, or any Fetch runtime. */
  fetch(request: Request): Promise<Response>;
  /** Ends local turns as failed, stops read loops and closes the stores. */
  close(): Promise<void>;
}

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Creates the replay backend (§3): sessions, turns, status, resume, cancel and approvals
 * over the given stores (in memory by default) and model (the scripted demo model by
 * default).
 * @example
 * const server = createReplayServer();
 * serve({ fetch: server.fetch, port: 8787 }); // @hono/node-server
 */
export function createReplayServer(options: ReplayServerOptions = {}): ReplayServer {
  const ctx = resolveOptions(options);
  const runner = new TurnRunner(ctx);
  const routes = new SessionRoutes(ctx, runner);
  const app = new Hono<{ Variables: { ownerId: string | null } }>();

  const owner = async (c: Context): Promise<string | null> => {
    if (ctx.identify) return ctx.identify(c.req.raw);
    const token = readOwnerToken(c);
    return token === null ? null : ownerIdOf(token);
  };

  /** Loads a session the caller owns; anything else is the same 404 (§3: never leak existence). */
  const ownedSession = async (c: Context): Promise<SessionRecord | Response> => {
    const id = c.req.param("id") ?? "";
    const ownerId = await owner(c);
    const session =
      SESSION_ID_PATTERN.test(id) && ownerId !== null ? await ctx.sessionStore.getSession(id) : null;
    if (!session || session.ownerId !== ownerId) return errorResponse(404, "not_found", "No such session.");
    return session;
  };

  app.use(
    "*",
    bodyLimit({
      maxSize: ctx.maxBodyBytes,
      onError: () =>
        errorResponse(413, "payload_too_large", `Request bodies are limited to ${ctx.maxBodyBytes} bytes.`),
    }),
  );

  app.post(ROUTES.sessions, async (c) => {
    const parsed = createSessionBodySchema.safeParse(await readJson(c, {}));
    if (!parsed.success) return errorResponse(400, "bad_request", describeIssue(parsed.error));
    let ownerId = await owner(c);
    if (ownerId === null) {
      if (ctx.identify) return errorResponse(401, "unauthorized", "Sign in to create a session.");
      ownerId = await ownerIdOf(mintOwnerToken(c));
    }
    const session = await ctx.sessionStore.createSession({
      id: crypto.randomUUID(),
      ownerId,
      title: parsed.data.title ?? "New chat",
    });
    return c.json(
      {
        id: session.id,
        title: session.title,
        created_at: session.createdAt,
        turn_status: session.turnStatus,
        curr_run_id: session.currRunId,
      },
      201,
    );
  });

  const withSession =
    (handler: (c: Context, session: SessionRecord) => Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      const session = await ownedSession(c);
      return session instanceof Response ? session : handler(c, session);
    };

  // Hono answers HEAD by running the GET handler and discarding the body, which would
  // leave a live SSE reader (and its stream slot) behind.
  app.use(ROUTES.stream, async (c, next) => {
    if (c.req.method === "HEAD")
      return errorResponse(405, "method_not_allowed", "Use GET to read a session stream.");
    await next();
  });

  app.get(
    ROUTES.session,
    withSession((c, session) => routes.getSession(c, session)),
  );
  app.get(
    ROUTES.status,
    withSession((c, session) => routes.status(c, session)),
  );
  app.get(
    ROUTES.stream,
    withSession((c, session) => routes.stream(c, session)),
  );
  app.post(
    ROUTES.messages,
    withSession((c, session) => routes.sendMessage(c, session)),
  );
  app.post(
    ROUTES.continue,
    withSession((c, session) => routes.continueTurn(c, session)),
  );
  app.post(
    ROUTES.cancel,
    withSession((c, session) => routes.cancel(c, session)),
  );

  app.notFound(() => errorResponse(404, "not_found", "No such route."));
  app.onError((error) => {
    if (error instanceof BadJsonError) return errorResponse(400, "bad_request", "body: not valid JSON");
    if (ChatReplayError.isInstance(error) && error.code === "store_unavailable") {
      return errorResponse(503, "store_unavailable", "The session store is unavailable; retry shortly.");
    }
    console.error("chat-replay: unhandled error", error);
    return errorResponse(500, "internal", "Internal error.");
  });

  return {
    fetch: async (request) => app.fetch(request),
    close: async () => {
      await runner.close();
      ctx.hub.close();
      await ctx.streamStore.close();
      await ctx.sessionStore.close();
    },
  };
}
