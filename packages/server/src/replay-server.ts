import { ChatReplayError, HEADERS, ROUTES } from "@chat-replay/protocol";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { crossSiteGuard, securityHeaders } from "./cross-site";
import { BadJsonError, errorResponse, readJson } from "./http-error";
import {
  type Caller,
  cookieIsSecure,
  newLinkId,
  resolveCaller,
  setOwnerCookie,
  TokenSigner,
} from "./identity";
import { answerOps, isOpsPath, registerOpsRoutes } from "./observability/ops-routes";
import { Readiness } from "./observability/readiness";
import { describeError } from "./observability/replay-logger";
import { requestIdOf } from "./observability/request-id";
import { storeNameOf } from "./observability/store-errors";
import { type ReplayServerOptions, resolveOptions } from "./replay-options";
import { createSessionBodySchema, describeIssue } from "./request-schemas";
import { createSessionRoutes } from "./session-routes";
import type { SessionRecord } from "./session-store";
import type { StreamStore } from "./stream-store";
import { TurnRunner } from "./turn-runner";

/** A replay server: a Web-standard `fetch` handler plus `close`. */
export interface ReplayServer {
  /** Handles one request; mount it on Node, a Next.js route handler, or any Fetch runtime. */
  fetch(request: Request): Promise<Response>;
  /**
   * The Hono app behind `fetch`, to mount as a sub-app of yours:
   * `parent.route("/chat", server.app)` serves `/chat/api/sessions`.
   */
  readonly app: Hono;
  /**
   * Mints a signed owner token (for tools, tests and backends that hand tokens to their
   * clients): send it as `Authorization: Bearer <token>`.
   */
  mintOwnerToken(): Promise<string>;
  /** Ends local turns as failed, stops read loops and closes the stores. */
  close(): Promise<void>;
}

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Read-only share links live as long as an idle session would. */
const SHARE_LINK_TTL_MS = 30 * 24 * 3600_000;
/** Header that carries a share-link token when `Authorization` belongs to the app (`identify`). */
const SHARE_HEADER = "x-chat-replay-share";

/** What a route may do with the session it is given. */
type Access = "read" | "write" | "owner";

/**
 * Creates the replay backend (§3): sessions, turns, status, resume, cancel and approvals
 * over the given stores (in memory by default) and your model. Runs wherever Web
 * `Request`/`Response` exist (Node, Bun, Deno, Workers, Next.js route handlers).
 * @example
 * const server = createReplayServer({ model: openai("gpt-5"), secret: process.env.CHAT_REPLAY_SECRET });
 * export const GET = server.fetch; // or serveNode(server) from @chat-replay/server/node
 */
