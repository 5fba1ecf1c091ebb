// @vitest-environment jsdom
import { ChaosProxy, startReplayServer, userMessage } from "@chat-replay/test-fixture";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import type { UIMessage } from "ai";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { useVercelChat } from "../src/use-vercel-chat";

/**
 * §8.71 through the real stack: the replay server on loopback, a TCP proxy that cuts every
 * connection and refuses new ones for the outage, and `useVercelChat` in an observer tab
 * that did nothing but open the chat. Time is scaled, not waited: an outage of T at scale
 * 1/k runs T/k with every client delay (backoff, cap, status interval) also divided by k,
 * so the client goes through exactly the attempts and waits a real outage of T causes
 * (a 5 min outage: ~60 capped backoff rounds; the old transport gave up after 8).
 */

const proxies: ChaosProxy[] = [];
afterEach(async () => {
  cleanup();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

/** The assistant bubble's text. */
const answerOf = (messages: UIMessage[]) =>
  messages
    .filter((message) => message.role === "assistant")
    .flatMap((message) => message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])))
    .join("");

function wrapper({ children }: { children: ReactNode }) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

describe("useVercelChat follows a running turn through outages (§7 Never give up)", () => {
  for (const { label, outageMs, scale } of [
    { label: "1 s", outageMs: 1000, scale: 1 },
    { label: "20 s", outageMs: 20_000, scale: 20 },
    { label: "5 min", outageMs: 300_000, scale: 100 },
  ]) {
    it(`an outage of ${label} mid-turn: live again after the network returns, then exactly the stored transcript, one bubble, no error`, async () => {
      const server = await startReplayServer();
      const proxy = new ChaosProxy({ host: "127.0.0.1", port: Number(new URL(server.baseUrl).port) }, () => ({
        kind: "pass",
      }));
      proxies.push(proxy);
      const proxyUrl = await proxy.listen();
      const sessionId = await server.createSession();
      // The turn runs well past the scaled outage plus recovery (about outage + 5 s).
      const realOutage = outageMs / scale;
      const words = Math.ceil((realOutage + 5000) / 10);
      const sent = server.fetch(`${server.baseUrl}/api/sessions/${sessionId}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: userMessage(`outage [[words=${words}]] [[delay=10]]`) }),
      });
      const { result } = renderHook(
        () =>
          useVercelChat({
            sessionId,
            baseUrl: proxyUrl,
            fetch: server.fetch,
            statusIntervals: { active: 1000 / scale, idle: 3000 / scale },
            reconnect: { initialDelayMs: 250 / scale, maxDelayMs: 5000 / scale },
          }),
        { wrapper },
      );
      await waitFor(() => expect(answerOf(result.current.messages).length).toBeGreaterThan(20), {
        timeout: 10_000,
      });
      expect(result.current.status).toBe("streaming");

      const phases = new Set<string>();
      const unsubscribe = result.current.transport.subscribe(() =>
        phases.add(result.current.transport.getSnapshot().phase),
      );
      proxy.outage(true);
      const before = answerOf(result.current.messages).length;
      const reconnectsBefore = result.current.transport.getSnapshot().reconnects;
      await new Promise((resolve) => setTimeout(resolve, realOutage)); // the outage is the scenario
      const reconnectsDuring = result.current.transport.getSnapshot().reconnects - reconnectsBefore;
      unsubscribe();
      proxy.outage(false);

      // Live again while the turn still runs: the answer grows past what the outage held back.
      // (What the page shows at the cut may trail what reached its socket by a throttled
      // render or more on a loaded machine, so the cut itself is proven by the reconnects.)
      const frozen = answerOf(result.current.messages).length;
      expect(frozen).toBeGreaterThanOrEqual(before);
      await waitFor(
        async () => {
          expect(answerOf(result.current.messages).length).toBeGreaterThan(frozen + 50);
          expect((await server.status(sessionId)).turn_status).toBe("running");
        },
        { timeout: 10_000 },
      );

      await (await sent).text();
      await server.waitUntilSettled(sessionId);
      const history = await server.history(sessionId);
      await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 10_000 });
      const bubbles = result.current.messages.filter((message) => message.role === "assistant");
      expect(bubbles).toHaveLength(1);
      expect(result.current.status).toBe("ready");
      expect(result.current.error).toBeUndefined();
      expect(result.current.connection.phase).toBe("idle");
      // It kept trying through the whole outage and never gave up (how many rounds fit in the
      // outage depends on the machine's speed, so only the bounds are asserted: at least one,
      // and no more than capped backoff allows, never a spin).
      expect(reconnectsDuring).toBeGreaterThan(0);
      expect(phases.has("gave-up")).toBe(false);
      expect(reconnectsDuring).toBeLessThan((outageMs / 2500) * 1.5 + 10);
      await act(async () => {});
    }, 60_000);
  }
});
