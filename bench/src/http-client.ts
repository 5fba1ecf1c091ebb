import http from "node:http";
import net from "node:net";
import { now } from "./stats";

/** One agent for every bench request: no pooling limits, fresh sockets (like distinct browsers). */
export const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

export interface OpenOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Called with every body chunk and its arrival time (ms, `now()`). */
  readonly onData?: (chunk: Buffer, at: number) => void;
}

/**
 * A streaming HTTP response read with bare `node:http` (the cheapest client, so the numbers
 * are the server's): byte counts, arrival times and text matching across chunk boundaries.
 */
export class StreamHandle {
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  bytes = 0;
  /** When the request was sent / the headers arrived / the body ended (ms). */
  readonly startedAt = now();
  headersAt = 0;
  endedAt = 0;
  private tail = "";
  /** `found`: the pattern arrived in an earlier chunk, its event's end ("\n\n") has not yet. */
  private readonly watchers: { pattern: string; found: boolean; resolve: (at: number) => void }[] = [];
  private readonly byteWatchers: { bytes: number; resolve: (at: number) => void }[] = [];
  readonly ended: Promise<number>;
  readonly response: Promise<http.IncomingMessage>;
  private request!: http.ClientRequest;

  constructor(port: number, path: string, options: OpenOptions = {}) {
    let endResolve!: (at: number) => void;
    let endReject!: (error: Error) => void;
    this.ended = new Promise((resolve, reject) => {
      endResolve = resolve;
      endReject = reject;
    });
    this.ended.catch(() => {});
    this.response = new Promise((resolve, reject) => {
      this.request = http.request(
        {
          host: "127.0.0.1",
          port,
          path,
          method: options.method ?? "GET",
          headers: options.headers,
          agent,
        },
        (res) => {
          this.status = res.statusCode ?? 0;
          this.headers = res.headers;
          this.headersAt = now();
          resolve(res);
          res.on("data", (chunk: Buffer) => {
            const at = now();
            this.bytes += chunk.length;
            options.onData?.(chunk, at);
            if (this.watchers.length > 0) this.match(chunk.toString("latin1"), at);
            else this.tail = (this.tail + chunk.subarray(-4096).toString("latin1")).slice(-4096);
            for (let index = this.byteWatchers.length - 1; index >= 0; index--) {
              const watcher = this.byteWatchers[index]!;
              if (this.bytes < watcher.bytes) continue;
              this.byteWatchers.splice(index, 1);
              watcher.resolve(at);
            }
          });
          res.on("end", () => {
            this.endedAt = now();
            endResolve(this.endedAt);
          });
          res.on("error", endReject);
          res.on("aborted", () => endReject(new Error("aborted")));
        },
      );
      this.request.on("error", (error) => {
        reject(error);
        endReject(error);
      });
      if (options.body !== undefined) this.request.end(options.body);
      else this.request.end();
    });
  }

  /**
   * Resolves with the arrival time of the first complete SSE event containing `pattern`
   * (`pattern` within its first 4 KiB of the chunk it arrives in; the event may be any size).
   */
  waitFor(pattern: string): Promise<number> {
    return new Promise((resolve) => {
      this.watchers.push({ pattern, found: false, resolve });
      if (this.bytes > 0) this.match("", now());
    });
  }

  /** Resolves with the arrival time of the chunk that brought the body to `bytes` bytes. */
  waitForBytes(bytes: number): Promise<number> {
    if (this.bytes >= bytes) return Promise.resolve(now());
    return new Promise((resolve) => this.byteWatchers.push({ bytes, resolve }));
  }

  private match(text: string, at: number): void {
    const haystack = this.tail + text;
    for (let index = this.watchers.length - 1; index >= 0; index--) {
      const watcher = this.watchers[index]!;
      let end = -1;
      if (watcher.found) {
        // The event began in an earlier chunk (a frame larger than the kept tail): only its
        // end is missing, and nothing since the pattern held "\n\n" (else it would have resolved).
        end = haystack.indexOf("\n\n", Math.max(0, this.tail.length - 1));
      } else {
        const found = haystack.indexOf(watcher.pattern);
        if (found >= 0) {
          watcher.found = true;
          end = haystack.indexOf("\n\n", found + watcher.pattern.length);
        }
      }
      if (end >= 0) {
        this.watchers.splice(index, 1);
        watcher.resolve(at);
      }
    }
    this.tail = haystack.slice(-4096);
  }

  /** Closes the connection (a client going away). */
  close(): void {
    this.request.destroy();
  }
}

export function open(port: number, path: string, options?: OpenOptions): StreamHandle {
  return new StreamHandle(port, path, options);
}

/** A plain request whose whole body is read. */
export async function requestText(
  port: number,
  path: string,
  options: OpenOptions = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const chunks: Buffer[] = [];
  const handle = open(port, path, { ...options, onData: (chunk) => chunks.push(chunk) });
  await handle.response;
  await handle.ended;
  return { status: handle.status, headers: handle.headers, text: Buffer.concat(chunks).toString("utf8") };
}

/**
 * A bare-socket SSE reader for many concurrent observers: writes the GET by hand and scans
 * the raw bytes (no HTTP parser, no stream objects), so 1,000 of them cost the client little
 * and the delays measured are the server's. `onData` sees every raw chunk.
 */
export function rawObserver(
  port: number,
  path: string,
  headers: Record<string, string>,
  onData: (chunk: Buffer) => void,
): { ready: Promise<void>; ended: Promise<void>; close(): void } {
  const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
  const lines = [`GET ${path} HTTP/1.1`, "host: 127.0.0.1", "connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => {
    readyResolve = resolve;
  });
  let isReady = false;
  let head = "";
  socket.on("data", (chunk: Buffer) => {
    onData(chunk);
    if (!isReady) {
      head = (head + chunk.toString("latin1")).slice(-8192);
      if (head.includes('"type":"text-start"')) {
        isReady = true;
        readyResolve();
      }
    }
  });
  const ended = new Promise<void>((resolve, reject) => {
    socket.on("end", () => resolve());
    socket.on("close", () => resolve());
    socket.on("error", reject);
  });
  ended.catch(() => {});
  return { ready, ended, close: () => socket.destroy() };
}
