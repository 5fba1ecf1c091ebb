import { bubbleId } from "@chat-replay/protocol";
import type { UIMessage } from "ai";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ManualConnectivity } from "../src/connectivity";
import { ReplayChat } from "../src/replay-chat";
import { ReplaySession, type ReplaySessionOptions } from "../src/replay-session";
import { FakeNetwork } from "./fake-network";

/**
 * §8.71 Never give up: the controller alone (no React), on fake timers and an in-memory
 * network, through outages of 1 s, 20 s and 5 min mid-turn, offline/online and
 * visibility changes, and bounded retries that gave up. Each ends with the stored
 * transcript, one assistant bubble, and no error.
 */

const sessions: ReplaySession[] = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
});

afterEach(() => {
  for (const session of sessions.splice(0)) session.dispose();
  vi.useRealTimers();
});

function setup(options: Partial<ReplaySessionOptions> = {}) {
  const net = new FakeNetwork();
  const connectivity = new ManualConnectivity();
  const session = new ReplaySession({
    sessionId: net.sessionId,
    fetch: net.fetch,
    connectivity,
    pollStatus: { active: 1000, idle: 3000 },
    ...options,
  });
  sessions.push(session);
  const chat = new ReplayChat(session.chatInit());
  session.bindChat(chat);
  return { net, connectivity, session, chat };
}

const bubbleText = (messages: UIMessage[]) =>
  messages
    .filter((message) => message.role === "assistant")
    .flatMap((message) => message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])))
    .join("");

/** Lets the fake clock run `ms`, flushing promises between timers. */
const run = (ms: number) => vi.advanceTimersByTimeAsync(ms);

/** A turn that is streaming to this chat: 10 words in. */
async function streamingTurn(options: Partial<ReplaySessionOptions> = {}) {
  const env = setup(options);
  env.net.startTurn();
  await run(3100); // the next (idle-interval) status poll sees the run; the controller attaches
  for (let index = 0; index < 10; index++) env.net.delta(`w${index} `);
  await run(100);
  expect(bubbleText(env.chat.messages)).toBe("w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 ");
  expect(env.chat.status).toBe("streaming");
  return env;
}

/** After the network is back: more words live, then the end; the chat must equal the transcript. */
async function expectRecovered(env: ReturnType<typeof setup>, withinMs: number) {
  await run(withinMs);
  env.net.delta("after ");
  await run(50);
  expect(bubbleText(env.chat.messages)).toContain("after ");
  expect(env.chat.status).toBe("streaming");
  env.net.endTurn();
  await run(5000); // the stream's finish, a status poll, the history fetch
  expect(env.chat.messages).toEqual(env.net.history());
  expect(env.chat.messages.filter((message) => message.id === bubbleId("s1", "r1"))).toHaveLength(1);
  expect(env.chat.status).toBe("ready");
  expect(env.chat.error).toBeUndefined();
  expect(env.session.getSnapshot().connection.phase).toBe("idle");
}

