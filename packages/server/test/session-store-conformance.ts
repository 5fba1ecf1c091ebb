import type { ApprovalItem } from "@chat-replay/protocol";
import type { UIMessage } from "ai";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { HistoryRow, SessionRecord, SessionStore, TurnStart } from "../src/session-store";

/** Options a conformance run passes to the store factory. */
export interface SessionStoreFactoryOptions {
  /** Clock for `createdAt` and lease deadlines (and, for some stores, expiry). */
  readonly now?: () => number;
  /** Idle lifetime of a session; the store's default when absent. */
  readonly sessionTtlMs?: number;
}

/** How one implementation is run through the suite. */
export interface SessionStoreConformanceOptions {
  /**
   * The clock expiry follows (session TTL, hit windows): `injected`, the factory's `now`,
   * which tests advance (memory); or `real`, the store's own (Redis TTLs), for which tests
   * use short lifetimes and wait for the effect. Tests that must hold time still while they
   * act run on the injected clock only.
   */
  readonly expiryClock: "injected" | "real";
  /** Runs once after the suite. */
  readonly cleanup?: () => Promise<void>;
}

const LEASE_MS = 10_000;
/** A lifetime short enough to wait for on a real clock, long enough to act within it. */
const SHORT_TTL_MS = 500;

/** A settable clock for injected `now`. */
function manualClock(ms: number): { ms: number; readonly now: () => number } {
  const clock = { ms, now: () => clock.ms };
  return clock;
}

const newId = () => crypto.randomUUID();

/** Polls `check` until it holds: how tests wait for a real-clock expiry, never by sleeping. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function turn(overrides: Partial<TurnStart> = {}): TurnStart {
  return {
    runId: newId(),
    streamId: newId(),
    prompt: "Explain résumé streams 🌍",
    promptMessageId: `user-${newId()}`,
    leaseMs: LEASE_MS,
    ...overrides,
  };
}

const approval: ApprovalItem = {
  toolCallId: "call-1",
  toolName: "deploy",
  input: { env: "prod", replicas: 3, tags: [], nested: { list: [1, 2.5, null, true] }, empty: {} },
};

function message(id: string, role: UIMessage["role"], text: string): UIMessage {
  return { id, role, parts: [{ type: "text", text }] };
}

/** Creates a session that must be created (no limit reached). */
async function created(
  store: SessionStore,
  ownerId: string,
  title = "Chat",
  limits?: { readonly maxPerOwner?: number },
): Promise<SessionRecord> {
  const session = await store.createSession({ id: newId(), ownerId, title }, limits);
  if (!session) throw new Error(`createSession refused a session of ${ownerId}`);
  return session;
}

/** What a session must look like once a turn has ended (§2 Finalize). */
function expectEnded(session: SessionRecord | null, status: string, lastRunId: string, lastStreamId: string) {
  expect(session).toMatchObject({
    turnStatus: status,
    currRunId: null,
    streamId: null,
    lastRunId,
    lastStreamId,
    prompt: null,
    promptMessageId: null,
    pendingApprovals: [],
    leaseExpiresAt: null,
  });
}

/**
 * Declares the `SessionStore` conformance suite (§2 lifecycle and Finalize, §3 History and
 * Status `version`, §8.41, continuation claims, owner limits, deletion, idle expiry and hit
 * counters) for one implementation. `create` is called once or more per test; every store it
 * returns is closed after the test; `cleanup` runs once after the suite.
 */
