// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { useVercelChat } from "../../src/use-vercel-chat";
import { startReplayServer } from "../server-fixture";
import { ChaosProxy, randomPlans, seededRandom } from "./chaos-proxy";

/**
 * The same promise as transport-chaos, through `useVercelChat`: whatever the proxy does,
 * the rendered messages end equal to the server's transcript, each id once, one bubble per
 * run. `CHAOS_HOOK_RUNS` sets the count; `CHAOS_SEED` replays one schedule.
 */
const RUNS = Number(process.env.CHAOS_HOOK_RUNS ?? 20);
const FIRST_SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : 1000;

afterEach(() => cleanup());

describe("useVercelChat chaos (seeded)", () => {
  it(`renders exactly the server transcript across ${RUNS} hostile schedules`, {
    timeout: 600_000,
  }, async () => {
    const server = await startReplayServer({ timing: { keepaliveMs: 50 } });
    const target = { host: "127.0.0.1", port: Number(new URL(server.baseUrl).port) };
    for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
      const random = seededRandom(seed);
      const proxy = new ChaosProxy(target, randomPlans(random, { maxBytes: 2500 }), random);
      const baseUrl = await proxy.listen();
      try {
        const sessionId = await server.createSession();
        const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
        const wrapper = ({ children }: { children: ReactNode }) => (
          <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
        );
        const finished: unknown[] = [];
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
        const words = 10 + Math.floor(random() * 60);
        const extra = random() < 0.5 ? " [[reasoning=8]] [[tool=search]]" : "";
        await act(() =>
          result.current.sendMessage({ text: `hook chaos ${seed} [[words=${words}]] [[chunk=5]]${extra}` }),
        );
        await server.waitUntilSettled(sessionId);
        const history = await server.history(sessionId);
        await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 15_000 });
        expect(finished).toEqual([history[1]]);
        expect(new Set(result.current.messages.map((message) => message.id)).size).toBe(2);
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
