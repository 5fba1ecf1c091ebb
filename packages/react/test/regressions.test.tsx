// @vitest-environment jsdom

import { startReplayServer, userMessage } from "@chat-replay/test-fixture";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import type { UIMessage } from "ai";
import { type ReactNode, StrictMode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type UseVercelChatOptions, useVercelChat } from "../src/use-vercel-chat";

/**
 * Regression tests for failures users of other resumable-chat stacks report (issue 10's
 * list), one named test each, against the real server.
 */
afterEach(() => cleanup());

type Server = Awaited<ReturnType<typeof startReplayServer>>;

function wrapperFor(
  strict: boolean,
  queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } }),
) {
  return ({ children }: { children: ReactNode }) => {
    const tree = <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
    return strict ? <StrictMode>{tree}</StrictMode> : tree;
  };
}

function mount(
  server: Server,
  sessionId: string,
  options: Partial<UseVercelChatOptions> = {},
  strict = false,
  queryClient?: QueryClient,
) {
  return renderHook(
    () =>
      useVercelChat({
        sessionId,
        baseUrl: server.baseUrl,
        fetch: server.fetch,
        statusIntervals: { active: 20, idle: 40 },
        reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
        ...options,
      }),
    { wrapper: wrapperFor(strict, queryClient) },
  );
}

/** A fetch that records `/stream` requests. */
function recording(server: Server) {
  const streams: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (String(input).includes("/stream")) streams.push(String(input));
    return server.fetch(input, init);
  };
  return { streams, fetch };
}

