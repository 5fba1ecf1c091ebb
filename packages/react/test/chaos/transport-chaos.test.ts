import type { UIMessage } from "ai";
import { describe, expect, it } from "vitest";
import { createReplayTransport } from "../../src/replay-transport";
import { assembleStream, startReplayServer, userMessage } from "../server-fixture";
import { ChaosProxy, randomPlans, seededRandom } from "./chaos-proxy";
import { redisStoresOrSkip } from "./redis-stores-or-skip";

/**
 * Exactly-once delivery through a hostile network: for each seeded schedule, a loopback
 * proxy cuts, closes, stalls, delays or refuses connections while the bare transport runs a
 * turn; the assembled message must equal the server's stored one (no frame lost or
 * duplicated, one bubble). `CHAOS_RUNS` sets the count (200 in `pnpm test`, 2,000 in
 * `pnpm test:chaos`); `CHAOS_SEED` replays one schedule.
 */
const RUNS = Number(process.env.CHAOS_RUNS ?? 200);
const REDIS_RUNS = Number(process.env.CHAOS_REDIS_RUNS ?? process.env.CHAOS_RUNS ?? 100);
const FIRST_SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : 1;
const KINDS = ["text", "reasoning-tool", "approve", "deny", "cancel"] as const;

type Server = Awaited<ReturnType<typeof startReplayServer>>;

function promptFor(kind: (typeof KINDS)[number], random: () => number): string {
  const words = 10 + Math.floor(random() * 50);
  const chunk = 2 + Math.floor(random() * 8);
  const base = `chaos ${Math.floor(random() * 1e6)} [[words=${words}]] [[chunk=${chunk}]] [[delay=${Math.floor(random() * 2)}]]`;
  if (kind === "reasoning-tool")
    return `${base} [[reasoning=${3 + Math.floor(random() * 10)}]] [[tool=search]]`;
  if (kind === "approve" || kind === "deny") return `${base} [[approval]]`;
  if (kind === "cancel") return `chaos cancel [[words=400]] [[delay=3]] [[chunk=${chunk}]]`;
  return base;
}

/** Answers every pending approval on the assembled paused message. */
function withDecisions(message: UIMessage, approved: boolean): UIMessage {
  return {
    ...message,
    parts: message.parts.map((part) =>
      "state" in part && part.state === "approval-requested" && "approval" in part && part.approval
        ? { ...part, state: "approval-responded", approval: { id: part.approval.id, approved } }
        : part,
    ) as UIMessage["parts"],
  };
}

async function runSchedule(server: Server, seed: number): Promise<void> {
  const random = seededRandom(seed);
  const kind = KINDS[Math.floor(random() * KINDS.length)]!;
  const proxy = new ChaosProxy(
    { host: "127.0.0.1", port: Number(new URL(server.baseUrl).port) },
    randomPlans(random, { maxBytes: 2500 }),
    random,
  );
  const baseUrl = await proxy.listen();
  try {
    const sessionId = await server.createSession();
    const transport = createReplayTransport({
      baseUrl,
      headers: { authorization: `Bearer ${server.token()}` },
      reconnect: { initialDelayMs: 1, maxDelayMs: 10, maxAttempts: 12, stallTimeoutMs: 200 },
    });
    const prompt = userMessage(promptFor(kind, random));
    const send = (messages: UIMessage[]) =>
      transport.sendMessages({
        trigger: "submit-message",
        chatId: sessionId,
        messageId: undefined,
        messages,
        abortSignal: undefined,
      });
    const stream = await send([prompt]);
    if (kind === "cancel") {
      setTimeout(() => void server.cancel(sessionId), 20 + random() * 100);
    }
    let message = await assembleStream(stream);
    if ((kind === "approve" || kind === "deny") && message) {
      const paused = withDecisions(message, kind === "approve");
      const continued = await transport.sendMessages({
        trigger: "submit-message",
        chatId: sessionId,
        messageId: paused.id,
        messages: [prompt, paused],
        abortSignal: undefined,
      });
      message = await assembleStream(continued, paused);
    }
    await server.waitUntilSettled(sessionId);
    const stored = (await server.history(sessionId)).filter((item) => item.role === "assistant");
    expect(stored).toHaveLength(1);
    expect(normalizeApprovals(message)).toEqual(normalizeApprovals(stored[0]));
  } finally {
    await proxy.close();
  }
}

/** The client sets `approved` locally and the stream sets it too; compare the shared fields. */
function normalizeApprovals(message: UIMessage | undefined): unknown {
  return JSON.parse(JSON.stringify(message ?? null));
}

async function runSchedules(server: Server, runs: number, label: string): Promise<void> {
  for (let seed = FIRST_SEED; seed < FIRST_SEED + runs; seed++) {
    try {
      await runSchedule(server, seed);
    } catch (error) {
      throw new Error(`${label} chaos schedule failed; replay with CHAOS_SEED=${seed} CHAOS_RUNS=1`, {
        cause: error,
      });
    }
  }
}

describe("transport chaos (seeded)", () => {
  it(`delivers every frame exactly once across ${RUNS} hostile schedules (memory stores)`, {
    timeout: 600_000,
  }, async () => {
    await runSchedules(await startReplayServer({ timing: { keepaliveMs: 50 } }), RUNS, "memory");
  });

  it(`delivers every frame exactly once across ${REDIS_RUNS} hostile schedules (Redis stores)`, {
    timeout: 600_000,
  }, async (context) => {
    const redis = await redisStoresOrSkip(context.skip);
    try {
      await runSchedules(
        await startReplayServer({ ...redis.stores.serverOptions, timing: { keepaliveMs: 50 } }),
        REDIS_RUNS,
        "redis",
      );
    } finally {
      await redis.cleanup();
    }
  });
});