describe("ReplaySession never gives up on a running turn (§7)", () => {
  for (const [label, outageMs] of [
    ["1 s", 1000],
    ["20 s", 20_000],
    ["5 min", 300_000],
  ] as const) {
    it(`an outage of ${label} mid-turn (navigator still says online): it follows the turn live again within one backoff cap of the network's return`, async () => {
      const env = await streamingTurn();
      env.net.down = true;
      for (let index = 0; index < 5; index++) env.net.delta(`gone${index} `);
      await run(outageMs);
      expect(["reconnecting", "offline"]).toContain(env.session.getSnapshot().connection.phase);
      const attempts = env.net.streamRequests.length;
      // Capped backoff: at most one attempt per half cap (jitter), never a spin.
      expect(attempts).toBeLessThanOrEqual(2 + outageMs / 2500 + 10);
      env.net.down = false;
      // The words written during the outage arrive once, from the held cursor.
      await run(5000);
      expect(bubbleText(env.chat.messages)).toBe(
        "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 gone0 gone1 gone2 gone3 gone4 ",
      );
      await expectRecovered(env, 0);
      // Every reconnect after the first stream carried the cursor (resume, never a replay).
      const reconnects = env.net.streamRequests.slice(1);
      expect(reconnects.length).toBeGreaterThan(0);
    });
  }

  it("offline: no attempts while the browser is offline, and the online event re-attaches at once", async () => {
    const env = await streamingTurn();
    env.connectivity.set({ online: false });
    env.net.down = true;
    await run(10);
    const before = env.net.streamRequests.length;
    await run(60_000);
    // One attempt may have raced the offline flag; none after that.
    expect(env.net.streamRequests.length - before).toBeLessThanOrEqual(1);
    expect(env.session.getSnapshot().connection.phase).toBe("offline");
    env.net.delta("while-offline ");
    env.net.down = false;
    env.connectivity.set({ online: true });
    await run(20);
    expect(bubbleText(env.chat.messages)).toContain("while-offline ");
    await expectRecovered(env, 0);
  });

  it("hidden tab: reconnecting pauses while hidden and resumes when the tab becomes visible", async () => {
    const env = await streamingTurn();
    env.connectivity.set({ visible: false });
    env.net.down = true;
    await run(10);
    env.net.down = false;
    const before = env.net.streamRequests.length;
    await run(30_000);
    expect(env.net.streamRequests.length - before).toBeLessThanOrEqual(1);
    env.net.delta("while-hidden ");
    env.connectivity.set({ visible: true });
    await run(20);
    expect(bubbleText(env.chat.messages)).toContain("while-hidden ");
    await expectRecovered(env, 0);
  });

  it("a status poll showing the run active re-attaches at once, whatever the backoff says", async () => {
    const env = await streamingTurn({ reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    env.net.down = true;
    await run(5);
    // The immediate first reconnect failed; the next one waits a minute of backoff.
    env.net.down = false;
    env.net.delta("polled ");
    await run(1000); // one status poll: the run is active and the server answers
    expect(bubbleText(env.chat.messages)).toContain("polled ");
    await expectRecovered(env, 0);
  });

  it("bounded retries (maxAttempts) that gave up: the error shows, then the next status answer re-attaches from the held cursor and clears it", async () => {
    const env = await streamingTurn({ reconnect: { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 100 } });
    env.net.down = true;
    await run(500);
    expect(env.session.getSnapshot().connection.phase).toBe("gave-up");
    expect(env.chat.status).toBe("error");
    // No spinning on stale status while the network is down: polls fail, nothing re-attaches.
    const during = env.net.streamRequests.length;
    await run(10_000);
    expect(env.net.streamRequests.length).toBe(during);
    env.net.down = false;
    env.net.delta("back ");
    await run(1000);
    expect(bubbleText(env.chat.messages)).toBe("w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 back ");
    // Resumed with the held cursor: the request carried Last-Event-ID (no full replay).
    await expectRecovered(env, 0);
  });

  it("the turn ends during the outage: on return the tail and finish arrive, history is adopted, nothing is left in error", async () => {
    const env = await streamingTurn();
    env.net.down = true;
    env.net.delta("tail ");
    env.net.endTurn();
    await run(20_000);
    env.net.down = false;
    await run(6000);
    expect(env.chat.messages).toEqual(env.net.history());
    expect(env.chat.status).toBe("ready");
    expect(env.chat.error).toBeUndefined();
  });

  it("attaches exactly once per run: repeated status answers while streaming open no second stream", async () => {
    const env = await streamingTurn();
    await run(10_000); // ten polls
    expect(env.net.streamRequests).toHaveLength(1);
    env.net.endTurn();
    await run(5000);
    expect(env.net.streamRequests).toHaveLength(1);
    expect(env.chat.messages).toEqual(env.net.history());
  });

  it("a failed history fetch is retried with backoff within the same status version, then adopted", async () => {
    const env = await streamingTurn();
    env.net.failHistory = 3;
    env.net.endTurn();
    const states: string[] = [];
    env.session.subscribe(() => {
      const state = env.session.getSnapshot().history;
      if (states.at(-1) !== state) states.push(state);
    });
    await run(10_000); // a poll, then 0.5 s, 1 s, 2 s backoff: the fourth try succeeds
    expect(env.net.failHistory).toBe(0);
    expect(states.slice(1)).toEqual([
      "loading",
      "failed",
      "loading",
      "failed",
      "loading",
      "failed",
      "loading",
      "loaded",
    ]);
    expect(env.session.getSnapshot().history).toBe("loaded");
    expect(env.chat.messages).toEqual(env.net.history());
  });

  it("a stream request that gets no response headers within the stall timeout is retried", async () => {
    const net = new FakeNetwork();
    net.startTurn();
    let hang = true;
    const fetchImpl: typeof fetch = (input, init) => {
      if (hang && String(input).includes("/stream")) {
        hang = false;
        // Never answers; only the abort of the stall timer ends it.
        return new Promise((_resolve, reject) =>
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true }),
        );
      }
      return net.fetch(input, init);
    };
    const connectivity = new ManualConnectivity();
    const session = new ReplaySession({
      sessionId: net.sessionId,
      fetch: fetchImpl,
      connectivity,
      pollStatus: true,
      reconnect: { stallTimeoutMs: 30_000 },
    });
    sessions.push(session);
    const chat = new ReplayChat(session.chatInit());
    session.bindChat(chat);
    await run(100);
    net.delta("hello ");
    await run(29_000);
    expect(bubbleText(chat.messages)).toBe("");
    await run(2000);
    expect(bubbleText(chat.messages)).toBe("hello ");
  });

  it("a reader that opens mid-turn sees the earlier turns at once, in front of the live prompt and bubble", async () => {
    const net = new FakeNetwork();
    net.earlier = [
      { id: "u0", role: "user", parts: [{ type: "text", text: "before" }] },
      { id: "a0", role: "assistant", parts: [{ type: "text", text: "earlier answer", state: "done" }] },
    ];
    net.startTurn();
    net.delta("live ");
    const session = new ReplaySession({
      sessionId: net.sessionId,
      fetch: net.fetch,
      connectivity: new ManualConnectivity(),
      pollStatus: true,
    });
    sessions.push(session);
    const chat = new ReplayChat(session.chatInit());
    session.bindChat(chat);
    await run(100);
    expect(chat.status).toBe("streaming");
    expect(chat.messages.map((message) => message.id)).toEqual(["u0", "a0", "u1", bubbleId("s1", "r1")]);
    expect(bubbleText(chat.messages)).toBe("earlier answerlive ");
    net.endTurn();
    await run(5000);
    expect(chat.messages).toEqual(net.history());
  });
});
