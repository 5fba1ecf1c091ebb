import type { SessionStatusView } from "./session-status-client";

/** What the hook should do after a status or chat change. */
export interface AttachDecision {
  /** Upsert the active prompt (§7) before anything else. */
  readonly upsertPrompt: boolean;
  /** Call `resumeStream()` to attach to the live turn. */
  readonly attach: boolean;
}

const NOTHING: AttachDecision = { upsertPrompt: false, attach: false };

/**
 * The §7 attach rules as a small state machine, free of React: attach when status is
 * running or waiting, the chat is idle, and the run's current phase was neither attempted
 * nor finished by this tab. At most one attempt per (run, phase); an error clears it so the
 * next poll retries; a normal finish marks it done for good (the sender's tab never
 * re-attaches to its own finished stream, even while status still lags at `running`).
 */
export class AttachTracker {
  private runId: string | null = null;
  private phase = 0;
  private lastStatus: SessionStatusView["turnStatus"] | null = null;
  private attempted: string | null = null;
  private readonly done = new Set<string>();

  /** Decides the next step from the latest status and whether the chat has a request in flight. */
  decide(status: SessionStatusView | undefined, chatBusy: boolean): AttachDecision {
    if (!status) return NOTHING;
    const active = status.turnStatus === "running" || status.turnStatus === "waiting_for_approval";
    if (!active || status.currRunId === null) {
      this.reset(null);
      this.lastStatus = status.turnStatus;
      return NOTHING;
    }
    if (status.currRunId !== this.runId) this.reset(status.currRunId);
    // waiting → running is a new phase (someone continued the turn).
    if (this.lastStatus === "waiting_for_approval" && status.turnStatus === "running") {
      this.phase++;
      this.attempted = null;
    }
    this.lastStatus = status.turnStatus;
    const key = this.key();
    if (this.done.has(key) || this.attempted === key || chatBusy || !status.prompt) {
      return { upsertPrompt: !this.done.has(key) && Boolean(status.prompt), attach: false };
    }
    this.attempted = key;
    return { upsertPrompt: true, attach: true };
  }

  /** A stream of `runId` finished normally: never attach to this phase again. */
  finished(runId: string): void {
    if (runId !== this.runId) this.reset(runId);
    this.done.add(this.key());
    this.attempted = null;
  }

  /** An attach ended in an abort, error or disconnect: let the next decision retry. */
  failed(): void {
    this.attempted = null;
  }

  private key(): string {
    return `${this.runId}#${this.phase}`;
  }

  private reset(runId: string | null): void {
    if (runId === this.runId) return;
    this.runId = runId;
    this.phase = 0;
    this.attempted = null;
    this.done.clear();
    this.lastStatus = null;
  }
}