export function describeSessionStoreConformance(
  name: string,
  create: (options: SessionStoreFactoryOptions) => Promise<SessionStore> | SessionStore,
  { expiryClock, cleanup }: SessionStoreConformanceOptions,
): void {
  const onInjectedClock = it.runIf(expiryClock === "injected");

  describe(`SessionStore conformance: ${name}`, () => {
    const stores: SessionStore[] = [];

    async function open(options: SessionStoreFactoryOptions = {}): Promise<SessionStore> {
      const store = await create(options);
      stores.push(store);
      return store;
    }

    /** A store with a manual clock and a fresh session in it. */
    async function withSession(ms = 1_718_000_000_000, options: SessionStoreFactoryOptions = {}) {
      const clock = manualClock(ms);
      const store = await open({ now: clock.now, ...options });
      const session = await created(store, `owner-${newId()}`);
      return { clock, store, session, id: session.id };
    }

    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
    });

    if (cleanup) afterAll(cleanup);

    // Sessions

    it("createSession returns an idle session with version 0; getSession reads it back", async () => {
      const { store, session, id } = await withSession(1_718_000_000_123);
      expect(session).toEqual({
        id,
        ownerId: session.ownerId,
        title: "Chat",
        createdAt: "2024-06-10T06:13:20.123Z",
        turnStatus: "idle",
        currRunId: null,
        streamId: null,
        lastRunId: null,
        lastStreamId: null,
        prompt: null,
        promptMessageId: null,
        phase: 0,
        pendingApprovals: [],
        leaseExpiresAt: null,
        version: 0,
      });
      expect(await store.getSession(id)).toEqual(session);
    });

    it("getSession of an unknown id is null; transitions on it change nothing", async () => {
      const store = await open();
      const missing = newId();
      expect(await store.getSession(missing)).toBeNull();
      expect(await store.beginTurn(missing, turn())).toEqual({ ok: false, session: null });
      expect(await store.pauseTurn(missing, newId(), [approval])).toBe(false);
      expect(await store.resumeTurn(missing, newId(), LEASE_MS)).toBeNull();
      expect(await store.finalizeTurn(missing, newId(), "idle")).toBe(false);
      expect(await store.abandonTurn(missing, newId())).toBe(false);
      expect(await store.renewLease(missing, newId(), LEASE_MS)).toBe(false);
      await store.upsertHistory(missing, [{ message: message("m1", "user", "hi"), runId: null }]);
      expect(await store.getHistory(missing)).toEqual([]);
      expect(await store.getSession(missing)).toBeNull();
    });

    // §2 lifecycle

    it("§2 beginTurn pins run, stream, prompt and lease, and bumps the version", async () => {
      const { store, id, clock } = await withSession();
      const start = turn({ leaseMs: 1_500 });
      const begun = await store.beginTurn(id, start);
      expect(begun.ok).toBe(true);
      const expected = {
        turnStatus: "running",
        currRunId: start.runId,
        streamId: start.streamId,
        lastRunId: start.runId,
        lastStreamId: start.streamId,
        prompt: start.prompt,
        promptMessageId: start.promptMessageId,
        phase: 0,
        pendingApprovals: [],
        leaseExpiresAt: clock.ms + 1_500,
        version: 1,
      };
      expect(begun.session).toMatchObject(expected);
      expect(await store.getSession(id)).toEqual(begun.session);
    });

    it("§2 beginTurn is refused while running and while waiting, returning the session unchanged", async () => {
      const { store, id } = await withSession();
      const first = turn();
      await store.beginTurn(id, first);
      const running = await store.getSession(id);
      expect(await store.beginTurn(id, turn())).toEqual({ ok: false, session: running });
      expect(await store.pauseTurn(id, first.runId, [approval])).toBe(true);
      const waiting = await store.getSession(id);
      expect(await store.beginTurn(id, turn())).toEqual({ ok: false, session: waiting });
      expect(await store.getSession(id)).toEqual(waiting);
    });

    it("§2 concurrent beginTurn calls on one session: exactly one wins", async () => {
      const { store, id } = await withSession();
      const starts = Array.from({ length: 10 }, () => turn());
      const results = await Promise.all(starts.map((start) => store.beginTurn(id, start)));
      const winners = results.filter((result) => result.ok);
      expect(winners).toHaveLength(1);
      const session = await store.getSession(id);
      expect(session?.currRunId).toBe(winners[0]!.session!.currRunId);
      expect(session?.version).toBe(1);
    });

    it("§2 pause: only the current running run; records approvals, drops the lease, bumps the version", async () => {
      const { store, id } = await withSession();
      const start = turn();
      await store.beginTurn(id, start);
      expect(await store.pauseTurn(id, newId(), [approval])).toBe(false);
      expect((await store.getSession(id))?.version).toBe(1);
      expect(await store.pauseTurn(id, start.runId, [approval])).toBe(true);
      expect(await store.getSession(id)).toMatchObject({
        turnStatus: "waiting_for_approval",
        currRunId: start.runId,
        pendingApprovals: [approval],
        leaseExpiresAt: null,
        phase: 0,
        version: 2,
      });
      expect(await store.pauseTurn(id, start.runId, [approval])).toBe(false);
      expect((await store.getSession(id))?.version).toBe(2);
    });

    it("§2 resume: only the current waiting run; next phase, fresh lease, approvals cleared", async () => {
      const { store, id, clock } = await withSession();
      const start = turn();
      await store.beginTurn(id, start);
      expect(await store.resumeTurn(id, start.runId, LEASE_MS)).toBeNull(); // running, not waiting
      await store.pauseTurn(id, start.runId, [approval]);
      expect(await store.resumeTurn(id, newId(), LEASE_MS)).toBeNull();
      clock.ms += 5_000;
      const resumed = await store.resumeTurn(id, start.runId, 2_000);
      expect(resumed).toMatchObject({
        turnStatus: "running",
        currRunId: start.runId,
        streamId: start.streamId,
        phase: 1,
        pendingApprovals: [],
        leaseExpiresAt: clock.ms + 2_000,
        version: 3,
      });
      expect(await store.getSession(id)).toEqual(resumed);
      expect(await store.resumeTurn(id, start.runId, LEASE_MS)).toBeNull();
      await store.pauseTurn(id, start.runId, [approval]);
      expect((await store.resumeTurn(id, start.runId, LEASE_MS))?.phase).toBe(2);
    });

    it("§2 finalize is compare-and-clear: clears its own run once, keeps last-run pointers", async () => {
      const { store, id } = await withSession();
      const start = turn();
      await store.beginTurn(id, start);
      expect(await store.finalizeTurn(id, newId(), "failed")).toBe(false);
      expect((await store.getSession(id))?.currRunId).toBe(start.runId);
      expect(await store.finalizeTurn(id, start.runId, "idle")).toBe(true);
      const ended = await store.getSession(id);
      expectEnded(ended, "idle", start.runId, start.streamId);
      expect(ended?.version).toBe(2);
      expect(await store.finalizeTurn(id, start.runId, "failed")).toBe(false);
      expect(await store.getSession(id)).toEqual(ended);
    });

    it("§2 finalize of a waiting turn ends it too (cancel while waiting)", async () => {
      const { store, id } = await withSession();
      const start = turn();
      await store.beginTurn(id, start);
      await store.pauseTurn(id, start.runId, [approval]);
      expect(await store.finalizeTurn(id, start.runId, "stopped")).toBe(true);
      expectEnded(await store.getSession(id), "stopped", start.runId, start.streamId);
    });

    it("§8.41 a stale finalize of run A after run B began leaves B's pointers intact", async () => {
      const { store, id } = await withSession();
      const a = turn();
      await store.beginTurn(id, a);
      expect(await store.finalizeTurn(id, a.runId, "idle")).toBe(true);
      const b = turn();
      const begun = await store.beginTurn(id, b);
      expect(begun.ok).toBe(true);
      expect(await store.finalizeTurn(id, a.runId, "failed")).toBe(false);
      expect(await store.abandonTurn(id, a.streamId)).toBe(false);
      expect(await store.renewLease(id, a.runId, LEASE_MS)).toBe(false);
      expect(await store.pauseTurn(id, a.runId, [approval])).toBe(false);
      expect(await store.getSession(id)).toEqual(begun.session);
    });

    it("§2 abandon compares on the stream id: only that turn's startup failure ends it, as failed", async () => {
      const { store, id } = await withSession();
      const start = turn();
      await store.beginTurn(id, start);
      expect(await store.abandonTurn(id, start.runId)).toBe(false); // a run id is not a stream id
      expect(await store.abandonTurn(id, newId())).toBe(false);
      expect((await store.getSession(id))?.turnStatus).toBe("running");
      expect(await store.abandonTurn(id, start.streamId)).toBe(true);
      expectEnded(await store.getSession(id), "failed", start.runId, start.streamId);
      expect(await store.abandonTurn(id, start.streamId)).toBe(false);
    });

    it("§2 leases: renewing extends only the current run's lease and does not bump the version", async () => {
      const { store, id, clock } = await withSession();
      const start = turn({ leaseMs: 1_000 });
      await store.beginTurn(id, start);
      clock.ms += 700;
      expect(await store.renewLease(id, start.runId, 1_000)).toBe(true);
      expect(await store.getSession(id)).toMatchObject({ leaseExpiresAt: clock.ms + 1_000, version: 1 });
      expect(await store.renewLease(id, newId(), 60_000)).toBe(false);
      expect((await store.getSession(id))?.leaseExpiresAt).toBe(clock.ms + 1_000);
      await store.finalizeTurn(id, start.runId, "idle");
      expect(await store.renewLease(id, start.runId, 1_000)).toBe(false);
      expect((await store.getSession(id))?.leaseExpiresAt).toBeNull();
    });

    it("§3 version grows by one on every lifecycle transition and on nothing else", async () => {
      const { store, id } = await withSession();
      const versions = [(await store.getSession(id))!.version];
      const record = async () => versions.push((await store.getSession(id))!.version);
      const first = turn();
      await store.beginTurn(id, first);
      await record();
      await store.renewLease(id, first.runId, LEASE_MS);
      await store.upsertHistory(id, [{ message: message("p1", "user", "hi"), runId: first.runId }]);
      await store.claimOnce(`claim:${newId()}`, 60_000);
      await record();
      await store.pauseTurn(id, first.runId, [approval]);
      await record();
      await store.resumeTurn(id, first.runId, LEASE_MS);
      await record();
      await store.finalizeTurn(id, first.runId, "idle");
      await record();
      const second = turn();
      await store.beginTurn(id, second);
      await record();
      await store.abandonTurn(id, second.streamId);
      await record();
      expect(versions).toEqual([0, 1, 1, 2, 3, 4, 5, 6]);
    });

    it("sessions are independent: a transition on one never touches another", async () => {
      const { store, id } = await withSession();
      const other = await created(store, "someone", "Other");
      const start = turn();
      await store.beginTurn(id, start);
      await store.upsertHistory(id, [{ message: message("only-mine", "user", "hi"), runId: start.runId }]);
      expect(await store.getSession(other.id)).toEqual(other);
      expect(await store.getHistory(other.id)).toEqual([]);
      expect(await store.finalizeTurn(other.id, start.runId, "idle")).toBe(false);
      expect((await store.getSession(id))?.turnStatus).toBe("running");
    });

    // Owner limits (maxPerOwner)

    it("maxPerOwner allows that many sessions per owner and refuses the next; other owners are unaffected", async () => {
      const store = await open();
      const owner = `owner-${newId()}`;
      for (let index = 0; index < 3; index += 1) await created(store, owner, "Chat", { maxPerOwner: 3 });
      const refusedId = newId();
      expect(
        await store.createSession({ id: refusedId, ownerId: owner, title: "Chat" }, { maxPerOwner: 3 }),
      ).toBeNull();
      expect(await store.getSession(refusedId)).toBeNull();
      expect(
        await store.createSession({ id: newId(), ownerId: owner, title: "Chat" }, { maxPerOwner: 4 }),
      ).not.toBeNull();
      expect(
        await store.createSession(
          { id: newId(), ownerId: `owner-${newId()}`, title: "Chat" },
          { maxPerOwner: 1 },
        ),
      ).not.toBeNull();
      expect(
        await store.createSession(
          { id: newId(), ownerId: `owner-${newId()}`, title: "Chat" },
          { maxPerOwner: 0 },
        ),
      ).toBeNull();
    });

    it("concurrent creates for one owner at maxPerOwner 5: exactly 5 succeed", async () => {
      const store = await open();
      const owner = `owner-${newId()}`;
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          store.createSession({ id: newId(), ownerId: owner, title: "Chat" }, { maxPerOwner: 5 }),
        ),
      );
      const winners = results.filter((session) => session !== null);
      expect(winners).toHaveLength(5);
      for (const session of winners) expect(await store.getSession(session.id)).toEqual(session);
    });

    it("deleting a session frees its place under maxPerOwner", async () => {
      const store = await open();
      const owner = `owner-${newId()}`;
      const first = await created(store, owner, "Chat", { maxPerOwner: 2 });
      await created(store, owner, "Chat", { maxPerOwner: 2 });
      expect(
        await store.createSession({ id: newId(), ownerId: owner, title: "Chat" }, { maxPerOwner: 2 }),
      ).toBeNull();
      expect(await store.deleteSession(first.id)).toEqual(first);
      await created(store, owner, "Chat", { maxPerOwner: 2 });
      expect(
        await store.createSession({ id: newId(), ownerId: owner, title: "Chat" }, { maxPerOwner: 2 }),
      ).toBeNull();
    });

    it("sessions that expired no longer count toward maxPerOwner", async () => {
      const clock = manualClock(1_718_000_000_000);
      const store = await open({ now: clock.now, sessionTtlMs: SHORT_TTL_MS });
      const owner = `owner-${newId()}`;
      const old = [
        await created(store, owner, "Chat", { maxPerOwner: 2 }),
        await created(store, owner, "Chat", { maxPerOwner: 2 }),
      ];
      expect(
        await store.createSession({ id: newId(), ownerId: owner, title: "Chat" }, { maxPerOwner: 2 }),
      ).toBeNull();
      clock.ms += SHORT_TTL_MS;
      for (const session of old)
        await eventually("the session expired", async () => (await store.getSession(session.id)) === null);
      await created(store, owner, "Chat", { maxPerOwner: 2 });
      await created(store, owner, "Chat", { maxPerOwner: 2 });
    });

    // Deleting

    it("deleteSession returns the record and removes the session and its history; a second delete is null", async () => {
      const { store, id } = await withSession();
      const start = turn();
      await store.beginTurn(id, start);
      await store.upsertHistory(id, [{ message: message("m1", "user", "hi"), runId: start.runId }]);
      const before = await store.getSession(id);
      expect(await store.deleteSession(id)).toEqual(before);
      expect(await store.getSession(id)).toBeNull();
      expect(await store.getHistory(id)).toEqual([]);
      expect(await store.renewLease(id, start.runId, LEASE_MS)).toBe(false);
      expect(await store.deleteSession(id)).toBeNull();
      expect(await store.deleteSession(newId())).toBeNull();
    });

    it("deleteSession leaves the owner's other sessions alone", async () => {
      const store = await open();
      const owner = `owner-${newId()}`;
      const kept = await created(store, owner);
      const doomed = await created(store, owner);
      await store.upsertHistory(kept.id, [{ message: message("k", "user", "keep"), runId: null }]);
      await store.deleteSession(doomed.id);
      expect(await store.getSession(kept.id)).toEqual(kept);
      expect(await store.getHistory(kept.id)).toEqual([
        { message: message("k", "user", "keep"), runId: null },
      ]);
    });

    // Idle expiry (sessionTtlMs)

    it("an idle session expires after the TTL, and its history with it", async () => {
      const { store, id, clock } = await withSession(1_718_000_000_000, { sessionTtlMs: SHORT_TTL_MS });
      await store.upsertHistory(id, [{ message: message("m1", "user", "hi"), runId: null }]);
      clock.ms += SHORT_TTL_MS;
      await eventually("the session expired", async () => (await store.getSession(id)) === null);
      expect(await store.getHistory(id)).toEqual([]);
      expect(await store.beginTurn(id, turn())).toEqual({ ok: false, session: null });
      expect(await store.deleteSession(id)).toBeNull();
    });

    onInjectedClock(
      "every write to a session is activity: it outlives the TTL while written to",
      async () => {
        const ttl = 1_000;
        const step = 600; // each step alone stays inside the TTL, two together do not
        const { store, id, clock } = await withSession(1_718_000_000_000, { sessionTtlMs: ttl });
        const start = turn({ leaseMs: 60_000 });
        const writes: (() => Promise<unknown>)[] = [
          () => store.beginTurn(id, start),
          () => store.renewLease(id, start.runId, 60_000),
          () => store.pauseTurn(id, start.runId, [approval]),
          () => store.resumeTurn(id, start.runId, 60_000),
          () => store.upsertHistory(id, [{ message: message("m1", "user", "hi"), runId: start.runId }]),
          () => store.finalizeTurn(id, start.runId, "idle"),
          () => store.beginTurn(id, turn({ streamId: "startup-fails" })),
          () => store.abandonTurn(id, "startup-fails"),
        ];
        for (const write of writes) {
          clock.ms += step;
          await write();
          expect(await store.getSession(id)).not.toBeNull();
        }
        expect((await store.getSession(id))?.version).toBe(6);
        expect(await store.getHistory(id)).toHaveLength(1);
        clock.ms += ttl - 1;
        expect(await store.getSession(id)).not.toBeNull();
        clock.ms += 1;
        expect(await store.getSession(id)).toBeNull();
        expect(await store.getHistory(id)).toEqual([]);
      },
    );

    onInjectedClock(
      "a running turn that renews its lease never expires; a turn left waiting past the TTL does",
      async () => {
        const ttl = 1_000;
        const { store, id, clock } = await withSession(1_718_000_000_000, { sessionTtlMs: ttl });
        const start = turn({ leaseMs: 500 });
        await store.beginTurn(id, start);
        for (let elapsed = 0; elapsed < 10 * ttl; elapsed += 400) {
          clock.ms += 400;
          expect(await store.renewLease(id, start.runId, 500)).toBe(true);
        }
        expect((await store.getSession(id))?.turnStatus).toBe("running");
        await store.pauseTurn(id, start.runId, [approval]);
        clock.ms += ttl;
        expect(await store.getSession(id)).toBeNull();
        expect(await store.resumeTurn(id, start.runId, LEASE_MS)).toBeNull();
      },
    );

    onInjectedClock("a failed compare-and-set is not activity", async () => {
      const ttl = 1_000;
      const { store, id, clock } = await withSession(1_718_000_000_000, { sessionTtlMs: ttl });
      clock.ms += 600;
      expect(await store.renewLease(id, newId(), LEASE_MS)).toBe(false);
      expect(await store.finalizeTurn(id, newId(), "idle")).toBe(false);
      clock.ms += 400;
      expect(await store.getSession(id)).toBeNull();
    });

    // Rate-limit counters (countHit)

    it("countHit counts hits per key in a fixed window that resets in the future", async () => {
      const clock = manualClock(1_718_000_000_000);
      const store = await open({ now: clock.now });
      const key = `turns:${newId()}`;
      const hits = [];
      for (let index = 0; index < 3; index += 1) hits.push(await store.countHit(key, 60_000));
      expect(hits.map((hit) => hit.count)).toEqual([1, 2, 3]);
      for (const hit of hits) {
        expect(hit.resetAt).toBeGreaterThan(clock.ms);
        expect(hit.resetAt).toBeLessThanOrEqual(clock.ms + 60_000);
      }
      expect((await store.countHit(`turns:${newId()}`, 60_000)).count).toBe(1);
      expect((await store.countHit(key, 60_000)).count).toBe(4);
    });

    it("countHit starts a new window once the old one has passed", async () => {
      const clock = manualClock(1_718_000_000_000);
      const store = await open({ now: clock.now });
      const key = `turns:${newId()}`;
      expect((await store.countHit(key, SHORT_TTL_MS)).count).toBe(1);
      expect((await store.countHit(key, SHORT_TTL_MS)).count).toBe(2);
      clock.ms += SHORT_TTL_MS;
      // Every poll is a hit too: the first one after the reset is the new window's first.
      await eventually("the window reset", async () => (await store.countHit(key, SHORT_TTL_MS)).count === 1);
      const next = await store.countHit(key, SHORT_TTL_MS);
      expect(next.count).toBe(2);
      expect(next.resetAt).toBeGreaterThan(clock.ms);
    });

    // §3 History

    it("§3 history keeps first-insertion order; an upsert replaces a row in place, with its new tag", async () => {
      const { store, id } = await withSession();
      const run = newId();
      const rows: HistoryRow[] = [
        { message: message("old", "user", "untagged row"), runId: null },
        { message: message("prompt", "user", "question"), runId: run },
        { message: message("answer", "assistant", "partial"), runId: run },
      ];
      await store.upsertHistory(id, rows);
      const replaced: HistoryRow = { message: message("answer", "assistant", "complete ✅"), runId: run };
      const result: HistoryRow = { message: message("tool-result", "assistant", "42"), runId: run };
      await store.upsertHistory(id, [replaced, result]);
      await store.upsertHistory(id, [{ message: message("prompt", "user", "question"), runId: null }]);
      expect(await store.getHistory(id)).toEqual([
        rows[0],
        { message: message("prompt", "user", "question"), runId: null },
        replaced,
        result,
      ]);
    });

    it("§3 history rows round-trip whole messages (parts, metadata, unicode) with their run tags", async () => {
      const { store, id } = await withSession();
      const assistant = {
        id: "bubble",
        role: "assistant",
        metadata: { model: "scripted", tokens: 12 },
        parts: [
          { type: "reasoning", text: "🤔 think", state: "done" },
          { type: "text", text: 'héllo "quoted" \\ line\nbreak 日本語', state: "done" },
          {
            type: "tool-deploy",
            toolCallId: "call-1",
            state: "output-available",
            input: { env: "prod", list: [], nested: {} },
            output: { ok: true, score: 0.125 },
          },
        ],
      } as UIMessage;
      await store.upsertHistory(id, [{ message: assistant, runId: "run-1" }]);
      expect(await store.getHistory(id)).toEqual([{ message: assistant, runId: "run-1" }]);
    });

    it("§3 one upsert naming a message twice keeps one row, the last version", async () => {
      const { store, id } = await withSession();
      await store.upsertHistory(id, [
        { message: message("m", "assistant", "first"), runId: "r" },
        { message: message("m", "assistant", "second"), runId: "r" },
      ]);
      expect(await store.getHistory(id)).toEqual([
        { message: message("m", "assistant", "second"), runId: "r" },
      ]);
    });

    it("§3 history of a session with none is empty; createSession starts empty", async () => {
      const { store, id } = await withSession();
      expect(await store.getHistory(id)).toEqual([]);
      await store.upsertHistory(id, []);
      expect(await store.getHistory(id)).toEqual([]);
    });

    // §3 Continue: claims

    it("§3 claimOnce: the first caller wins, later ones do not, until released", async () => {
      const store = await open();
      const key = `continue:${newId()}`;
      expect(await store.isClaimed(key)).toBe(false);
      expect(await store.claimOnce(key, 60_000)).toBe(true);
      expect(await store.claimOnce(key, 60_000)).toBe(false);
      expect(await store.isClaimed(key)).toBe(true);
      await store.releaseClaim(key);
      expect(await store.isClaimed(key)).toBe(false);
      expect(await store.claimOnce(key, 60_000)).toBe(true);
      await store.releaseClaim(`never-claimed:${newId()}`);
    });

    it("§3 concurrent claimOnce calls: exactly one wins", async () => {
      const store = await open();
      const key = `end:${newId()}`;
      const results = await Promise.all(Array.from({ length: 10 }, () => store.claimOnce(key, 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("§3 a claim expires after its TTL and can then be claimed again", async () => {
      const store = await open();
      const key = `continue:${newId()}`;
      expect(await store.claimOnce(key, 40)).toBe(true);
      const deadline = Date.now() + 2_000;
      while (await store.isClaimed(key)) {
        if (Date.now() > deadline) throw new Error("claim never expired");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await store.claimOnce(key, 60_000)).toBe(true);
      expect(await store.isClaimed(key)).toBe(true);
    });
  });
}
