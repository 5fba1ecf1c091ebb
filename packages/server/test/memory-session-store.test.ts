import { describe, expect, it } from "vitest";
import { MemorySessionStore } from "../src/memory-session-store";
import { describeSessionStoreConformance } from "./session-store-conformance";

describeSessionStoreConformance("MemorySessionStore", (options) => new MemorySessionStore(options), {
  expiryClock: "injected",
});

describe("MemorySessionStore memory bounds", () => {
  const clock = () => {
    const state = { ms: 1_718_000_000_000, now: () => state.ms };
    return state;
  };

  it("expired sessions, claims and hit windows are swept from memory on the next sweep", async () => {
    const time = clock();
    const store = new MemorySessionStore({ now: time.now, sessionTtlMs: 1_000, sweepIntervalMs: 10_000 });
    for (let index = 0; index < 50; index += 1) {
      const session = await store.createSession({ id: `s${index}`, ownerId: `o${index % 5}`, title: "t" });
      await store.upsertHistory(session!.id, [
        { message: { id: "m", role: "user", parts: [] }, runId: null },
      ]);
      await store.claimOnce(`end:s${index}:run`, 500);
      await store.countHit(`turns:o${index}`, 500);
    }
    expect(store.size).toEqual({ sessions: 50, owners: 5, claims: 50, hits: 50 });
    time.ms += 10_000;
    await store.claimOnce("continue:fresh:1", 60_000);
    expect(store.size).toEqual({ sessions: 0, owners: 0, claims: 1, hits: 0 });
    await store.close();
  });

  it("sweeps at most once per sweepIntervalMs, and reads treat expired entries as gone meanwhile", async () => {
    const time = clock();
    const store = new MemorySessionStore({ now: time.now, sessionTtlMs: 1_000, sweepIntervalMs: 10_000 });
    await store.createSession({ id: "a", ownerId: "o", title: "t" });
    await store.createSession({ id: "b", ownerId: "o", title: "t" });
    time.ms += 2_000;
    await store.claimOnce("end:x:1", 60_000); // not yet due: nothing swept
    expect(store.size.sessions).toBe(2);
    expect(await store.getSession("a")).toBeNull(); // a read drops what it finds expired
    expect(store.size.sessions).toBe(1);
    expect(
      await store.createSession({ id: "c", ownerId: "o", title: "t" }, { maxPerOwner: 1 }),
    ).not.toBeNull();
    expect(store.size).toMatchObject({ sessions: 1, owners: 1 });
    await store.close();
  });

  it("deleteSession drops the claims that name the session (`:<id>:`), and only those", async () => {
    const store = new MemorySessionStore();
    await store.createSession({ id: "s1", ownerId: "o", title: "t" });
    await store.claimOnce("end:s1:run-a", 60_000);
    await store.claimOnce("continue:s1:abc", 60_000);
    await store.claimOnce("end:s10:run-a", 60_000);
    await store.deleteSession("s1");
    expect(await store.isClaimed("end:s1:run-a")).toBe(false);
    expect(await store.isClaimed("continue:s1:abc")).toBe(false);
    expect(await store.isClaimed("end:s10:run-a")).toBe(true);
    await store.close();
  });
});
