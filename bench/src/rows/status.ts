// Row 7: idle status polling: bytes on the wire per poll, share answered 304, server CPU.
import http from "node:http";
import type { Socket } from "node:net";
import { ReplayClient, type SessionStatusView } from "@chat-replay/client";
import { authHeaders, type BenchContext, type RowResult } from "../context";
import { Instance } from "../rpc";
import { fmt } from "../stats";
import type { Turn } from "./resume";

/** A `fetch` over one keep-alive node:http socket that counts the bytes both ways. */
function countingFetch(port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<Socket>();
  const statuses = new Map<number, number>();
  const fetchImpl = (input: string | URL | Request, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(String(input));
      const request = http.request(
        {
          host: "127.0.0.1",
          port,
          path: url.pathname + url.search,
          method: init?.method ?? "GET",
          headers: Object.fromEntries(new Headers(init?.headers)),
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === "string") headers.set(name, value);
            }
            resolve(new Response(status === 304 ? null : Buffer.concat(chunks), { status, headers }));
          });
        },
      );
      request.on("socket", (socket) => sockets.add(socket));
      request.on("error", reject);
      request.end();
    });
  const bytes = () => {
    let read = 0;
    let written = 0;
    for (const socket of sockets) {
      read += socket.bytesRead;
      written += socket.bytesWritten;
    }
    return { read, written };
  };
  return { fetch: fetchImpl as typeof fetch, bytes, statuses, close: () => agent.destroy() };
}

export async function statusRow(ctx: BenchContext): Promise<RowResult> {
  const polls = ctx.quick ? 500 : 2000;
  const instance = await Instance.start("ours-memory");
  try {
    const { port } = await instance.call<{ port: number }>("ours.start", {
      store: "memory",
      keyPrefix: `${ctx.prefix}:ours`,
      token: ctx.token,
      secret: ctx.secret,
    });
    // An idle session that has had a turn (its status carries a version > 0).
    const turn = await instance.call<Turn>("ours.createTurn", { entries: 3, end: true });
    const counting = countingFetch(port);
    const client = new ReplayClient({
      baseUrl: `http://127.0.0.1:${port}`,
      fetch: counting.fetch,
      headers: authHeaders(ctx),
    });
    let previous: SessionStatusView | undefined;
    for (let index = 0; index < 50; index++) previous = await client.status(turn.sessionId, previous);
    counting.statuses.clear();
    const bytesBefore = counting.bytes();
    const cpuBefore = await instance.call<{ cpuMs: number }>("usage");
    ctx.progress(`row 7: ${polls} idle polls of GET /status with the hook's client (If-None-Match)`);
    for (let index = 0; index < polls; index++) previous = await client.status(turn.sessionId, previous);
    const cpuAfter = await instance.call<{ cpuMs: number }>("usage");
    const bytesAfter = counting.bytes();
    counting.close();
    const notModified = (counting.statuses.get(304) ?? 0) / polls;
    const responseBytes = (bytesAfter.read - bytesBefore.read) / polls;
    const requestBytes = (bytesAfter.written - bytesBefore.written) / polls;
    const cpuPer1000 = ((cpuAfter.cpuMs - cpuBefore.cpuMs) / polls) * 1000;
    return {
      lines: [
        {
          row: "7",
          what: `Status polling, idle session, ${polls.toLocaleString()} polls: bytes per poll (response + request), share 304, server CPU per 1,000 polls`,
          ours: `${fmt(responseBytes)} + ${fmt(requestBytes)} B; ${fmt(notModified * 100, 4)} % 304; ${fmt(cpuPer1000)} ms CPU`,
          reference: "—",
          ratio: "—",
          goal: "≥ 99 % 304 while idle",
          verdict: notModified >= 0.99 ? "met" : "missed",
        },
      ],
      data: {
        polls,
        statuses: Object.fromEntries(counting.statuses),
        responseBytesPerPoll: responseBytes,
        requestBytesPerPoll: requestBytes,
        share304: notModified,
        serverCpuMsPer1000: cpuPer1000,
      },
    };
  } finally {
    await instance.stop();
  }
}
