// Followers of one live turn across instances: ours (Redis, producer on A, followers on B)
// and the peer (resumable-stream, producer on A, followers on B). Shared by rows 3 and 5.
import {
  authHeaders,
  type BenchContext,
  commandCalls,
  commandDelta,
  DELTA_TEXT,
  PEER_CHUNK,
  PEER_CHUNK_BYTES,
} from "../context";
import { open } from "../http-client";
import type { Instance } from "../rpc";
import { now } from "../stats";
import type { Turn } from "./resume";

export interface FollowRun {
  /** From the producer's first append (or the peer's go) to the last follower's last byte. */
  readonly ms: number;
  /** Redis commands from before the followers attached to after the last one finished. */
  readonly commands: { total: number; byCommand: Record<string, number> } | null;
}

export async function oursFollow(
  ctx: BenchContext,
  writer: Instance,
  readerPort: number,
  followers: number,
  entries: number,
): Promise<FollowRun> {
  const turn = await writer.call<Turn>("ours.createTurn", { entries: 1 });
  const before = ctx.redis ? await commandCalls(ctx.redis) : null;
  const handles = Array.from({ length: followers }, () =>
    open(readerPort, `/api/sessions/${turn.sessionId}/stream`, { headers: authHeaders(ctx) }),
  );
  await Promise.all(handles.map((handle) => handle.waitFor('"type":"text-start"')));
  const started = now();
  await writer.call("ours.append", {
    keys: [turn.key],
    count: entries,
    window: 64,
    text: DELTA_TEXT,
    end: true,
  });
  await Promise.all(handles.map((handle) => handle.ended));
  const ms = Math.max(...handles.map((handle) => handle.endedAt)) - started;
  const after = ctx.redis ? await commandCalls(ctx.redis) : null;
  const minimum = entries * DELTA_TEXT.length;
  for (const handle of handles) {
    if (handle.status !== 200 || handle.bytes < minimum)
      throw new Error(`follower got ${handle.bytes} bytes`);
  }
  return { ms, commands: before && after ? commandDelta(before, after) : null };
}

export async function peerFollow(
  ctx: BenchContext,
  producer: Instance,
  followerPort: number,
  followers: number,
  chunks: number,
): Promise<FollowRun> {
  const streamId = `follow-${crypto.randomUUID()}`;
  await producer.call("peer.produce", { streamId, chunks, chunk: PEER_CHUNK, gate: true });
  const before = ctx.redis ? await commandCalls(ctx.redis) : null;
  const handles = Array.from({ length: followers }, () => open(followerPort, `/peer/${streamId}`));
  // Headers arrive once the producer answered the follower's request: it is registered.
  await Promise.all(handles.map((handle) => handle.response));
  const started = now();
  await producer.call("peer.go", { streamId });
  await Promise.all(handles.map((handle) => handle.ended));
  const ms = Math.max(...handles.map((handle) => handle.endedAt)) - started;
  const after = ctx.redis ? await commandCalls(ctx.redis) : null;
  for (const handle of handles) {
    if (handle.bytes !== chunks * PEER_CHUNK_BYTES)
      throw new Error(`peer follower got ${handle.bytes} bytes`);
  }
  return { ms, commands: before && after ? commandDelta(before, after) : null };
}

/** Ours on Redis: instance A writes, instance B serves. */
export async function startOursRedis(ctx: BenchContext, a: Instance, b: Instance, maxLength = 400_000) {
  const options = {
    store: "redis",
    redisUrl: ctx.redisUrl,
    keyPrefix: `${ctx.prefix}:ours`,
    token: ctx.token,
    secret: ctx.secret,
    maxLength,
  };
  const { port: portA } = await a.call<{ port: number }>("ours.start", {
    ...options,
    connectionName: `${ctx.prefix}-A`,
  });
  const { port: portB } = await b.call<{ port: number }>("ours.start", {
    ...options,
    connectionName: `${ctx.prefix}-B`,
  });
  return { portA, portB };
}

export async function startPeer(ctx: BenchContext, a: Instance, b: Instance) {
  const options = { redisUrl: ctx.redisUrl, keyPrefix: `${ctx.prefix}:peer` };
  await a.call("peer.start", options);
  const { port } = await b.call<{ port: number }>("peer.start", options);
  return { port };
}
