// Row 10 (issue 20): the cost of metrics and tracing on rows 1 and 4's work, in one run.
// Three servers of ours in ONE process on the same memory stores (observability off,
// metrics + no-op tracing, metrics + spans recorded by the SDK into memory), each
// repetition measuring all three in turn. One process, so the variants share a heap, a JIT
// and a garbage collector: with one process per variant, the differences between
// processes (heap size, GC timing) were several times the few per cent sought.
import { authHeaders, type BenchContext, DELTA_TEXT, type Line, type RowResult } from "../context";
import { open, rawObserver } from "../http-client";
import type { ObservabilityVariant } from "../observability-options";
import { Instance } from "../rpc";
import { fmt, median, sleep } from "../stats";

interface Turn {
  sessionId: string;
  key: string;
  firstId: string;
}

/** Replays of the finished turn per sample. */
const REPLAYS = 4;

const VARIANTS: readonly ObservabilityVariant[] = ["off", "noop", "memory"];
const LABELS: Record<ObservabilityVariant, string> = {
  off: "off",
  noop: "metrics + tracing, no SDK",
  memory: "metrics + tracing, in-memory exporter",
};

interface Samples {
  replayMs: number[];
  /** Server CPU (user + system) while it served the replay. */
  replayCpuMs: number[];
  liveMs: number[];
  /** Server CPU while the live turn was appended and streamed (the appends run in the same process). */
  liveCpuMs: number[];
  fanoutCpuMsPerEntry: number[];
}

/** The instance's CPU time so far (ms). */
async function cpuOf(instance: Instance): Promise<number> {
  return (await instance.call<{ cpuMs: number }>("usage")).cpuMs;
}

/**
 * Row 4's fan-out, as row 4 runs it on memory: one running turn, `observers` raw-socket
 * readers at its head, `entries` appends every `intervalMs`; returns the server's CPU per
 * entry while it streamed.
 */
async function fanout(
  ctx: BenchContext,
  instance: Instance,
  port: number,
  observers: number,
  entries: number,
  intervalMs: number,
  via: string,
): Promise<number> {
  const turn = await instance.call<Turn>("ours.createTurn", { entries: 1 });
  const handles: ReturnType<typeof rawObserver>[] = [];
  for (let index = 0; index < observers; index++) {
    handles.push(rawObserver(port, `/api/sessions/${turn.sessionId}/stream`, authHeaders(ctx), () => {}));
    if (index % 100 === 99) await sleep(1);
  }
  await Promise.all(handles.map((handle) => handle.ready));
  const before = await instance.call<{ cpuMs: number }>("usage");
  // Written through the measured server's own writer store, as its runner would (§4 local feed).
  await instance.call("ours.append", { keys: [turn.key], count: entries, intervalMs, end: true, via });
  await Promise.all(handles.map((handle) => handle.ended));
  const after = await instance.call<{ cpuMs: number }>("usage");
  await instance.call("ours.drop", { keys: [turn.key] });
  return (after.cpuMs - before.cpuMs) / entries;
}

