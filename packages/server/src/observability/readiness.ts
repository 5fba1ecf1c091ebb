/** A store as readiness sees it: stores that can fail answer `ping` (memory stores need not). */
export interface Pingable {
  ping?(): Promise<void>;
}

/** One store's answer to a readiness probe. */
export interface StoreCheck {
  /** `redis`, `postgres`, `memory` or `custom`. */
  readonly store: string;
  /** Which port it serves: the turn buffers (`stream`) or sessions and history (`session`). */
  readonly role: "stream" | "session";
  readonly ok: boolean;
  /** Why not: `timeout` or `unavailable` (never a URL or the store's own message). */
  readonly reason?: "timeout" | "unavailable";
}

/** A readiness verdict: ready when every store answered. */
export interface ReadyResult {
  readonly ready: boolean;
  readonly checks: readonly StoreCheck[];
}

/** What {@link Readiness} probes. */
export interface ReadinessTarget {
  readonly store: string;
  readonly role: "stream" | "session";
  readonly target: Pingable;
}

/**
 * `GET /readyz` (cheap enough for 1 s probes from several load balancers): pings every store
 * with a short timeout, at most one probe in flight, and answers from the last result for
 * `cacheMs` after it.
 */
export class Readiness {
  private last: { readonly at: number; readonly result: ReadyResult } | null = null;
  private inflight: Promise<ReadyResult> | null = null;

  constructor(
    private readonly targets: readonly ReadinessTarget[],
    private readonly timeoutMs = 500,
    private readonly cacheMs = 250,
    private readonly now: () => number = () => performance.now(),
  ) {}

  check(): Promise<ReadyResult> {
    if (this.last && this.now() - this.last.at < this.cacheMs) return Promise.resolve(this.last.result);
    this.inflight ??= this.probe().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async probe(): Promise<ReadyResult> {
    const checks = await Promise.all(
      this.targets.map(async ({ store, role, target }): Promise<StoreCheck> => {
        const answer = await pingWithin(target, this.timeoutMs);
        return answer === "ok" ? { store, role, ok: true } : { store, role, ok: false, reason: answer };
      }),
    );
    const result = { ready: checks.every((check) => check.ok), checks };
    this.last = { at: this.now(), result };
    return result;
  }
}

async function pingWithin(target: Pingable, timeoutMs: number): Promise<"ok" | "timeout" | "unavailable"> {
  if (!target.ping) return "ok";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    return await Promise.race([
      target.ping().then(
        () => "ok" as const,
        () => "unavailable" as const,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
