import { type AdapterState, compareEntryIds } from "@chat-replay/protocol";

interface Checkpoints {
  readonly ids: string[];
  readonly states: AdapterState[];
}

/** A fold state known to hold after entry `entryId` of a buffer. */
export interface Checkpoint {
  readonly entryId: string;
  readonly state: AdapterState;
}

/**
 * Adapter states at regular entry intervals, per buffer, so a resume folds only the tail
 * after the nearest checkpoint instead of the whole turn (resume cost independent of turn
 * length). Sound because the fold is deterministic and a buffer (one per turn, fresh id)
 * is append-only: the state after entry E never changes. Readers fill it as they fold.
 */
export class CheckpointCache {
  private readonly buffers = new Map<string, Checkpoints>();

  constructor(
    /** Entries between checkpoints. */
    readonly every = 512,
    /** Buffers remembered (least recently used are dropped). */
    private readonly maxBuffers = 2048,
  ) {}

  /** Records the state after `entryId` if it extends the buffer's checkpoints. */
  record(key: string, entryId: string, state: AdapterState): void {
    let checkpoints = this.buffers.get(key);
    if (!checkpoints) {
      checkpoints = { ids: [], states: [] };
      if (this.buffers.size >= this.maxBuffers) {
        const oldest = this.buffers.keys().next().value;
        if (oldest !== undefined) this.buffers.delete(oldest);
      }
    } else {
      this.buffers.delete(key); // re-insert below: most recently used last
    }
    this.buffers.set(key, checkpoints);
    const last = checkpoints.ids.at(-1);
    if (last === undefined || compareEntryIds(entryId, last) > 0) {
      checkpoints.ids.push(entryId);
      checkpoints.states.push(state);
    }
  }

  /** The newest checkpoint strictly before `entryId`, or null. */
  before(key: string, entryId: string): Checkpoint | null {
    const checkpoints = this.buffers.get(key);
    if (!checkpoints) return null;
    let low = 0;
    let high = checkpoints.ids.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareEntryIds(checkpoints.ids[mid]!, entryId) < 0) low = mid + 1;
      else high = mid;
    }
    if (low === 0) return null;
    return { entryId: checkpoints.ids[low - 1]!, state: checkpoints.states[low - 1]! };
  }
}
