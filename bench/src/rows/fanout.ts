// Row 4: fan-out of one running turn to 1, 100, 1,000 observers (memory; Redis with two
// instances): append→receive delay, server CPU and RSS, Redis commands and connections.
import {
  authHeaders,
  type BenchContext,
  commandCalls,
  commandDelta,
  connections,
  type Line,
  type RedisAdmin,
  type RowResult,
} from "../context";
import { rawObserver } from "../http-client";
import { Instance } from "../rpc";
import { fmt, monoNs, now, percentile, sleep } from "../stats";
import { startOursRedis } from "./followers";
import type { Turn } from "./resume";

interface Usage {
  cpuMs: number;
  rss: number;
}

/** Where a run's Redis commands and connections are counted: every master of the deployment. */
export interface RedisProbe {
  readonly admins: readonly RedisAdmin[];
  /** Prefix of the connection names of the measured instances. */
  readonly namePrefix: string;
}

/** Redis CPU seconds (user + sys) summed over `admins`. */
export async function redisCpuSec(admins: readonly RedisAdmin[]): Promise<number> {
  let total = 0;
  for (const admin of admins) {
    const info = await admin.info("cpu");
    const field = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, "m").exec(info)?.[1] ?? Number.NaN);
    total += field("used_cpu_user") + field("used_cpu_sys");
  }
  return total;
}

async function callsOf(admins: readonly RedisAdmin[]): Promise<Map<string, number>> {
  const total = new Map<string, number>();
  for (const admin of admins) {
    for (const [name, calls] of await commandCalls(admin)) total.set(name, (total.get(name) ?? 0) + calls);
  }
  return total;
}

export interface FanoutPoint {
  readonly observers: number;
  readonly sessions: number;
  readonly entries: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly delivered: number;
  /** Server CPU while the turn streamed, as a share of one core (all instances). */
  readonly cpuShare: number;
  /** CPU of the bench process reading every observer's socket, share of one core. */
  readonly clientCpuShare: number;
  readonly cpuMsPerEntry: number;
  /** Largest RSS of an instance at the end, MB. */
  readonly rssMb: number;
  readonly commandsPerEntry: number | null;
  readonly commands: Record<string, number> | null;
  readonly connections: number | null;
  /** Redis CPU (every master) from the first append to the last observer's end, ms; and that window, ms. */
  readonly redisCpuMs: number | null;
  readonly elapsedMs: number;
}

/**
 * Opens `count` raw-socket observers, observer `index` on `target(index)`, each collecting
 * its stamps' delays into `delays`; resolves once every one is attached.
 */
async function openObservers(
  ctx: BenchContext,
  count: number,
  delays: number[],
  target: (index: number) => { port: number; path: string },
): Promise<ReturnType<typeof rawObserver>[]> {
  const handles: ReturnType<typeof rawObserver>[] = [];
  for (let index = 0; index < count; index++) {
    const { port, path } = target(index);
    handles.push(rawObserver(port, path, authHeaders(ctx), stampCollector(delays)));
    if (index % 100 === 99) await sleep(1);
  }
  await Promise.all(handles.map((handle) => handle.ready));
  return handles;
}

/** CPU and RSS of every instance now. */
function usageOf(instances: readonly { instance: Instance }[]): Promise<Usage[]> {
  return Promise.all(instances.map(({ instance }) => instance.call<Usage>("usage")));
}

/** CPU ms all instances spent between two `usageOf` readings. */
function cpuMsBetween(before: readonly Usage[], after: readonly Usage[]): number {
  return after.reduce((sum, usage, index) => sum + usage.cpuMs - before[index]!.cpuMs, 0);
}

/** Collects `@<ns>@` stamps from a stream, measuring arrival − append on the shared monotonic clock. */
function stampCollector(delays: number[]) {
  let carry = "";
  return (chunk: Buffer) => {
    const arrived = monoNs();
    const text = carry + chunk.toString("latin1");
    let from = 0;
    for (;;) {
      const start = text.indexOf('"delta":"@', from);
      if (start < 0) break;
      const end = text.indexOf("@", start + 10);
      if (end < 0) break;
      delays.push(Number(arrived - BigInt(text.slice(start + 10, end))) / 1e6);
      from = end + 1;
    }
    carry = text.slice(Math.max(from, text.length - 64));
  };
}

