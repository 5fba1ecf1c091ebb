import type { UIMessage } from "ai";
import { expect } from "vitest";

/**
 * §8.58 long schedules: a share of the chaos schedules, chosen by the seed, run a turn 10–50×
 * longer than the buffer's cap on a server whose stream store keeps {@link LONG_MAX_LENGTH}
 * entries, so drops, stalls and refusals happen while the buffer is trimmed through
 * checkpoints: resumes fold from a checkpoint, cursors go stale, full replays start with the
 * turn snapshot. The choice does not draw from the schedule's random stream, so the other
 * seeds keep their schedules.
 */
export const LONG_EVERY = 4;
/** The trimming server's buffer cap (§4 `maxLength`). */
export const LONG_MAX_LENGTH = 64;

/** Whether this seed runs a long turn on the trimming server. */
export const isLong = (seed: number) => seed % LONG_EVERY === 0;

/** How many of `runs` seeds from `firstSeed` are long. */
export function longCount(firstSeed: number, runs: number): number {
  return Array.from({ length: runs }, (_, index) => firstSeed + index).filter(isLong).length;
}

/**
 * A long turn's length in buffer entries: 10–50× the cap for a turn streamed in bursts
 * (`[[delay=0]]`), 10–12× for a paced one (`[[delay=1]]`, at least 1 ms per chunk, so about
 * a second), which keeps the suites' time bounded.
 */
export function longEntries(random: () => number, paced: boolean): number {
  return LONG_MAX_LENGTH * (10 + Math.floor(random() * (paced ? 3 : 41)));
}

/**
 * What a client showed before adopting history is a prefix of the stored message: the same
 * bubble, the same parts in order, each text a prefix of the stored one (nothing twice).
 * Used where the turn ended while the client's cursor was stale (§6 finish-only, §7).
 */
export function expectPrefixOf(partial: UIMessage | undefined, stored: UIMessage | undefined): void {
  if (!partial) return;
  expect(stored).toBeDefined();
  expect(partial.id).toBe(stored!.id);
  expect(partial.parts.length).toBeLessThanOrEqual(stored!.parts.length);
  partial.parts.forEach((part, index) => {
    const whole = stored!.parts[index]!;
    expect(part.type).toBe(whole.type);
    if ((part.type === "text" || part.type === "reasoning") && "text" in whole) {
      expect(whole.text.startsWith(part.text), `part ${index} is a prefix of the stored one`).toBe(true);
    }
  });
}
