// Row 6: client CPU (createReplayTransport vs DefaultChatTransport, same 5 MB stream) and
// React commits per second while useVercelChat streams at several token rates, with its
// default throttle and with `throttle: 0`, side by side in one process.
import { fileURLToPath } from "node:url";
import type { StreamRun } from "../client-worker";
import type { BenchContext, Line, RowResult } from "../context";
import { Instance } from "../rpc";
import { fmt, fmtRatio, median, sample } from "../stats";

const CLIENT_WORKER = fileURLToPath(new URL("../client-worker.ts", import.meta.url));

interface CpuResult {
  bytes: number;
  oursMs: number[];
  theirsMs: number[];
  oursChunks: number;
  theirsChunks: number;
  ratio: number;
}

interface CommitResult {
  defaultThrottleMs: number;
  runs: StreamRun[];
}

/** Issue 14: at most this many React commits per second while streaming, whatever the token rate. */
const MAX_COMMITS_PER_SEC = 30;

/**
 * Token rates (one word per delta): slow, issue 14's case (a 2,000-word answer at 1 ms per
 * word), and ten times faster. About 1–2 s of streaming each; `--quick` streams 1 s at 1 ms.
 */
const RATES = [
  { msPerWord: 20, words: 50 },
  { msPerWord: 1, words: 2000 },
  { msPerWord: 0.1, words: 10_000 },
] as const;
const QUICK_RATES = [
  { msPerWord: 20, words: 50 },
  { msPerWord: 1, words: 1000 },
  { msPerWord: 0.1, words: 10_000 },
] as const;

interface Setting {
  runs: StreamRun[];
  /** Median of the runs. */
  commitsPerSec: number;
  /** The run with the median commits per second. */
  median: StreamRun | undefined;
  complete: boolean;
}

function setting(runs: StreamRun[]): Setting {
  const commitsPerSec = median(runs.map((run) => run.commitsPerSec));
  return {
    runs,
    commitsPerSec,
    median: runs.find((run) => run.commitsPerSec === commitsPerSec),
    complete: runs.length > 0 && runs.every((run) => run.complete),
  };
}

/** `n commits/s (c commits in t ms: m message, k connection, …; text complete)`, of the median run. */
function describe(s: Setting): string {
  const run = s.median;
  if (!run) return "n/a";
  const by = Object.entries(run.commitsBy)
    .filter(([, count]) => count > 0)
    .map(([cause, count]) => `${fmt(count)} ${cause === "messages" ? "message" : cause}`)
    .join(", ");
  const text = s.complete
    ? "text complete"
    : `text INCOMPLETE in ${s.runs.filter((r) => !r.complete).length}/${s.runs.length} runs`;
  return `${fmt(s.commitsPerSec)} commits/s (${fmt(run.commits)} in ${fmt(run.streamMs)} ms: ${by}; ${text})`;
}

export async function clientRow(ctx: BenchContext): Promise<RowResult> {
  const cpuWorker = await Instance.start("client-cpu", CLIENT_WORKER);
  let cpu: CpuResult;
  try {
    ctx.progress("row 6: createReplayTransport vs DefaultChatTransport on the same 5 MB stream");
    cpu = await cpuWorker.call<CpuResult>("cpu", { bytes: 5_000_000, reps: ctx.quick ? 5 : 9 });
  } finally {
    await cpuWorker.stop();
  }
  const rates = ctx.quick ? QUICK_RATES : RATES;
  const samples = 3;
  const reactWorker = await Instance.start("client-react", CLIENT_WORKER);
  let commits: CommitResult;
  try {
    ctx.progress(
      `row 6: React commits/s in useVercelChat at ${rates.map((rate) => `${rate.words.toLocaleString("en-US")} words × ${rate.msPerWord} ms`).join(", ")}; default throttle and 0, ${samples} samples each`,
    );
    commits = await reactWorker.call<CommitResult>("commits", { rates, samples });
  } finally {
    await reactWorker.stop();
  }
  if (cpu.oursChunks !== cpu.theirsChunks) {
    throw new Error(`transports disagree: ${cpu.oursChunks} vs ${cpu.theirsChunks} chunks`);
  }
  const ours = median(cpu.oursMs);
  const theirs = median(cpu.theirsMs);
  const lines: Line[] = [
    {
      row: "6",
      what: `Client CPU to consume the same ${fmt(cpu.bytes / 1e6)} MB UI message stream (${cpu.oursChunks.toLocaleString()} chunks) in Node`,
      ours: `createReplayTransport ${fmt(ours)} ms`,
      reference: `DefaultChatTransport ${fmt(theirs)} ms`,
      ratio: fmtRatio(ours / theirs),
      goal: "≤ 1.05× its CPU",
      verdict: ours / theirs <= 1.05 ? "met" : "missed",
    },
  ];
  const perRate = rates.map((rate) => {
    const of = (throttle: number | null) =>
      setting(
        commits.runs.filter(
          (run) => run.msPerWord === rate.msPerWord && run.words === rate.words && run.throttle === throttle,
        ),
      );
    return { ...rate, throttled: of(null), unthrottled: of(0) };
  });
  for (const { msPerWord, words, throttled, unthrottled } of perRate) {
    const met = throttled.commitsPerSec <= MAX_COMMITS_PER_SEC && throttled.complete && unthrottled.complete;
    lines.push({
      row: "6",
      what: `React commits/s in useVercelChat (jsdom), ${words.toLocaleString("en-US")} words at ${msPerWord} ms per word: first delta → whole text shown (real clock, median of ${throttled.runs.length})`,
      ours: `default throttle (${commits.defaultThrottleMs} ms): ${describe(throttled)}`,
      reference: `\`throttle: 0\`: ${describe(unthrottled)}`,
      ratio: fmtRatio(throttled.commitsPerSec / unthrottled.commitsPerSec),
      goal: `≤ ${MAX_COMMITS_PER_SEC} commits/s, text complete`,
      verdict: met ? "met" : "missed",
    });
  }
  return {
    lines,
    data: {
      ...cpu,
      oursMs: sample(cpu.oursMs),
      theirsMs: sample(cpu.theirsMs),
      commits: {
        defaultThrottleMs: commits.defaultThrottleMs,
        maxCommitsPerSec: MAX_COMMITS_PER_SEC,
        rates: perRate.map(({ msPerWord, words, throttled, unthrottled }) => ({
          msPerWord,
          words,
          defaultThrottle: {
            ...throttled,
            commitsPerSecSample: sample(throttled.runs.map((r) => r.commitsPerSec)),
          },
          throttle0: {
            ...unthrottled,
            commitsPerSecSample: sample(unthrottled.runs.map((r) => r.commitsPerSec)),
          },
        })),
      },
    },
  };
}
