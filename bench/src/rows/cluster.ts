// Row 9: Redis Cluster (3 masters) side by side with a single primary, both started here (so
// no other client's commands are counted), in the same run: fan-out to 1,000 observers on
// two instances (delay; Redis commands, CPU and memory per entry summed over every master;
// connections) and resume latency (written by A, resumed on B) at the end of a 10,000-entry
// turn. The capacity model in docs/architecture.md is computed from these numbers.
import { OwnRedis, OwnRedisCluster } from "@chat-replay/test-fixture/redis-cluster";
import {
  authHeaders,
  type BenchContext,
  createAdmin,
  DELTA_TEXT,
  type Line,
  type RedisAdmin,
  type RowResult,
} from "../context";
import { open } from "../http-client";
import { Instance } from "../rpc";
import { fmt, fmtRatio, now, repeat, sample, sleep } from "../stats";
import { type FanoutPoint, type RedisProbe, redisCpuSec, run } from "./fanout";
import type { Turn } from "./resume";

interface Deployment {
  readonly label: string;
  readonly pair: { instance: Instance; port: number }[];
  readonly probe: RedisProbe;
}

interface DeploymentResult {
  readonly label: string;
  readonly fanout: FanoutPoint;
  /** Redis CPU (user + sys, every master) per appended entry during the fan-out, µs. */
  readonly redisCpuUsPerEntry: number;
  /** Redis memory (every master) per entry of the 10,000-entry turns, bytes (buffer, snapshot, checkpoints). */
  readonly redisBytesPerEntry: number;
  /** Cursor at the second-to-last entry → the last entry's frame, ms. */
  readonly resume: ReturnType<typeof sample>;
  /** The first resume of a turn on the reading instance (one sample per fresh turn), ms. */
  readonly coldResume: ReturnType<typeof sample>;
}

async function startPair(
  ctx: BenchContext,
  label: string,
  redisUrl: string,
  cluster: boolean,
): Promise<{ instance: Instance; port: number }[]> {
  const pair: { instance: Instance; port: number }[] = [];
  for (const name of ["A", "B"]) {
    const instance = await Instance.start(`ours-${label}-${name}`);
    const { port } = await instance.call<{ port: number }>("ours.start", {
      store: "redis",
      redisUrl,
      cluster,
      keyPrefix: `${ctx.prefix}:${label}`,
      token: ctx.token,
      secret: ctx.secret,
      maxLength: 400_000,
      connectionName: `${ctx.prefix}-${label}-${name}`,
    });
    pair.push({ instance, port });
  }
  return pair;
}

/** Redis used memory bytes, summed over `admins`. */
async function redisBytes(admins: readonly RedisAdmin[]): Promise<number> {
  let bytes = 0;
  for (const admin of admins) {
    const info = await admin.info("memory");
    bytes += Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
  }
  return bytes;
}

async function resumeOnce(ctx: BenchContext, port: number, turn: Turn): Promise<number> {
  const handle = open(port, `/api/sessions/${turn.sessionId}/stream`, {
    headers: { ...authHeaders(ctx), "last-event-id": `${turn.penultimateId}:0` },
  });
  const at = await handle.waitFor(`id: ${turn.lastId}:0\n`);
  if (handle.headers["x-chat-replay-mode"] !== "resume") throw new Error("not resumed");
  handle.close();
  return at - handle.startedAt;
}

async function measure(
  ctx: BenchContext,
  deployment: Deployment,
  entries: number,
): Promise<DeploymentResult> {
  const [writer, reader] = deployment.pair as [
    { instance: Instance; port: number },
    { instance: Instance; port: number },
  ];
  ctx.progress(`row 9: ${deployment.label}, fan-out to 1,000 observers on two instances`);
  await run(ctx, deployment.pair, 10, 1, 20, 5, deployment.probe); // warm-up
  // Redis's own idle CPU (its cron, every master) over the same window is not the entries' cost.
  const idleFrom = await redisCpuSec(deployment.probe.admins);
  const idleStarted = now();
  await sleep(2000);
  const idleMsPerMs =
    (((await redisCpuSec(deployment.probe.admins)) - idleFrom) * 1000) / (now() - idleStarted);
  const fanout = await run(ctx, deployment.pair, 1000, 1, entries, 20, deployment.probe);
  const redisCpuUsPerEntry =
    (((fanout.redisCpuMs ?? Number.NaN) - idleMsPerMs * fanout.elapsedMs) * 1000) / fanout.entries;
  ctx.progress(`row 9: ${deployment.label}, resume at the end of a 10,000-entry turn (A writes, B reads)`);
  const length = 10_000;
  const warm = await writer.instance.call<Turn>("ours.createTurn", { entries: 1000, text: DELTA_TEXT });
  for (let index = 0; index < 20; index++) await resumeOnce(ctx, reader.port, warm);
  const cold: number[] = [];
  let turn: Turn | null = null;
  const turns = ctx.quick ? 3 : 5;
  const memoryBefore = await redisBytes(deployment.probe.admins);
  for (let index = 0; index < turns; index++) {
    turn = await writer.instance.call<Turn>("ours.createTurn", { entries: length, text: DELTA_TEXT });
    await sleep(100);
    await resumeOnce(ctx, reader.port, warm);
    cold.push(await resumeOnce(ctx, reader.port, turn));
  }
  const memoryAfter = await redisBytes(deployment.probe.admins);
  const redisBytesPerEntry = (memoryAfter - memoryBefore) / (turns * length);
  const last = turn as Turn;
  const resume = await repeat(ctx.quick ? ctx.reps : 15, 3, () => resumeOnce(ctx, reader.port, last));
  return {
    label: deployment.label,
    fanout,
    redisCpuUsPerEntry,
    redisBytesPerEntry,
    resume: sample(resume),
    coldResume: sample(cold),
  };
}

