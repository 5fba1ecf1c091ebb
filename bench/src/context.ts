import { encodeSseChunk } from "@chat-replay/protocol";
import { createClient } from "redis";

/** One line of the final table. */
export interface Line {
  readonly row: string;
  readonly what: string;
  readonly ours: string;
  readonly reference: string;
  readonly ratio: string;
  readonly goal: string;
  readonly verdict: "met" | "missed" | "—" | "not measured";
}

/** What a row hands back: its table lines and its raw data for the JSON. */
export interface RowResult {
  readonly lines: Line[];
  readonly data: Record<string, unknown>;
}

/** The bench's admin connection (INFO, CLIENT LIST, key cleanup); never used by the measured code. */
export function createAdmin(url: string) {
  return createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
}

export type RedisAdmin = ReturnType<typeof createAdmin>;

export interface BenchContext {
  readonly quick: boolean;
  readonly redisUrl: string;
  /** Unique key prefix of this run; every key the bench creates starts with it. */
  readonly prefix: string;
  /** Secret every one of our servers signs owner tokens with (instances share owners). */
  readonly secret: string;
  /** Bearer token of the bench's owner on our servers, signed with `secret`. */
  readonly token: string;
  /** Admin connection for INFO / CLIENT LIST, or null when Redis is unreachable. */
  readonly redis: RedisAdmin | null;
  /** Why the Redis rows cannot run, or null when they can. */
  readonly redisUnavailable: string | null;
  /** Repetitions measured after the warm-up. */
  readonly reps: number;
  /** Results of the rows already run (row 5 reuses rows 2 and 3). */
  readonly results: Map<string, RowResult>;
  progress(line: string): void;
}

/**
 * The text of a 57-byte chunk: the peer's chunk is the UI message stream SSE frame
 * `data: {"type":"text-delta","id":"0","delta":"…"}\n\n` of exactly 57 bytes; our
 * entries carry the same delta text.
 */
export const PEER_CHUNK_BYTES = 57;
const frameOf = (delta: string) => encodeSseChunk({ type: "text-delta", id: "0", delta });
export const DELTA_TEXT = "lorem ipsum ".repeat(4).slice(0, PEER_CHUNK_BYTES - frameOf("").length);
export const PEER_CHUNK = frameOf(DELTA_TEXT);
if (Buffer.byteLength(PEER_CHUNK) !== PEER_CHUNK_BYTES) throw new Error("chunk size");

export const authHeaders = (ctx: BenchContext): Record<string, string> => ({
  authorization: `Bearer ${ctx.token}`,
});

/** `INFO commandstats` as calls per command. */
export async function commandCalls(redis: RedisAdmin): Promise<Map<string, number>> {
  const info = await redis.info("commandstats");
  const calls = new Map<string, number>();
  for (const line of info.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match) calls.set(match[1]!, Number(match[2]));
  }
  return calls;
}

/** Commands issued between two snapshots, without the bench's own admin commands. */
export function commandDelta(
  before: Map<string, number>,
  after: Map<string, number>,
): { total: number; byCommand: Record<string, number> } {
  const ignored = new Set(["info", "client|list", "client|info", "ping", "scan", "unlink"]);
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0);
    if (delta <= 0 || ignored.has(name)) continue;
    byCommand[name] = delta;
    total += delta;
  }
  return { total, byCommand };
}

/** Connections whose `CLIENT SETNAME` starts with `namePrefix`, and all connections. */
export async function connections(
  redis: RedisAdmin,
  namePrefix: string,
): Promise<{ named: number; all: number }> {
  const list = await redis.sendCommand(["CLIENT", "LIST"]);
  const lines = String(list).split("\n").filter(Boolean);
  const named = lines.filter((line) => / name=(\S*)/.exec(line)?.[1]?.startsWith(namePrefix)).length;
  return { named, all: lines.length };
}

/** Deletes every key of this run. */
export async function deleteKeys(redis: RedisAdmin, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    const batch = keys as unknown as string[];
    if (batch.length > 0) deleted += await redis.unlink(batch);
  }
  return deleted;
}
