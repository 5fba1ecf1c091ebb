/** One SSE frame as the event log shows it. */
export interface FrameRecord {
  /** Position in the log, counting from 1 for the log's lifetime. */
  readonly seq: number;
  /** The frame's `id:` field; `null` for frames without one (`start`, `finish`, `[DONE]`). */
  readonly id: string | null;
  /** The UI message chunk type (`text-delta`, `finish`, …), `[DONE]`, or `?` for unreadable data. */
  readonly type: string;
  /** The request that carried it, e.g. `POST messages` or `GET stream`. */
  readonly source: string;
}

/** Frames kept for display; older ones scroll out (the log is a view, not a record). */
const DEFAULT_CAPACITY = 400;

/**
 * A bounded, observable list of received SSE frames for the demo's event log. Plain
 * TypeScript with `subscribe`/`getSnapshot`, so React reads it through
 * `useSyncExternalStore`.
 * @example
 * const log = new FrameLog();
 * log.push({ id: "1-0:0", type: "text-delta", source: "GET stream" });
 */
export class FrameLog {
  private frames: readonly FrameRecord[] = [];
  private total = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** Appends a frame (numbered here) and notifies subscribers. */
  push(frame: Omit<FrameRecord, "seq">): void {
    this.total += 1;
    const next = [...this.frames, { ...frame, seq: this.total }];
    this.frames = next.length > this.capacity ? next.slice(next.length - this.capacity) : next;
    this.notify();
  }

  /** Empties the log; numbering continues so a cleared log never reuses a number. */
  clear(): void {
    this.frames = [];
    this.notify();
  }

  /** Subscribe to changes (fits `useSyncExternalStore`). */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Frames received over the log's lifetime, including those scrolled out or cleared. */
  readonly getTotal = (): number => this.total;

  /** How many frames the log keeps. */
  get limit(): number {
    return this.capacity;
  }

  /** The frames in arrival order; a new array only when something changed. */
  readonly getSnapshot = (): readonly FrameRecord[] => this.frames;

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
