import { performance } from "node:perf_hooks";

/** Milliseconds on the monotonic clock of this process. */
export const now = (): number => performance.now();

/** The monotonic clock shared by every process of the machine (CLOCK_MONOTONIC), in ns. */
export const monoNs = (): bigint => process.hrtime.bigint();

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of the values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Runs `once` `warmup` times unmeasured, then `reps` times, and returns every measured value. */
export async function repeat(
  reps: number,
  warmup: number,
  once: (index: number) => Promise<number>,
): Promise<number[]> {
  for (let index = 0; index < warmup; index++) await once(-1 - index);
  const values: number[] = [];
  for (let index = 0; index < reps; index++) values.push(await once(index));
  return values;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A number with `digits` significant digits and thousands separators for large ones. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return "n/a";
  if (Math.abs(value) >= 10 ** digits) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 6 });
}

export function fmtRatio(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return value >= 100 ? `${Math.round(value)}×` : `${fmt(value, 3)}×`;
}

/** A short summary of a sample: median and spread. */
export interface Sample {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly values: readonly number[];
}

export function sample(values: readonly number[]): Sample {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    values: values.map((value) => Number(value.toFixed(4))),
  };
}
