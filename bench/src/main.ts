// `pnpm --filter @chat-replay/bench bench [--quick] [--rows 1,2] [--redis-url URL]`
// Issue 9: ours against the raw node:http limit and against Vercel's resumable-stream.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { mintOwnerToken } from "@chat-replay/server";
import {
  type BenchContext,
  createAdmin,
  deleteKeys,
  type Line,
  type RedisAdmin,
  type RowResult,
} from "./context";
import { renderTable } from "./report";
import { clientRow } from "./rows/client";
import { clusterRow } from "./rows/cluster";
import { fanoutRow } from "./rows/fanout";
import { followerRow } from "./rows/follower";
import { historyRow } from "./rows/history";
import { observabilityRow } from "./rows/observability";
import { peerRow } from "./rows/peer";
import { resumeRow } from "./rows/resume";
import { statusRow } from "./rows/status";
import { throughputRow } from "./rows/throughput";
import { now } from "./stats";
import { resumeChart } from "./svg";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rows: { type: "string" },
    "redis-url": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "Usage: pnpm --filter @chat-replay/bench bench [--quick] [--rows 1,2,...] [--redis-url redis://127.0.0.1:6379]",
  );
  process.exit(0);
}

const quick = values.quick ?? false;
const redisUrl = values["redis-url"] ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const selected = new Set((values.rows ?? "1,2,3,4,5,6,7,8,9,10").split(",").map((row) => row.trim()));
const resultsDir = fileURLToPath(new URL("../results/", import.meta.url));
const startedAt = now();
const elapsed = () => `${((now() - startedAt) / 1000).toFixed(1)} s`;

async function connectRedis(): Promise<{
  redis: RedisAdmin | null;
  version: string | null;
  reason: string | null;
}> {
  const redis = createAdmin(redisUrl);
  redis.on("error", () => {});
  try {
    await redis.connect();
    const info = await redis.info("server");
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
    return { redis, version, reason: null };
  } catch (error) {
    return { redis: null, version: null, reason: `Redis at ${redisUrl} unreachable: ${String(error)}` };
  }
}

const { redis, version: redisVersion, reason } = await connectRedis();
const cpus = os.cpus();
console.log(`chat-replay bench${quick ? " --quick" : ""}`);
console.log(`Node ${process.version} · ${os.availableParallelism()} CPUs (${cpus[0]?.model.trim() ?? "?"})`);
console.log(`Redis ${redisVersion ?? `not available (${reason})`} at ${redisUrl}`);

const secret = randomBytes(32).toString("base64url");
const ctx: BenchContext = {
  quick,
  redisUrl,
  prefix: `bench-${randomBytes(4).toString("hex")}`,
  secret,
  token: await mintOwnerToken(secret),
  redis,
  redisUnavailable: reason,
  reps: 5,
  results: new Map(),
  progress: (line) => console.log(`  [${elapsed()}] ${line}`),
};

const rows: { id: string; title: string; run: (ctx: BenchContext) => Promise<RowResult>; redis: boolean }[] =
  [
    { id: "1", title: "SSE throughput", run: throughputRow, redis: false },
    { id: "2", title: "resume latency", run: resumeRow, redis: false },
    { id: "3", title: "live follower on Redis", run: followerRow, redis: true },
    { id: "4", title: "fan-out", run: fanoutRow, redis: false },
    { id: "5", title: "peer head-to-head", run: peerRow, redis: true },
    { id: "6", title: "client CPU and React commits", run: clientRow, redis: false },
    { id: "7", title: "status polling", run: statusRow, redis: false },
    { id: "8", title: "history store: Postgres vs Redis", run: historyRow, redis: true },
    { id: "9", title: "Redis Cluster vs single primary", run: clusterRow, redis: false },
    { id: "10", title: "observability overhead", run: observabilityRow, redis: false },
  ];

const lines: Line[] = [];
const data: Record<string, unknown> = {};
const results = ctx.results;
try {
  for (const row of rows) {
    if (!selected.has(row.id)) continue;
    console.log(`[${elapsed()}] row ${row.id}/${rows.length}: ${row.title}`);
    if (row.redis && ctx.redisUnavailable) {
      lines.push(notMeasured(row.id, row.title, ctx.redisUnavailable));
      continue;
    }
    try {
      const result = await row.run(ctx);
      results.set(row.id, result);
      lines.push(...result.lines);
      data[`row${row.id}`] = result.data;
    } catch (error) {
      console.error(`  row ${row.id} failed:`, error);
      lines.push(
        notMeasured(
          row.id,
          row.title,
          error instanceof Error ? error.message.split("\n")[0]! : String(error),
        ),
      );
    }
  }
} finally {
  if (redis) {
    const deleted = await deleteKeys(redis, ctx.prefix).catch(() => 0);
    console.log(`[${elapsed()}] deleted ${deleted} Redis keys with prefix ${ctx.prefix}`);
    await redis.quit().catch(() => {});
  }
}

function notMeasured(row: string, what: string, why: string): Line {
  return {
    row,
    what,
    ours: `not measured (${why})`,
    reference: "—",
    ratio: "—",
    goal: "—",
    verdict: "not measured",
  };
}

const environment = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.availableParallelism(),
  cpuModel: cpus[0]?.model.trim() ?? null,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  redis: redisVersion,
  quick,
  repetitions: ctx.reps,
  durationSec: Number(((now() - startedAt) / 1000).toFixed(1)),
};
console.log("");
console.log(renderTable(lines));
console.log("");
mkdirSync(resultsDir, { recursive: true });
const jsonPath = `${resultsDir}latest.json`;
writeFileSync(jsonPath, `${JSON.stringify({ environment, table: lines, ...data }, null, 2)}\n`);
console.log(`wrote ${jsonPath}`);
const resume = results.get("2");
if (resume) {
  const svgPath = `${resultsDir}resume-latency.svg`;
  writeFileSync(svgPath, resumeChart(resume.data, environment));
  console.log(`wrote ${svgPath}`);
}
console.log(`done in ${elapsed()}`);
process.exit(0);
