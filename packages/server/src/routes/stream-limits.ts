import { errorResponse } from "../http-error";
import type { ReplayContext } from "../replay-options";

/** Counts open things per key (streams per session, per owner). */
class Counter {
  private readonly counts = new Map<string, number>();
  total = 0;
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  add(key: string, delta: 1 | -1): void {
    const next = this.get(key) + delta;
    if (next <= 0) this.counts.delete(key);
    else this.counts.set(key, next);
    this.total += delta;
  }
}

/**
 * The per-process limits on open SSE responses (§3 Limits): per session, per principal
 * (owner or share link) and in total. Counted here, not in the session store: a stream
 * lives and dies with this process.
 */
export class StreamLimits {
  private readonly perSession = new Counter();
  private readonly perPrincipal = new Counter();

  constructor(private readonly ctx: ReplayContext) {}

  /** 429 `too_many_streams` when one more stream would pass a limit, else null. */
  refusal(sessionId: string, principal: string): Response | null {
    const refuse = (message: string) =>
      errorResponse(429, "too_many_streams", message, {}, { "retry-after": "5" });
    if (this.perSession.get(sessionId) >= this.ctx.maxStreamsPerSession) {
      return refuse(`At most ${this.ctx.maxStreamsPerSession} open streams per session.`);
    }
    if (this.perPrincipal.get(principal) >= this.ctx.maxStreamsPerOwner) {
      return refuse(`At most ${this.ctx.maxStreamsPerOwner} open streams per owner.`);
    }
    if (this.perSession.total >= this.ctx.maxStreams) {
      return refuse("The server has too many open streams; retry shortly.");
    }
    return null;
  }

  /** Open streams of this process. */
  get openCount(): number {
    return this.perSession.total;
  }

  /** Counts one open stream; call the returned function once when it closes. */
  open(sessionId: string, principal: string): () => void {
    this.perSession.add(sessionId, 1);
    this.perPrincipal.add(principal, 1);
    return () => {
      this.perSession.add(sessionId, -1);
      this.perPrincipal.add(principal, -1);
    };
  }
}