async function startElsewhere(server: Server, sessionId: string, text: string): Promise<string> {
  const response = await server.fetch(`${server.baseUrl}/api/sessions/${sessionId}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message: userMessage(text) }),
  });
  return response.text();
}

const textOf = (message: UIMessage | undefined) =>
  message?.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("") ?? "";

async function settledHistory(server: Server, sessionId: string) {
  await server.waitUntilSettled(sessionId);
  return server.history(sessionId);
}

describe("regressions reported against other stacks", () => {
  it("1. StrictMode double mount, two components on one session, and a remount mid-turn: one attach per run per component, one bubble", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const turn = startElsewhere(server, sessionId, "strict [[words=120]] [[delay=4]]");
    await waitFor(async () => expect((await server.status(sessionId)).turn_status).toBe("running"));
    const first = recording(server);
    const second = recording(server);
    // One app-wide QueryClient: later mounts find the status cached and attach in their
    // very first effect pass, which StrictMode immediately "unmounts".
    const shared = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const a = mount(server, sessionId, { fetch: first.fetch }, true, shared);
    await waitFor(() => expect(a.result.current.sessionStatus.data?.turnStatus).toBe("running"));
    const b = mount(server, sessionId, { fetch: second.fetch }, true, shared);
    await waitFor(() => expect(textOf(a.result.current.messages[1]).length).toBeGreaterThan(5), {
      timeout: 10_000,
    });
    // Remount one of them during the turn: a fresh instance attaches once more, no more.
    b.unmount();
    const third = recording(server);
    const c = mount(server, sessionId, { fetch: third.fetch }, true, shared);
    await turn;
    const history = await settledHistory(server, sessionId);
    for (const view of [a, c]) {
      await waitFor(() => expect(view.result.current.messages).toEqual(history), { timeout: 10_000 });
    }
    expect(first.streams).toHaveLength(1);
    expect(second.streams).toHaveLength(1);
    expect(third.streams).toHaveLength(1);
  });

  it("2. stop() detaches without reconnecting or erroring; the run goes on and is adopted when it ends; unmounting never cancels", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const recorder = recording(server);
    const cancels: string[] = [];
    const onError = vi.fn();
    const { result, unmount } = mount(server, sessionId, {
      onError,
      fetch: async (input, init) => {
        if (String(input).includes("/cancel")) cancels.push(String(input));
        return recorder.fetch(input, init);
      },
    });
    void result.current.sendMessage({ text: "detach me [[words=200]] [[delay=3]]" });
    await waitFor(() => expect(textOf(result.current.messages[1]).length).toBeGreaterThan(10));
    await act(() => result.current.stop());
    const history = await settledHistory(server, sessionId);
    expect((await server.status(sessionId)).turn_status).toBe("idle");
    await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 10_000 });
    expect(recorder.streams).toEqual([]);
    expect(onError).not.toHaveBeenCalled();
    unmount();
    expect(cancels).toEqual([]);
  });

  /**
   * A POST body that closes cleanly after 600 bytes without finish (a platform cap), then a
   * dead network for `/stream` and `/status` until `network.up`; bounded retries, no status
   * polls but the ones the test asks for.
   */
  async function cappedThenOffline() {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const network = { up: true };
    const view = mount(server, sessionId, {
      reconnect: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
      statusIntervals: { active: 3_600_000, idle: 3_600_000 },
      fetch: async (input, init) => {
        const url = String(input);
        // Down means down: a status poll racing the failure must not bring news either.
        if (!network.up && (url.includes("/stream") || url.includes("/status"))) {
          throw new TypeError("fetch failed");
        }
        const response = await server.fetch(input, init);
        if (!url.endsWith("/messages")) return response;
        const bytes = new Uint8Array(await response.arrayBuffer()).slice(0, 600);
        network.up = false;
        return new Response(bytes, { status: response.status, headers: response.headers });
      },
    });
    // The first status answer is in before anything fails: a late one (requested before the
    // outage, answered after it) would be news and re-attach at once.
    await waitFor(() => expect(view.result.current.sessionStatus.data?.turnStatus).toBe("idle"));
    return { server, sessionId, network, result: view.result };
  }

  it("3. a response that ends without finish reconnects with its cursor; bounded retries end in a visible error, the next status poll re-attaches once the network is back, and no error is left", async () => {
    const { server, sessionId, network, result } = await cappedThenOffline();
    await act(() => result.current.sendMessage({ text: "capped [[words=40]] [[delay=5]]" }));
    await waitFor(() => expect(result.current.connection.phase).toBe("gave-up"));
    expect(result.current.status).toBe("error");
    network.up = true;
    // A status answer showing the run still active is news: the controller re-attaches
    // from the held cursor by itself (§7 Never give up).
    await act(() => result.current.sessionStatus.refetch());
    const history = await settledHistory(server, sessionId);
    await act(() => result.current.sessionStatus.refetch());
    await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 10_000 });
    expect(result.current.status).toBe("ready");
    expect(result.current.error).toBeUndefined();
  });

  it("3b. reconnect() is a manual Retry: after bounded retries gave up, it resumes from the held cursor", async () => {
    const { server, sessionId, network, result } = await cappedThenOffline();
    await act(() => result.current.sendMessage({ text: "capped [[words=40]]" }));
    await waitFor(() => expect(result.current.connection.phase).toBe("gave-up"));
    expect(result.current.status).toBe("error");
    network.up = true;
    await act(() => result.current.reconnect());
    const history = await settledHistory(server, sessionId);
    await act(() => result.current.sessionStatus.refetch());
    await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 10_000 });
    expect(result.current.status).toBe("ready");
  });

  it("an observer opened mid-turn sees the session's earlier turns at once, before the live prompt and bubble", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    await startElsewhere(server, sessionId, "first turn [[words=5]]");
    await server.waitUntilSettled(sessionId);
    const earlier = await server.history(sessionId);
    expect(earlier).toHaveLength(2);
    const turn = startElsewhere(server, sessionId, "second turn [[words=200]] [[delay=10]]");
    await waitFor(async () => expect((await server.status(sessionId)).turn_status).toBe("running"));
    const { result } = mount(server, sessionId);
    await waitFor(() => {
      expect(result.current.status).toBe("streaming");
      expect(result.current.messages.slice(0, 2)).toEqual(earlier);
      expect(result.current.messages).toHaveLength(4);
    });
    await turn;
    const history = await settledHistory(server, sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 10_000 });
  });

  it("4. an observer that joins mid reasoning or mid tool input never gets a part's delta without its start", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const onError = vi.fn();
    const turn = startElsewhere(
      server,
      sessionId,
      "mid part [[reasoning=150]] [[tool=search]] [[words=20]] [[delay=3]] [[chunk=3]]",
    );
    await waitFor(async () => expect((await server.status(sessionId)).turn_status).toBe("running"));
    const { result } = mount(server, sessionId, { onError });
    await turn;
    const history = await settledHistory(server, sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 10_000 });
    expect(onError).not.toHaveBeenCalled();
  });

  it("6. a turn paused for approval survives a reload; approving continues the same bubble; a duplicate approval changes nothing", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const before = mount(server, sessionId);
    await act(() => before.result.current.sendMessage({ text: "ship it [[approval]] [[words=10]]" }));
    await waitFor(() =>
      expect(before.result.current.sessionStatus.data?.turnStatus).toBe("waiting_for_approval"),
    );
    before.unmount();
    const { result } = mount(server, sessionId);
    const pending = () =>
      result.current.messages[1]?.parts.find(
        (part) => "state" in part && part.state === "approval-requested",
      );
    await waitFor(() => expect(pending()).toBeDefined(), { timeout: 10_000 });
    const part = pending();
    const approvalId = part && "approval" in part && part.approval ? part.approval.id : "";
    await act(async () => {
      await result.current.addToolApprovalResponse({ id: approvalId, approved: true });
    });
    await act(() => result.current.sendMessage());
    const history = await settledHistory(server, sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history));
    expect(result.current.messages).toHaveLength(2);
    const duplicate = await server.fetch(`${server.baseUrl}/api/sessions/${sessionId}/continue`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ decisions: [{ approvalId, approved: true }] }),
    });
    expect(await duplicate.text()).toBe('data: {"type":"finish"}\n\ndata: [DONE]\n\n');
    expect(await server.history(sessionId)).toEqual(history);
  });

  it("7. server-issued message ids equal the streamed ids, so adopting history never duplicates or reorders", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const { result } = mount(server, sessionId);
    for (const text of ["one [[words=5]]", "two [[words=5]] [[tool=search]]"]) {
      await act(() => result.current.sendMessage({ text }));
      await waitFor(() => expect(result.current.status).toBe("ready"));
    }
    const streamedIds = result.current.messages.map((message) => message.id);
    const history = await settledHistory(server, sessionId);
    expect(history.map((message) => message.id)).toEqual(streamedIds);
    await waitFor(() => expect(result.current.messages).toEqual(history));
  });

  it("a failed turn's error stays visible: no re-attach while status catches up", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const recorder = recording(server);
    const { result } = mount(server, sessionId, { fetch: recorder.fetch });
    await act(() => result.current.sendMessage({ text: "fails [[words=40]] [[fail_after=5]]" }));
    await waitFor(() => expect(result.current.sessionStatus.data?.turnStatus).toBe("failed"));
    const seenAt = result.current.sessionStatus.dataUpdatedAt;
    await waitFor(() => expect(result.current.sessionStatus.dataUpdatedAt).toBeGreaterThan(seenAt + 100));
    expect(result.current.status).toBe("error");
    expect(result.current.error?.message).toMatch(/fail/i);
    expect(recorder.streams).toEqual([]);
  });
});
