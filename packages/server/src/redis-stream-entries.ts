import { type BufferEntry, bufferEntrySchema, type StoredEntry } from "@chat-replay/protocol";

/** The stream field that holds an entry's JSON (§4: "Entry kinds (JSON, Redis field `d`)"). */
export const ENTRY_FIELD = "d";

/**
 * What a reader gets in place of an entry that is not valid JSON or not a valid buffer
 * entry (a foreign writer, a manual `XADD`, a bug). A lifecycle entry yields no frames and
 * consumes no frame ids (§5), so readers neither crash nor stall, and the entry's id stays
 * in the buffer: cursors on it remain valid (§6) and later frames keep their ids.
 */
export const CORRUPT_ENTRY: BufferEntry = { type: "lifecycle", name: "chat-replay:corrupt-entry" };

/** Called once per corrupt entry that a read skipped over. */
export type CorruptEntryHandler = (id: string, reason: string) => void;

/**
 * Parses an `XRANGE`-shaped reply (`[[id, [field, value, ...]], ...]`) into stored entries,
 * validating each with `bufferEntrySchema`; corrupt ones become {@link CORRUPT_ENTRY}.
 */
export function parseStreamEntries(reply: unknown, onCorrupt: CorruptEntryHandler): StoredEntry[] {
  if (!Array.isArray(reply)) return [];
  const entries: StoredEntry[] = [];
  for (const item of reply) {
    if (!Array.isArray(item) || typeof item[0] !== "string") continue;
    const [id, fields] = item as [string, unknown];
    entries.push({ id, entry: decodeEntry(id, fields, onCorrupt) });
  }
  return entries;
}

function decodeEntry(id: string, fields: unknown, onCorrupt: CorruptEntryHandler): BufferEntry {
  const raw = fieldValue(fields, ENTRY_FIELD);
  if (raw === null) {
    onCorrupt(id, `no "${ENTRY_FIELD}" field`);
    return CORRUPT_ENTRY;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    onCorrupt(id, "not JSON");
    return CORRUPT_ENTRY;
  }
  const fast = hotEntry(json);
  if (fast) return fast;
  const parsed = bufferEntrySchema.safeParse(json);
  if (!parsed.success) {
    onCorrupt(id, `not a buffer entry: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    return CORRUPT_ENTRY;
  }
  return parsed.data;
}

const HOT_TEXT_TYPES = new Set(["text-delta", "reasoning-delta", "text-start", "reasoning-start"]);
const HOT_END_TYPES = new Set(["text-end", "reasoning-end"]);

/**
 * Validates the entries that make up almost every turn (text and reasoning deltas, starts
 * and ends) with a few property checks instead of the full zod union, which dominated
 * replay cost; anything else, or anything unusual, goes through `bufferEntrySchema`.
 */
function hotEntry(json: unknown): BufferEntry | null {
  if (typeof json !== "object" || json === null) return null;
  const value = json as { type?: unknown; part?: unknown; text?: unknown };
  const keys = Object.keys(value).length;
  const part = value.part;
  if (typeof part !== "number" || !Number.isInteger(part) || part < 0) return null;
  if (typeof value.type !== "string") return null;
  if (HOT_END_TYPES.has(value.type) && keys === 2) return json as BufferEntry;
  if (!HOT_TEXT_TYPES.has(value.type)) return null;
  const isStart = value.type.endsWith("-start");
  if (value.text === undefined) return isStart && keys === 2 ? (json as BufferEntry) : null;
  return typeof value.text === "string" && keys === 3 ? (json as BufferEntry) : null;
}

function fieldValue(fields: unknown, name: string): string | null {
  if (!Array.isArray(fields)) return null;
  for (let index = 0; index + 1 < fields.length; index += 2) {
    if (fields[index] === name && typeof fields[index + 1] === "string") return fields[index + 1] as string;
  }
  return null;
}

/**
 * Parses an `XREAD` reply into raw entries per key. The store's own connections speak RESP2
 * (`[[key, entries], ...]`); a shared client on RESP3 answers a map, which ioredis hands
 * over flat (`[key, entries, ...]`) or as an object. Null (nothing new) gives an empty map.
 */
export function streamsOf(reply: unknown): Map<string, unknown[]> {
  const streams = new Map<string, unknown[]>();
  const add = (key: unknown, entries: unknown) => {
    if (typeof key === "string" && Array.isArray(entries)) streams.set(key, entries);
  };
  if (Array.isArray(reply)) {
    if (typeof reply[0] === "string")
      for (let i = 0; i + 1 < reply.length; i += 2) add(reply[i], reply[i + 1]);
    else for (const item of reply) if (Array.isArray(item)) add(item[0], item[1]);
  } else if (reply !== null && typeof reply === "object") {
    for (const [key, entries] of Object.entries(reply)) add(key, entries);
  }
  return streams;
}

const U64_MAX = 2n ** 64n - 1n;
const ID_PATTERN = /^(\d+)-(\d+)$/;

/**
 * Maps an entry id bound onto Redis's 64-bit stream ids. Cursors come from clients
 * (`Last-Event-ID`, up to 64 digits, §6) and may exceed what Redis parses; Redis would
 * answer with an error, the memory store simply compares. Returns the equivalent bound,
 * or null when nothing can match (`min`/`after` beyond every possible id).
 */
export function redisIdBound(id: string, side: "min" | "max" | "after"): string | null {
  const match = ID_PATTERN.exec(id);
  if (!match) return id; // "-", "+", or a caller bug Redis will report
  const ms = BigInt(match[1]!);
  const seq = BigInt(match[2]!);
  if (ms > U64_MAX) return side === "max" ? "+" : null;
  if (seq <= U64_MAX) return `${ms}-${seq}`;
  if (side !== "min") return `${ms}-${U64_MAX}`;
  return ms === U64_MAX ? null : `${ms + 1n}-0`;
}
