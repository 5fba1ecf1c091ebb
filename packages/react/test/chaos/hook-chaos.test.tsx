// @vitest-environment jsdom

import {
  ChaosProxy,
  expectPrefixOf,
  isLong,
  LONG_MAX_LENGTH,
  longCount,
  longEntries,
  memoryTrimmingStores,
  randomPlans,
  seededRandom,
  startReplayServer,
  trimmedThrough,
} from "@chat-replay/test-fixture";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import type { UIMessage } from "ai";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { useVercelChat } from "../../src/use-vercel-chat";

/**
 * The same promise as transport-chaos, through `useVercelChat`: whatever the proxy does,
 * the rendered messages end equal to the server's transcript, each id once, one bubble per
 * run. `CHAOS_HOOK_RUNS` sets the count; `CHAOS_SEED` replays one schedule.
 *
 * §8.58: one schedule in four (by seed, see long-schedules.ts) runs a turn 10–50× longer
 * than the buffer's cap on a server whose stream store keeps 64 entries, and must really
 * have trimmed its buffer. Stale cursors there end in the hook's replay rebuild, or, when
 * the turn ended meanwhile, in history adoption; either way the same promise holds.
 */
const RUNS = Number(process.env.CHAOS_HOOK_RUNS ?? 20);
const FIRST_SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : 1000;

afterEach(() => cleanup());

/** A long turn, one word per delta, half of them with reasoning and a tool call (see transport-chaos). */
function longPrompt(seed: number, random: () => number): string {
  const paced = random() < 0.5;
  const entries = longEntries(random, paced);
  const reasoning = random() < 0.5 ? Math.floor(entries / 4) : 0;
  const extra = reasoning > 0 ? ` [[reasoning=${reasoning}]] [[tool=search]]` : "";
  return `hook chaos ${seed} [[words=${entries - reasoning}]] [[delay=${paced ? 1 : 0}]]${extra}`;
}

describe("useVercelChat chaos (seeded)", () => {
  it(`renders exactly the server transcript across ${RUNS} hostile schedules, §8.58 ${longCount(FIRST_SEED, RUNS)} of them with turns past the trim point of a max-len ${LONG_MAX_LENGTH} buffer`, {
    timeout: 600_000,
  }, async () => {
    const timing = { keepaliveMs: 50 };
    const longStores = memoryTrimmingStores(LONG_MAX_LENGTH);
    const servers = {
      short: await startReplayServer({ timing }),
      long: await startReplayServer({ ...longStores, timing }),
    };
    for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
      const long = isLong(seed);
      const server = long ? servers.long : servers.short;
      const target = { host: "127.0.0.1", port: Number(new URL(server.baseUrl).port) };
      const random = seededRandom(seed);
      const proxy = new ChaosProxy(target, randomPlans(random, { maxBytes: 2500 }), random);
      const baseUrl = await proxy.listen();
      try {
        const sessionId = await server.createSession();
        // A long schedule whose turn ends while its cursor is stale gets the answer only from
        // history (§7 adoption): a history fetch the proxy kills is retried, as React Query
        // does by default in production. The hook itself never refetches a failed history
        // query of the same status version (reported with §8.58).
        const queryClient = new QueryClient({
          defaultOptions: { queries: long ? { retry: true, retryDelay: 10 } : { retry: false } },
        });
        const wrapper = ({ children }: { children: ReactNode }) => (
          <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
        );
        const finished: UIMessage[] = [];
        const { result, unmount } = renderHook(
          () =>
            useVercelChat({
              sessionId,
              baseUrl,
              headers: { authorization: `Bearer ${server.token()}` },
              statusIntervals: { active: 20, idle: 40 },
              reconnect: { initialDelayMs: 1, maxDelayMs: 10, maxAttempts: 12, stallTimeoutMs: 200 },
              // The streamed message itself, before any history adoption could mask a defect.
              onFinish: ({ message }) => finished.push(structuredClone(message)),
            }),
          { wrapper },
        );
        let text: string;
        if (long) {
          text = longPrompt(seed, random);
        } else {
          const words = 10 + Math.floor(random() * 60);
          const extra = random() < 0.5 ? " [[reasoning=8]] [[tool=search]]" : "";
          text = `hook chaos ${seed} [[words=${words}]] [[chunk=5]]${extra}`;
        }
        await act(() => result.current.sendMessage({ text }));
        await server.waitUntilSettled(sessionId, 30_000);
        const history = await server.history(sessionId);
        await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 15_000 });
        if (result.current.connection.staleCursors === 0) {
          expect(finished).toEqual([history[1]]);
        } else {
          // A stale cursor ends a stream early (StaleCursorError, or finish-only once the turn
          // ended): those finishes hold a prefix of the answer; the rebuild or history adoption
          // completes it.
          expect(long).toBe(true);
          for (const message of finished) expectPrefixOf(message, history[1]);
        }
        expect(new Set(result.current.messages.map((message) => message.id)).size).toBe(2);
        if (long) expect(await trimmedThrough(longStores, sessionId)).not.toBeNull();
        unmount();
      } catch (error) {
        throw new Error(`hook chaos schedule failed; replay with CHAOS_SEED=${seed} CHAOS_HOOK_RUNS=1`, {
          cause: error,
        });
      } finally {
        await proxy.close();
      }
    }
  });
});