export async function observabilityRow(ctx: BenchContext): Promise<RowResult> {
  const frames = ctx.quick ? 20_000 : 100_000;
  const observers = ctx.quick ? 200 : 1000;
  const fanoutEntries = ctx.quick ? 40 : 250;
  const headers = authHeaders(ctx);
  const instance = await Instance.start("ours-obs");
  try {
    const { port, ports } = await instance.call<{ port: number; ports: Record<string, number> }>(
      "ours.start",
      {
        store: "memory",
        keyPrefix: `${ctx.prefix}:obs`,
        token: ctx.token,
        secret: ctx.secret,
        maxLength: frames * 2,
        observability: "off",
        extra: { noop: { observability: "noop" }, memory: { observability: "memory" } },
      },
    );
    const portOf = (variant: ObservabilityVariant) => (variant === "off" ? port : ports[variant]!);
    // The server whose writer store feeds the measured readers: the one they read from.
    const viaOf = (variant: ObservabilityVariant) => (variant === "off" ? "main" : variant);
    // One finished turn in the shared store, replayed through each of the servers.
    const finished = await instance.call<Turn>("ours.createTurn", {
      entries: frames,
      text: DELTA_TEXT,
      end: true,
    });
    const samples = new Map<ObservabilityVariant, Samples>(
      VARIANTS.map((variant) => [
        variant,
        { replayMs: [], replayCpuMs: [], liveMs: [], liveCpuMs: [], fanoutCpuMsPerEntry: [] },
      ]),
    );
    // Warm-up of every server, then interleaved repetitions: drift hits all variants alike.
    for (const variant of VARIANTS) await fanout(ctx, instance, portOf(variant), 10, 20, 5, viaOf(variant));
    // More repetitions than other rows: the differences sought are a few per cent.
    const reps = ctx.quick ? ctx.reps : 11;
    for (let rep = 0; rep < reps; rep++) {
      // The order rotates each repetition, so no variant always runs first (or after another).
      const order = VARIANTS.map((_, index) => VARIANTS[(index + rep) % VARIANTS.length]!);
      for (const variant of order) {
        const port = portOf(variant);
        ctx.progress(`row 10: repetition ${rep + 1}/${reps}, observability ${variant}`);
        const into = samples.get(variant)!;
        // Row 1's replay: every frame of a finished turn from a cursor at its first entry
        // (REPLAYS of them per sample, so a sample is long enough to measure).
        const replayCpu = await cpuOf(instance);
        let replayMs = 0;
        for (let replay = 0; replay < REPLAYS; replay++) {
          const handle = open(port, `/api/sessions/${finished.sessionId}/stream`, {
            headers: { ...headers, "last-event-id": `${finished.firstId}:0` },
          });
          await handle.response;
          await handle.ended;
          replayMs += handle.endedAt - handle.startedAt;
        }
        into.replayMs.push(replayMs / REPLAYS);
        into.replayCpuMs.push(((await cpuOf(instance)) - replayCpu) / REPLAYS);
        // Row 1's live turn: one append per event-loop turn to a reader at the head.
        const turn = await instance.call<Turn>("ours.createTurn", { entries: 1 });
        const live = open(port, `/api/sessions/${turn.sessionId}/stream`, { headers });
        await live.waitFor('"type":"text-start"');
        const liveStart = performance.now();
        const liveCpu = await cpuOf(instance);
        await instance.call("ours.append", {
          keys: [turn.key],
          count: frames,
          tick: true,
          text: DELTA_TEXT,
          end: true,
          via: viaOf(variant),
        });
        await live.ended;
        into.liveMs.push(live.endedAt - liveStart);
        into.liveCpuMs.push((await cpuOf(instance)) - liveCpu);
        await instance.call("ours.drop", { keys: [turn.key] });
        // Row 4's fan-out: one running turn to many observers, server CPU per entry.
        into.fanoutCpuMsPerEntry.push(
          await fanout(ctx, instance, port, observers, fanoutEntries, 20, viaOf(variant)),
        );
      }
    }
    return report(samples, frames, observers, fanoutEntries);
  } finally {
    await instance.stop();
  }
}

function report(
  samples: Map<ObservabilityVariant, Samples>,
  frames: number,
  observers: number,
  fanoutEntries: number,
): RowResult {
  const off = samples.get("off")!;
  // Paired per repetition (the three variants ran back to back), then the median: load that
  // drifts over the run cancels out of each pair.
  const overhead = (on: number[], base: number[]) => median(on.map((value, rep) => value / base[rep]!)) - 1;
  const pct = (value: number) => `${value >= 0 ? "+" : ""}${fmt(value * 100, 2)} %`;
  const lines: Line[] = [];
  const data: Record<string, unknown> = {
    frames,
    observers,
    fanoutEntries,
    samples: Object.fromEntries(samples),
  };
  // Judged on server CPU time, which other processes on the machine disturb far less than
  // wall time; wall-clock throughput is shown next to it.
  const wall = (values: number[]) => `${fmt(frames / (median(values) / 1000) / 1000)}k frames/s`;
  const measures = [
    {
      what: `replay of a finished ${frames.toLocaleString()}-frame turn (row 1), server CPU per 1k frames`,
      pick: (s: Samples) => s.replayCpuMs,
      show: (s: Samples) => `${fmt((median(s.replayCpuMs) / frames) * 1000)} ms (wall ${wall(s.replayMs)})`,
    },
    {
      what: `live turn, ${frames.toLocaleString()} appends one per tick (row 1), server CPU per 1k frames`,
      pick: (s: Samples) => s.liveCpuMs,
      show: (s: Samples) => `${fmt((median(s.liveCpuMs) / frames) * 1000)} ms (wall ${wall(s.liveMs)})`,
    },
    {
      what: `fan-out, ${observers.toLocaleString()} observers × ${fanoutEntries} entries (row 4), server CPU per entry`,
      pick: (s: Samples) => s.fanoutCpuMsPerEntry,
      show: (s: Samples) => `${fmt(median(s.fanoutCpuMsPerEntry), 3)} ms`,
    },
  ];
  for (const measure of measures) {
    const base = measure.pick(off);
    for (const variant of ["noop", "memory"] as const) {
      const on = measure.pick(samples.get(variant)!);
      const cost = overhead(on, base);
      data[`${variant}:${measure.what}`] = cost;
      lines.push({
        row: "10",
        what: `observability overhead: ${measure.what}, ${LABELS[variant]}`,
        ours: `${measure.show(samples.get(variant)!)} (${pct(cost)})`,
        reference: `off: ${measure.show(off)}`,
        ratio: pct(cost),
        goal: "≤ +5 %",
        verdict: cost <= 0.05 ? "met" : "missed",
      });
    }
  }
  return { lines, data };
}