export async function clusterRow(ctx: BenchContext): Promise<RowResult> {
  const entries = ctx.quick ? 40 : 250;
  const primary = await OwnRedis.start();
  const cluster = await OwnRedisCluster.start(3).catch(async (error: unknown) => {
    await primary.stop();
    throw error;
  });
  const primaryAdmin = createAdmin(primary.url);
  const clusterAdmins = cluster.ports.map((port) => createAdmin(`redis://127.0.0.1:${port}`));
  const instances: Instance[] = [];
  try {
    for (const admin of [primaryAdmin, ...clusterAdmins]) {
      admin.on("error", () => {});
      await admin.connect();
    }
    const single = await startPair(ctx, "single", primary.url, false);
    instances.push(...single.map(({ instance }) => instance));
    const onCluster = await startPair(ctx, "cluster", cluster.url, true);
    instances.push(...onCluster.map(({ instance }) => instance));
    const deployments: Deployment[] = [
      {
        label: "single primary",
        pair: single,
        probe: { admins: [primaryAdmin], namePrefix: `${ctx.prefix}-single` },
      },
      {
        label: "Redis Cluster (3 masters)",
        pair: onCluster,
        probe: { admins: clusterAdmins, namePrefix: `${ctx.prefix}-cluster` },
      },
    ];
    const results: DeploymentResult[] = [];
    for (const deployment of deployments) results.push(await measure(ctx, deployment, entries));
    const [onPrimary, sharded] = results as [DeploymentResult, DeploymentResult];
    const fanoutCell = (result: DeploymentResult) =>
      `p50/p99 ${fmt(result.fanout.p50, 2)}/${fmt(result.fanout.p99, 2)} ms; ${fmt(result.fanout.commandsPerEntry ?? Number.NaN, 3)} commands and ${fmt(result.redisCpuUsPerEntry, 3)} µs Redis CPU per entry; ${fmt(result.redisBytesPerEntry, 3)} B Redis memory per stored entry; ${result.fanout.connections} connections`;
    const resumeCell = (result: DeploymentResult) =>
      `${fmt(result.resume.median, 2)} ms (first resume on the reader ${fmt(result.coldResume.median, 2)} ms)`;
    const lines: Line[] = [
      {
        row: "9",
        what: "Redis Cluster (3 masters) vs single primary, two instances, 1,000 observers on one session: append→receive, Redis commands per entry (all masters), connections",
        ours: `cluster: ${fanoutCell(sharded)}`,
        reference: `single primary: ${fanoutCell(onPrimary)}`,
        ratio: fmtRatio(sharded.fanout.p99 / onPrimary.fanout.p99),
        goal: "p99 < 50 ms at 1,000 on the cluster",
        verdict: sharded.fanout.p99 < 50 ? "met" : "missed",
      },
      {
        row: "9",
        what: "Redis Cluster vs single primary: resume at the end of a 10,000-entry turn (written by A, resumed on B)",
        ours: `cluster: ${resumeCell(sharded)}`,
        reference: `single primary: ${resumeCell(onPrimary)}`,
        ratio: fmtRatio(sharded.resume.median / onPrimary.resume.median),
        goal: "—",
        verdict: "—",
      },
    ];
    return { lines, data: { entries, results } };
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    for (const admin of [primaryAdmin, ...clusterAdmins]) await admin.quit().catch(() => {});
    await cluster.stop();
    await primary.stop();
  }
}
