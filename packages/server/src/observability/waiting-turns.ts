/**
 * Turns this process paused for approval (§2 waiting_for_approval) and has not yet seen
 * continue or end, for the `active turns` gauge. A turn continued or cancelled on another
 * instance leaves this set the next time this process reads that session (status polls,
 * streams), so the count heals without a store query of its own.
 */
export class WaitingTurns {
  /** session id → the run waiting in it. */
  private readonly bySession = new Map<string, string>();

  paused(sessionId: string, runId: string): void {
    this.bySession.set(sessionId, runId);
  }

  /** The run continued or ended (here). */
  left(sessionId: string, runId: string): void {
    if (this.bySession.get(sessionId) === runId) this.bySession.delete(sessionId);
  }

  /** A fresh read of the session: drops its entry if the turn no longer waits. */
  observe(session: {
    readonly id: string;
    readonly currRunId: string | null;
    readonly turnStatus: string;
  }): void {
    const runId = this.bySession.get(session.id);
    if (runId === undefined) return;
    if (session.currRunId !== runId || session.turnStatus !== "waiting_for_approval") {
      this.bySession.delete(session.id);
    }
  }

  get size(): number {
    return this.bySession.size;
  }
}
