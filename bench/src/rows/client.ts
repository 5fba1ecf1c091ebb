// Row 6: client CPU (createReplayTransport vs DefaultChatTransport, same 5 MB stream) and
// React commits per 1,000 deltas in useVercelChat with the default throttle.
import { fileURLToPath } from "node:url";
import type { BenchContext, RowResult } from "../context";
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
  deltas: number;
  commits: number;
  ms: number;
  renderedChars: number;
  expectedChars: number;
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
  const reactWorker = await Instance.start("client-react", CLIENT_WORKER);
  let commits: CommitResult;
  try {
    ctx.progress("row 6: React commits while useVercelChat receives 1,000 deltas");
    commits = await reactWorker.call<CommitResult>("commits", { deltas: 1000 });
  } finally {
    await reactWorker.stop();
  }
  if (cpu.oursChunks !== cpu.theirsChunks) {
    throw new Error(`transports disagree: ${cpu.oursChunks} vs ${cpu.theirsChunks} chunks`);
  }
  const ours = median(cpu.oursMs);
  const theirs = median(cpu.theirsMs);
  return {
    lines: [
      {
        row: "6",
        what: `Client CPU to consume the same ${fmt(cpu.bytes / 1e6)} MB UI message stream (${cpu.oursChunks.toLocaleString()} chunks) in Node`,
        ours: `createReplayTransport ${fmt(ours)} ms`,
        reference: `DefaultChatTransport ${fmt(theirs)} ms`,
        ratio: fmtRatio(ours / theirs),
        goal: "≤ 1.05× its CPU",
        verdict: ours / theirs <= 1.05 ? "met" : "missed",
      },
      {
        row: "6",
        what: "React commits per 1,000 deltas in useVercelChat, default throttle (deltas 1 ms apart)",
        ours: `${commits.commits} commits (${fmt(commits.ms)} ms; ${commits.renderedChars === commits.expectedChars ? "text complete" : `text ${commits.renderedChars}/${commits.expectedChars} chars`})`,
        reference: "—",
        ratio: "—",
        goal: "—",
        verdict: "—",
      },
    ],
    data: { ...cpu, oursMs: sample(cpu.oursMs), theirsMs: sample(cpu.theirsMs), commits },
  };
}