export async function run(
  ctx: BenchContext,
  instances: { instance: Instance; port: number }[],
  observers: number,
  sessions: number,
  entries: number,
  intervalMs: number,
  probe: RedisProbe | null = ctx.redis ? { admins: [ctx.redis], namePrefix: ctx.prefix } : null,
): Promise<FanoutPoint> {
  const writer = instances[0]!.instance;
  const turns: Turn[] = [];
  for (let index = 0; index < sessions; index++)
    turns.push(await writer.call<Turn>("ours.createTurn", { entries: 1 }));
  const delays: number[] = [];
  const handles = await openObservers(ctx, observers, delays, (index) => {
    // Round robin over instances; with one observer it reads from the last instance (not the writer's).
    const { port } = instances[(instances.length - 1 - (index % instances.length)) % instances.length]!;
    return { port, path: `/api/sessions/${turns[index % sessions]!.sessionId}/stream` };
  });
  let redisConnections: number | null = null;
  if (probe) {
    redisConnections = 0;
    for (const admin of probe.admins) redisConnections += (await connections(admin, probe.namePrefix)).named;
  }
  const before = await usageOf(instances);
  const commandsBefore = probe && instances.length > 1 ? await callsOf(probe.admins) : null;
  const redisCpuBefore = probe && instances.length > 1 ? await redisCpuSec(probe.admins) : null;
  const started = now();
  const clientCpu = process.cpuUsage();
  await writer.call("ours.append", {
    keys: turns.map((turn) => turn.key),
    count: entries,
    intervalMs,
    stamp: true,
    end: true,
  });
  await Promise.all(handles.map((handle) => handle.ended));
  const elapsed = now() - started;
  const client = process.cpuUsage(clientCpu);
  const redisCpuAfter = redisCpuBefore !== null && probe ? await redisCpuSec(probe.admins) : null;
  const commandsAfter = commandsBefore && probe ? await callsOf(probe.admins) : null;
  const after = await usageOf(instances);
  const cpuMs = cpuMsBetween(before, after);
  const commands = commandsBefore && commandsAfter ? commandDelta(commandsBefore, commandsAfter) : null;
  const appended = entries * sessions;
  const expected = appended * (observers / sessions);
  if (delays.length < expected * 0.99) throw new Error(`only ${delays.length} of ${expected} deltas arrived`);
  return {
    observers,
    sessions,
    entries: appended,
    p50: percentile(delays, 50),
    p99: percentile(delays, 99),
    max: delays.reduce((a, b) => Math.max(a, b), 0),
    delivered: delays.length,
    cpuShare: cpuMs / elapsed,
    clientCpuShare: (client.user + client.system) / 1000 / elapsed,
    cpuMsPerEntry: cpuMs / appended,
    rssMb: Math.max(...after.map((usage) => usage.rss)) / 1e6,
    commandsPerEntry: commands ? commands.total / appended : null,
    commands: commands?.byCommand ?? null,
    connections: redisConnections,
    redisCpuMs:
      redisCpuBefore !== null && redisCpuAfter !== null ? (redisCpuAfter - redisCpuBefore) * 1000 : null,
    elapsedMs: elapsed,
  };
}

/** Row 4's bare reference: delays, and the CPU of both processes as a share of one core. */
interface BarePoint {
  readonly p50: number;
  readonly p99: number;
  readonly cpuShare: number;
}

/** Delays of the bare reference: `observers` readers over `ports`, each process writing its own stamped frames. */
async function runBare(
  ctx: BenchContext,
  instances: { instance: Instance; port: number }[],
  observers: number,
  entries: number,
  intervalMs: number,
): Promise<BarePoint> {
  const delays: number[] = [];
  const handles = await openObservers(ctx, observers, delays, (index) => ({
    port: instances[index % instances.length]!.port,
    path: "/",
  }));
  const before = await usageOf(instances);
  const started = now();
  await Promise.all(
    instances.map(({ instance }) => instance.call("rawFanout.send", { count: entries, intervalMs })),
  );
  await Promise.all(handles.map((handle) => handle.ended));
  const elapsed = now() - started;
  const cpuMs = cpuMsBetween(before, await usageOf(instances));
  const expected = entries * observers;
  if (delays.length < expected * 0.99)
    throw new Error(`only ${delays.length} of ${expected} bare deltas arrived`);
  return { p50: percentile(delays, 50), p99: percentile(delays, 99), cpuShare: cpuMs / elapsed };
}

