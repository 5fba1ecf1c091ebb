import { ChatReplayError, type TurnStatus } from "@chat-replay/protocol";
import { describe, expect, it } from "vitest";
import { MemorySessionStore } from "../src/memory-session-store";
import { InstrumentedStreamStore, readEvents, startServer } from "./harness";

// §2 "ends exactly once": once a turn's end is claimed nobody else can end it, so a store
// that fails after the claim (a failover, a restart) must not leave the turn running for
// good. Each step of the end is retried while the store recovers.

/** A session store whose compare-and-clear fails `failures` times, as a store that is down. */
class FlakyFinalize extends MemorySessionStore {
  failures = 0;
  calls = 0;
  override async finalizeTurn(sessionId: string, runId: string, status: TurnStatus): Promise<boolean> {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw new ChatReplayError("store_unavailable", "the session store is unavailable (finalizeTurn)");
    }
    return super.finalizeTurn(sessionId, runId, status);
  }
}

/** A stream store whose appends of an end marker fail `failures` times. */
class FlakyEndAppend extends InstrumentedStreamStore {
  failures = 0;
  override append(key: string, entry: Parameters<InstrumentedStreamStore["append"]>[1]): Promise<string> {
    if (entry.type === "end" && this.failures > 0) {
      this.failures--;
      return Promise.reject(
        new ChatReplayError("store_unavailable", "the stream store is unavailable (append)"),
      );
    }
    return super.append(key, entry);
  }
}

describe("ending a turn while the store is failing (§2)", () => {
  it("the compare-and-clear fails after the end was claimed: it is retried, the turn ends idle with its answer, and readers get finish", async () => {
    const sessionStore = new FlakyFinalize();
    sessionStore.failures = 3;
    const { client } = await startServer({ sessionStore, timing: { leaseMs: 1_000, keepaliveMs: 200 } });
    const sessionId = await client.createSession();
    const { events } = await readEvents(await client.send(sessionId, "Hello [[words=20]]"));
    expect(events.at(-1)?.data).toBe("[DONE]");
    expect(sessionStore.calls).toBe(4);
    expect((await client.status(sessionId)).turn_status).toBe("idle");
    const history = await client.history(sessionId);
    expect(history.filter((message) => message.role === "assistant")).toHaveLength(1);
    // The session takes the next turn.
    const next = await readEvents(await client.send(sessionId, "Again [[words=5]]"));
    expect(next.events.at(-1)?.data).toBe("[DONE]");
  }, 30_000);

  it("the final end marker's append fails: it is retried and every reader ends", async () => {
    const streamStore = new FlakyEndAppend();
    streamStore.failures = 2;
    // Readers check the turn only after a keepalive interval without frames; a reader that
    // checked during the retries would drop on purpose (run no longer current, no end yet)
    // and finish on reconnect (§4): this test is about the end marker arriving at all.
    const { client } = await startServer({ streamStore, timing: { leaseMs: 1_000, keepaliveMs: 5_000 } });
    const sessionId = await client.createSession();
    const sending = client.send(sessionId, "Hello [[words=20]] [[delay=5]]");
    await client.waitForStatus(sessionId, (status) => status.turn_status === "running");
    const observer = readEvents(await client.stream(sessionId));
    const { events } = await readEvents(await sending);
    expect(events.at(-1)?.data).toBe("[DONE]");
    expect((await observer).events.at(-1)?.data).toBe("[DONE]");
    expect(streamStore.failures).toBe(0);
    expect((await client.status(sessionId)).turn_status).toBe("idle");
  }, 30_000);
});
