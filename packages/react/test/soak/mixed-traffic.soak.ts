import { createReplayTransport } from "@chat-replay/client";
import {
  assembleStream,
  ChaosProxy,
  randomPlans,
  seededRandom,
  startReplayServer,
  userMessage,
} from "@chat-replay/test-fixture";
import { describe, expect, it } from "vitest";

/**
 * Soak: SOAK_MINUTES (default 30) of mixed traffic — concurrent turns of every kind through
 * a chaos proxy, with observers — checking that no frame is ever lost or duplicated and
 * that the heap stays flat: after GC, growth since warm-up is explained by the transcripts
 * the in-memory store keeps (sessions are never deleted), not by readers, timers or buffers
 * (buffers expire after their TTL).
 */
const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 16);

const gc = (globalThis as { gc?: () => void }).gc;
function heapAfterGc(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

describe("soak", () => {
  it(`${MINUTES} minutes of mixed traffic: no lost frame, flat memory`, async () => {
    const server = await startReplayServer({ timing: { keepaliveMs: 200, bufferTtlMs: 30_000 } });
    const target = { host: "127.0.0.1", port: Number(new URL(server.baseUrl).port) };
    await server.createSession(); // mint the owner once, before workers run concurrently
    const deadline = Date.now() + MINUTES * 60_000;
    const samples: number[] = [];
    let turns = 0;
    let mismatches = 0;
    let storedBytes = 0;
    const storedAtSample: number[] = [];
    const sampler = setInterval(() => {
      samples.push(heapAfterGc());
      storedAtSample.push(storedBytes);
    }, 10_000);
    const worker = async (index: number) => {
      let seed = index * 1_000_003;
      while (Date.now() < deadline) {
        const random = seededRandom(seed++);
        const proxy = new ChaosProxy(target, randomPlans(random, { maxBytes: 4000 }), random);
        const baseUrl = await proxy.listen();
        try {
          const sessionId = await server.createSession();
          const transport = createReplayTransport({
            baseUrl,
            headers: { authorization: `Bearer ${server.token()}` },
            reconnect: { initialDelayMs: 1, maxDelayMs: 20, maxAttempts: 12, stallTimeoutMs: 500 },
          });
          const extra = random() < 0.5 ? " [[reasoning=10]] [[tool=search]]" : "";
          const words = 20 + Math.floor(random() * 300);
          const stream = await transport.sendMessages({
            trigger: "submit-message",
            chatId: sessionId,
            messageId: undefined,
            messages: [userMessage(`soak ${seed} [[words=${words}]] [[delay=1]]${extra}`)],
            abortSignal: undefined,
          });
          const message = await assembleStream(stream);
          await server.waitUntilSettled(sessionId, 20_000).catch(async (error: unknown) => {
            console.log("unsettled", seed - 1, sessionId, JSON.stringify(await server.status(sessionId)));
            throw error;
          });
          const history = await server.history(sessionId);
          storedBytes += JSON.stringify(history).length;
          const stored = history.find((item) => item.role === "assistant");
          if (JSON.stringify(message) !== JSON.stringify(stored)) {
            mismatches++;
            console.log(
              `mismatch at seed ${seed - 1}: ${transport.getSnapshot().phase}, ${transport.getSnapshot().reconnects} reconnects`,
            );
          }
          turns++;
        } finally {
          await proxy.close();
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)));
    clearInterval(sampler);
    console.log(
      `soak: ${turns} turns, ${mismatches} mismatches, heap samples (MB): ${samples.map((bytes) => (bytes / 1e6).toFixed(1)).join(" ")}`,
    );
    expect(mismatches).toBe(0);
    const warmIndex = Math.min(samples.length - 1, 2);
    const warm = samples[warmIndex];
    const last = samples.at(-1);
    if (warm !== undefined && last !== undefined && samples.length >= 4) {
      const transcripts = (storedAtSample.at(-1) ?? 0) - (storedAtSample[warmIndex] ?? 0);
      console.log(
        `soak: heap growth ${((last - warm) / 1e6).toFixed(1)} MB for ${(transcripts / 1e6).toFixed(1)} MB of stored transcripts`,
      );
      expect(last - warm).toBeLessThan(transcripts * 4 + 16e6);
    }
  });
});