export function createReplayServer(options: ReplayServerOptions): ReplayServer {
  const ctx = resolveOptions(options);
  const signer = new TokenSigner(ctx.secrets);
  const runner = new TurnRunner(ctx);
  const routes = createSessionRoutes(ctx, runner);
  const app = ctx.basePath === "" ? new Hono() : new Hono().basePath(ctx.basePath);
  const readiness = new Readiness([
    { store: storeNameOf(ctx.streamStore), role: "stream", target: ctx.streamStore },
    { store: storeNameOf(ctx.sessionStore), role: "session", target: ctx.sessionStore },
  ]);
  const ops = { readiness, metrics: ctx.metrics };
  const untrack = ctx.metrics?.track({
    openReaders: () => routes.openStreams(),
    activeTurns: () => ({ running: runner.runningCount, waitingForApproval: ctx.waitingTurns.size }),
  });

  const callerOf = async (c: Context): Promise<Caller> => {
    const share = c.req.header(SHARE_HEADER);
    if (share !== undefined) {
      const verified = await signer.verifyToken(share);
      return verified?.kind === "share" ? verified : { kind: "invalid" };
    }
    if (!ctx.identify) return resolveCaller(c, signer);
    const ownerId = await ctx.identify(c.req.raw);
    return ownerId === null ? { kind: "anonymous" } : { kind: "owner", ownerId };
  };

  /**
   * Loads the session a caller may use for `access`. Anything it may not see is the same
   * 404 (§3: never leak existence); a share link that may see it but not change it gets 403.
   */
  const sessionFor = async (
    c: Context,
    access: Access,
  ): Promise<{ session: SessionRecord; principal: string } | Response> => {
    const caller = await callerOf(c);
    if (caller.kind === "invalid")
      return errorResponse(401, "unauthorized", "The credentials are not valid.");
    const id = c.req.param("id") ?? "";
    const session = SESSION_ID_PATTERN.test(id) ? await ctx.sessionStore.getSession(id) : null;
    const notFound = () => errorResponse(404, "not_found", "No such session.");
    if (!session || caller.kind === "anonymous") return notFound();
    if (caller.kind === "owner") {
      return session.ownerId === caller.ownerId ? { session, principal: caller.ownerId } : notFound();
    }
    const linkLive =
      caller.sessionId === session.id &&
      (await ctx.sessionStore.isClaimed(shareClaim(session.id, caller.linkId)));
    if (!linkLive) return notFound();
    if (access !== "read") return errorResponse(403, "read_only", "This link can only read the session.");
    return { session, principal: `share:${caller.linkId}` };
  };

  const withSession =
    (access: Access, handler: (c: Context, session: SessionRecord, principal: string) => Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      const found = await sessionFor(c, access);
      if (found instanceof Response) return found;
      ctx.waitingTurns.observe(found.session);
      return handler(c, found.session, found.principal);
    };

  // Probes and scrapes first: no identity, no session, no middleware (§ Operating).
  registerOpsRoutes(app, ops);
  const metrics = ctx.metrics;
  if (metrics) {
    app.use("*", async (c, next) => {
      await next();
      if (c.res.status !== 429) return;
      const body = (await c.res
        .clone()
        .json()
        .catch(() => null)) as { error?: { code?: string } } | null;
      metrics.refused(body?.error?.code ?? "unknown");
    });
  }
  app.use("*", securityHeaders());
  if (ctx.corsOrigins.length > 0) {
    app.use(
      "*",
      cors({
        origin: [...ctx.corsOrigins],
        credentials: true,
        allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
        allowHeaders: ["content-type", "authorization", HEADERS.lastEventId, SHARE_HEADER],
        exposeHeaders: [HEADERS.replayMode, HEADERS.cursor, "etag", "retry-after"],
        maxAge: 600,
      }),
    );
  }
  app.use(
    "*",
    bodyLimit({
      maxSize: ctx.maxBodyBytes,
      // The rest of the body is never read: say so, or the client's next request on this
      // keep-alive connection would fail with a network error.
      onError: () =>
        errorResponse(
          413,
          "payload_too_large",
          `Request bodies are limited to ${ctx.maxBodyBytes} bytes.`,
          {},
          {
            connection: "close",
          },
        ),
    }),
  );
  app.use("*", crossSiteGuard(ctx.allowedOrigins));

  app.post(ROUTES.sessions, async (c) => {
    const parsed = createSessionBodySchema.safeParse(await readJson(c, {}));
    if (!parsed.success) return errorResponse(400, "bad_request", describeIssue(parsed.error));
    const caller = await callerOf(c);
    if (caller.kind === "invalid")
      return errorResponse(401, "unauthorized", "The credentials are not valid.");
    if (caller.kind === "share")
      return errorResponse(403, "read_only", "A share link cannot create sessions.");
    let ownerId: string;
    if (caller.kind === "owner") ownerId = caller.ownerId;
    else if (ctx.identify) return errorResponse(401, "unauthorized", "Sign in to create a session.");
    else {
      const token = await signer.mintOwnerToken();
      setOwnerCookie(c, token, cookieIsSecure(c, ctx.secureCookie));
      const minted = await signer.verifyToken(token);
      ownerId = minted?.kind === "owner" ? minted.ownerId : "";
    }
    const session = await ctx.sessionStore.createSession(
      { id: crypto.randomUUID(), ownerId, title: parsed.data.title ?? "New chat" },
      { maxPerOwner: ctx.maxSessionsPerOwner },
    );
    if (!session) {
      return errorResponse(
        429,
        "too_many_sessions",
        `At most ${ctx.maxSessionsPerOwner} sessions per owner; delete one to start another.`,
        {},
        { "retry-after": "3600" },
      );
    }
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

  // Hono answers HEAD by running the GET handler and discarding the body, which would
  // leave a live SSE reader (and its stream slot) behind.
  app.use(ROUTES.stream, async (c, next) => {
    if (c.req.method === "HEAD")
      return errorResponse(405, "method_not_allowed", "Use GET to read a session stream.");
    await next();
  });

  app.get(
    ROUTES.session,
    withSession("read", (c, session) => routes.getSession(c, session)),
  );
  app.delete(
    ROUTES.session,
    withSession("owner", (_c, session) => routes.deleteSession(session)),
  );
  app.get(
    ROUTES.status,
    withSession("read", (c, session) => routes.status(c, session)),
  );
  app.get(
    ROUTES.stream,
    withSession("read", (c, session, principal) => routes.stream(c, session, principal)),
  );
  app.post(
    ROUTES.messages,
    withSession("write", (c, session, principal) => routes.sendMessage(c, session, principal)),
  );
  app.post(
    ROUTES.continue,
    withSession("write", (c, session, principal) => routes.continueTurn(c, session, principal)),
  );
  app.post(
    ROUTES.cancel,
    withSession("write", (c, session) => routes.cancel(c, session)),
  );
  app.post(
    `${ROUTES.session}/share`,
    withSession("owner", async (c, session) => {
      const linkId = newLinkId();
      await ctx.sessionStore.claimOnce(shareClaim(session.id, linkId), SHARE_LINK_TTL_MS);
      const token = await signer.mintShareToken(session.id, linkId);
      return c.json(
        { token, link_id: linkId, expires_at: new Date(Date.now() + SHARE_LINK_TTL_MS).toISOString() },
        201,
      );
    }),
  );
  app.delete(
    `${ROUTES.session}/share/:linkId`,
    withSession("owner", async (c, session) => {
      await ctx.sessionStore.releaseClaim(shareClaim(session.id, c.req.param("linkId") ?? ""));
      return new Response(null, { status: 204 });
    }),
  );

  app.notFound(() => errorResponse(404, "not_found", "No such route."));
  app.onError((error, c) => {
    if (error instanceof BadJsonError) return errorResponse(400, "bad_request", "body: not valid JSON");
    if (ChatReplayError.isInstance(error) && error.code === "store_unavailable") {
      return errorResponse(
        503,
        "store_unavailable",
        "The session store is unavailable; retry shortly.",
        {},
        {
          "retry-after": "1",
        },
      );
    }
    const errorId = crypto.randomUUID().slice(0, 8);
    ctx.logger.log("error", "unhandled error", {
      error_id: errorId,
      request_id: requestIdOf(c.req.raw),
      method: c.req.method,
      path: c.req.path,
      session_id: c.req.param("id"),
      cause: describeError(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    return errorResponse(500, "internal", `Internal error (error ${errorId}).`);
  });

  const server: ReplayServer = {
    fetch: async (request) => {
      // Under a base path, probes also answer at the root (a load balancer probes /healthz).
      if (ctx.basePath !== "") {
        const path = new URL(request.url).pathname;
        if (isOpsPath(path) && request.method === "GET") {
          const answer = await answerOps(path, ops);
          if (answer) return answer;
        }
      }
      return app.fetch(request);
    },
    app,
    mintOwnerToken: () => signer.mintOwnerToken(),
    close: async () => {
      untrack?.();
      await runner.close();
      ctx.hub.close();
      await ctx.streamStore.close();
      await ctx.sessionStore.close();
    },
  };
  writerStores.set(server, ctx.streamStore);
  return server;
}

/** Each server's stream store as its own writers use it (see {@link writerStreamStore}). */
const writerStores = new WeakMap<ReplayServer, StreamStore>();

/**
 * The stream store as `server`'s own turn runner writes to it: appends through it reach the
 * server's local readers without a store read (§4 "Local feed"). For load tests and tools
 * that write a turn's entries themselves; `@chat-replay/server/testing` exports it. What
 * its `appendLinked` returns is handed to the readers as it is: do not mutate it.
 */
export function writerStreamStore(server: ReplayServer): StreamStore {
  const store = writerStores.get(server);
  if (!store)
    throw new ChatReplayError("invalid_options", "writerStreamStore: not a server of createReplayServer.");
  return store;
}

/** The claim that keeps a share link alive; deleting it revokes the link. */
function shareClaim(sessionId: string, linkId: string): string {
  return `share:${sessionId}:${linkId}`;
}