export async function fanoutRow(ctx: BenchContext): Promise<RowResult> {
  const counts = [1, 100, 1000];
  const entries = ctx.quick ? 40 : 250;
  const intervalMs = 20;
  const lines: Line[] = [];
  const memory: FanoutPoint[] = [];
  const instance = await Instance.start("ours-memory");
  try {
    const { port } = await instance.call<{ port: number }>("ours.start", {
      store: "memory",
      keyPrefix: `${ctx.prefix}:ours`,
      token: ctx.token,
      secret: ctx.secret,
    });
    await run(ctx, [{ instance, port }], 10, 1, 20, 5); // warm-up
    for (const observers of counts) {
      ctx.progress(`row 4: memory, ${observers} observers, ${entries} appends every ${intervalMs} ms`);
      memory.push(await run(ctx, [{ instance, port }], observers, 1, entries, intervalMs));
    }
  } finally {
    await instance.stop();
  }
  const redis: FanoutPoint[] = [];
  let bare: BarePoint | null = null;
  let redisSkipped = ctx.redisUnavailable;
  if (!redisSkipped) {
    const variants = [
      ...counts.map((observers) => ({ observers, sessions: 1 })),
      { observers: 1000, sessions: 10 },
    ];
    const a = await Instance.start("ours-redis-A");
    const b = await Instance.start("ours-redis-B");
    try {
      const { portA, portB } = await startOursRedis(ctx, a, b);
      const pair = [
        { instance: a, port: portA },
        { instance: b, port: portB },
      ];
      await run(ctx, pair, 10, 1, 20, 5); // warm-up
      for (const { observers, sessions } of variants) {
        ctx.progress(
          `row 4: Redis, two instances, ${observers} observers on ${sessions} session${sessions > 1 ? "s" : ""}`,
        );
        redis.push(await run(ctx, pair, observers, sessions, entries, intervalMs));
      }
      // The same two processes as bare node:http servers, each writing its own stamped
      // frames to its 500 responses: what this machine allows, in the same run.
      ctx.progress("row 4: bare node:http, two processes, 1,000 observers");
      const barePair = [];
      for (const { instance } of pair) {
        const { port } = await instance.call<{ port: number }>("rawFanout.start");
        barePair.push({ instance, port });
      }
      bare = await runBare(ctx, barePair, 1000, entries, intervalMs);
    } catch (error) {
      redisSkipped = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }
  const delayCell = (points: FanoutPoint[]) =>
    points.map((point) => `${fmt(point.p50, 2)}/${fmt(point.p99, 2)}`).join(" · ");
  const cpuCell = (points: FanoutPoint[]) =>
    points.map((point) => `${Math.round(point.cpuShare * 100)} %`).join(" · ");
  const rssCell = (points: FanoutPoint[]) => points.map((point) => `${Math.round(point.rssMb)}`).join(" · ");
  const at1000 = memory.find((point) => point.observers === 1000);
  lines.push({
    row: "4",
    what: "Fan-out, memory, 1 · 100 · 1,000 observers: p50/p99 append→receive (ms); server CPU; RSS (MB)",
    ours: `${delayCell(memory)} ms; CPU ${cpuCell(memory)}; RSS ${rssCell(memory)}`,
    reference: "—",
    ratio: "—",
    goal: "p99 < 100 ms at 1,000",
    verdict: at1000 && at1000.p99 < 100 ? "met" : "missed",
  });
  if (redis.length === counts.length + 1) {
    const single = redis.slice(0, counts.length);
    const multi = redis.at(-1)!;
    const perEntry = redis.map((point) => point.commandsPerEntry ?? Number.NaN);
    const conns = redis.map((point) => point.connections ?? Number.NaN);
    // Issue 16: the same within 20 % for 1, 100, 1,000 observers and 1,000 over 10 sessions.
    const flatCommands = Math.max(...perEntry) <= Math.min(...perEntry) * 1.2;
    const flatConnections = Math.max(...conns) === Math.min(...conns);
    const redis1000 = single.at(-1)!;
    lines.push({
      row: "4",
      what: "Fan-out, Redis, two instances, 1 · 100 · 1,000 observers: p50/p99 (ms); CPU of both; max RSS (MB)",
      ours: `${delayCell(single)} ms; CPU ${cpuCell(single)}; RSS ${rssCell(single)}`,
      reference: bare
        ? `bare node:http, two processes, 1,000 observers: ${fmt(bare.p50, 2)}/${fmt(bare.p99, 2)} ms; CPU ${Math.round(bare.cpuShare * 100)} %`
        : "—",
      ratio: bare ? `p99 ${fmt(redis1000.p99 / bare.p99, 2)}×` : "—",
      goal: "p99 < 50 ms at 1,000",
      verdict: redis1000.p99 < 50 ? "met" : "missed",
    });
    lines.push({
      row: "4",
      what: "Fan-out, Redis: commands per appended entry and connections, 1 · 100 · 1,000 observers on 1 session · 1,000 on 10 sessions",
      ours: `${perEntry.map((value) => fmt(value, 3)).join(" · ")} commands/entry; ${conns.join(" · ")} connections (p50/p99 at 10 sessions ${fmt(multi.p50, 2)}/${fmt(multi.p99, 2)} ms)`,
      reference: "—",
      ratio: "—",
      goal: "commands/entry within 20 % and connections equal for every observer count",
      verdict: flatCommands && flatConnections ? "met" : "missed",
    });
  } else {
    lines.push({
      row: "4",
      what: "Fan-out, Redis with two instances",
      ours: `not measured (${redisSkipped})`,
      reference: "—",
      ratio: "—",
      goal: "p99 < 50 ms at 1,000; commands/entry within 20 %, connections flat",
      verdict: "not measured",
    });
  }
  return { lines, data: { entries, intervalMs, memory, redis, bare, redisSkipped } };
}
