// @vitest-environment jsdom

import { MemoryStreamStore } from "@chat-replay/server";
import { droppingFetch, startReplayServer, userMessage } from "@chat-replay/test-fixture";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import type { UIMessage } from "ai";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { type UseVercelChatOptions, useVercelChat } from "../src/use-vercel-chat";

afterEach(() => cleanup());

type Server = Awaited<ReturnType<typeof startReplayServer>>;

function mountChat(server: Server, sessionId: string, options: Partial<UseVercelChatOptions> = {}) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
  );
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
    { wrapper },
  );
}

/** Starts a turn as another client would (its own POST), reading the stream in the background. */
async function startElsewhere(server: Server, sessionId: string, text: string) {
  const response = await server.fetch(`${server.baseUrl}/api/sessions/${sessionId}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message: userMessage(text) }),
  });
  return response.text();
}

const ids = (messages: UIMessage[]) => messages.map((message) => message.id);
const textOf = (message: UIMessage | undefined) =>
  message?.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("") ?? "";

async function settled(server: Server, sessionId: string) {
  await waitFor(async () => expect((await server.status(sessionId)).curr_run_id).toBeNull(), {
    timeout: 10_000,
  });
  return server.history(sessionId);
}

describe("useVercelChat against the real server", () => {
  it("sends a turn and ends with exactly the server transcript", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const { result } = mountChat(server, sessionId);
    await act(() => result.current.sendMessage({ text: "Hello [[words=12]] [[reasoning=3]]" }));
    const history = await settled(server, sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history));
    expect(result.current.messages[1]?.id).toBe(`${sessionId}:${history[1]?.id.split(":")[1]}`);
  });

  it("§8.45 an observer mounted mid-turn shows the prompt and one live bubble, never the previous answer's parts", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    await startElsewhere(server, sessionId, "first turn [[words=5]]");
    const finishing = startElsewhere(server, sessionId, "second turn [[words=150]] [[delay=4]]");
    await waitFor(async () => expect((await server.status(sessionId)).turn_status).toBe("running"));
    const { result } = mountChat(server, sessionId);
    await waitFor(() => expect(result.current.messages).toHaveLength(4), { timeout: 10_000 });
    await waitFor(() => expect(textOf(result.current.messages[3]).length).toBeGreaterThan(0));
    expect(result.current.messages[2]).toMatchObject({ role: "user" });
    expect(textOf(result.current.messages[2])).toContain("second turn");
    expect(textOf(result.current.messages[3])).not.toContain(textOf(result.current.messages[1]));
    await finishing;
    const history = await settled(server, sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 10_000 });
  });

  it("§8.46 the sender's stream finishing while status still says running causes no second attach", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const requests: string[] = [];
    const { result } = mountChat(server, sessionId, {
      fetch: async (input, init) => {
        requests.push(`${init?.method ?? "GET"} ${String(input).replace(server.baseUrl, "")}`);
        return server.fetch(input, init);
      },
      statusIntervals: { active: 5, idle: 5 },
    });
    await act(() => result.current.sendMessage({ text: "mine [[words=30]]" }));
    const history = await settled(server, sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history));
    expect(requests.filter((request) => request.includes("/stream"))).toEqual([]);
    expect(ids(result.current.messages)).toHaveLength(2);
  });

  it("§8.47 back-to-back turns started elsewhere are each attached exactly once", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const streams: string[] = [];
    const { result } = mountChat(server, sessionId, {
      fetch: async (input, init) => {
        if (String(input).includes("/stream")) streams.push(String(input));
        return server.fetch(input, init);
      },
    });
    await waitFor(() => expect(result.current.sessionStatus.data?.turnStatus).toBe("idle"));
    for (const text of ["one [[words=60]] [[delay=3]]", "two [[words=60]] [[delay=3]]"]) {
      const turn = startElsewhere(server, sessionId, text);
      await waitFor(() => expect(result.current.sessionStatus.data?.turnStatus).toBe("running"));
      await turn;
      await settled(server, sessionId);
      await waitFor(() => expect(result.current.status).toBe("ready"));
    }
    const history = await server.history(sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 10_000 });
    expect(new Set(ids(result.current.messages)).size).toBe(4);
    expect(streams.length).toBeLessThanOrEqual(2);
  });

  it("§8.48 a drop mid-part resumes with the cursor and the bubble equals the uninterrupted run", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    let cuts = 0;
    const { result } = mountChat(server, sessionId, {
      fetch: droppingFetch(server.fetch, () => (cuts++ < 3 ? 300 + cuts * 211 : null)),
    });
    await act(() =>
      result.current.sendMessage({
        text: "drop me [[words=50]] [[reasoning=6]] [[tool=search]] [[chunk=5]]",
      }),
    );
    const history = await settled(server, sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history));
    expect(result.current.connection.reconnects).toBeGreaterThanOrEqual(1);
  });

  it("§8.48 a stale cursor (buffer trimmed past it while running) ends in a clean replay rebuild", async () => {
    const server = await startReplayServer({ streamStore: new MemoryStreamStore({ maxLength: 20 }) });
    const sessionId = await server.createSession();
    let heldCursor: string | null = null;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const cutting = droppingFetch(server.fetch, (index) => (index === 0 ? 700 : null));
    const { result } = mountChat(server, sessionId, {
      fetch: async (input, init) => {
        const cursor = new Headers(init?.headers).get("last-event-id");
        if (String(input).includes("/stream") && cursor && heldCursor === null) {
          heldCursor = cursor;
          await released;
        }
        return cutting(input, init);
      },
    });
    void result.current.sendMessage({ text: "trim me [[words=400]] [[delay=3]]" });
    await waitFor(() => expect(heldCursor).not.toBeNull(), { timeout: 10_000 });
    // Hold the reconnect until the server reports our cursor stale (trimmed away).
    await waitFor(
      async () => {
        const probe = await server.fetch(`${server.baseUrl}/api/sessions/${sessionId}/stream`, {
          headers: { "last-event-id": heldCursor! },
        });
        await probe.body?.cancel();
        expect(probe.headers.get("x-chat-replay-cursor")).toBe("stale");
      },
      { timeout: 10_000 },
    );
    release();
    const history = await settled(server, sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 10_000 });
    expect(result.current.connection.staleCursors).toBe(1);
    expect(new Set(ids(result.current.messages)).size).toBe(2);
  });

  it("§8.49 a reload mid-turn sends no cursor and rebuilds prompt and bubble once", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const first = mountChat(server, sessionId);
    void first.result.current.sendMessage({ text: "reload me [[words=150]] [[delay=4]]" });
    await waitFor(() => expect(textOf(first.result.current.messages[1]).length).toBeGreaterThan(10));
    first.unmount();
    const cursors: (string | null)[] = [];
    const second = mountChat(server, sessionId, {
      fetch: async (input, init) => {
        if (String(input).includes("/stream")) cursors.push(new Headers(init?.headers).get("last-event-id"));
        return server.fetch(input, init);
      },
    });
    await waitFor(() => expect(second.result.current.messages).toHaveLength(2), { timeout: 10_000 });
    const history = await settled(server, sessionId);
    await waitFor(() => expect(second.result.current.messages).toEqual(history), { timeout: 10_000 });
    expect(cursors.every((cursor) => cursor === null)).toBe(true);
  });

  it("§8.52 approve → continue appends to the paused bubble; no message id twice", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const { result } = mountChat(server, sessionId);
    await act(() => result.current.sendMessage({ text: "deploy it [[approval]] [[words=8]]" }));
    await waitFor(() => expect(result.current.sessionStatus.data?.turnStatus).toBe("waiting_for_approval"));
    const part = result.current.messages[1]?.parts.find(
      (candidate) => "approval" in candidate && candidate.state === "approval-requested",
    );
    const approvalId = part && "approval" in part && part.approval ? part.approval.id : "";
    expect(approvalId).not.toBe("");
    await act(async () => {
      await result.current.addToolApprovalResponse({ id: approvalId, approved: true });
    });
    await act(() => result.current.sendMessage());
    const history = await settled(server, sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history));
    expect(ids(result.current.messages)).toHaveLength(2);
    expect(
      result.current.messages[1]?.parts.some(
        (candidate) => "state" in candidate && candidate.state === "output-available",
      ),
    ).toBe(true);
  });

  it("§8.51 §8.53 a turn that starts and ends between two polls is adopted from history", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const { result } = mountChat(server, sessionId, { statusIntervals: { active: 200, idle: 200 } });
    await waitFor(() => expect(result.current.sessionStatus.data?.version).toBe(0));
    await startElsewhere(server, sessionId, "blink [[words=3]]");
    const history = await server.history(sessionId);
    await waitFor(() => expect(result.current.messages).toEqual(history), { timeout: 10_000 });
  });

  it("cancel() stops the turn on the server; the bubble keeps its partial answer and shows the interrupt", async () => {
    const server = await startReplayServer();
    const sessionId = await server.createSession();
    const { result } = mountChat(server, sessionId);
    void result.current.sendMessage({ text: "long one [[words=500]] [[delay=4]]" });
    await waitFor(() => expect(textOf(result.current.messages[1]).length).toBeGreaterThan(10));
    await act(() => result.current.cancel());
    const history = await settled(server, sessionId);
    expect((await server.status(sessionId)).turn_status).toBe("stopped");
    await waitFor(() => expect(result.current.messages).toEqual(history));
    expect(result.current.messages[1]?.parts.some((part) => part.type === "data-interrupt")).toBe(true);
  });
});
