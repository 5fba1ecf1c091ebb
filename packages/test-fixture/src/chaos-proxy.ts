import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

/**
 * Response bytes a POST always gets before a planned accident: its headers (about 370 bytes
 * with the security headers), `start` and the position event, so the transport holds the
 * run and a cursor before any drop (a POST lost before that is a client-visible error, or an
 * answer only history can bring, not a stream drop).
 */
const POST_HEADER_BYTES = 1024;

/** What the proxy does to one client connection's server→client bytes. */
export type ConnectionPlan =
  | { readonly kind: "pass" }
  /** Reset (RST) after this many response bytes. */
  | { readonly kind: "cut"; readonly afterBytes: number }
  /** Close cleanly (FIN) after this many bytes, as a platform's duration cap does. */
  | { readonly kind: "close"; readonly afterBytes: number }
  /** Stop forwarding after this many bytes but keep the socket open. */
  | { readonly kind: "stall"; readonly afterBytes: number }
  /** Delay every forwarded chunk by up to this many ms (timing jitter). */
  | { readonly kind: "jitter"; readonly maxDelayMs: number }
  /** Reset the connection as soon as it is accepted. */
  | { readonly kind: "refuse" };

/**
 * A loopback TCP proxy that applies a plan per accepted connection: the network accidents
 * of the chaos suite (§ issue: cut, clean close, stall, jitter, refusal), deterministic
 * for a given plan function.
 */
export class ChaosProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private down = false;
  connections = 0;
  /** Connections refused during an {@link outage}. */
  refused = 0;

  constructor(
    private readonly target: { host: string; port: number },
    /**
     * The plan for a connection, given its index and whether its first request is a POST
     * (a prompt or continuation whose loss before the response began is a client-visible
     * error, not a stream drop).
     */
    private readonly planFor: (connectionIndex: number, isPost: boolean) => ConnectionPlan,
    private readonly random: () => number = Math.random,
  ) {}

  /** Starts listening on an ephemeral loopback port and returns its base URL. */
  async listen(): Promise<string> {
    this.server = createServer((client) => this.handle(client));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * A network outage: `true` resets every open connection and refuses new ones until
   * `false`, as a tunnel, a sleeping laptop or a phone's network switch does.
   */
  outage(down: boolean): void {
    this.down = down;
    if (down) for (const socket of this.sockets) socket.resetAndDestroy();
  }

  private handle(client: Socket): void {
    if (this.down) {
      this.refused++;
      client.on("error", () => {});
      client.resetAndDestroy();
      return;
    }
    const index = this.connections++;
    // Tracked from the accept: a connection opened before an outage (browsers keep spare
    // ones) is reset by it too, and one whose first request arrives during it is refused.
    this.sockets.add(client);
    client.on("close", () => this.sockets.delete(client));
    client.on("error", () => {});
    client.once("data", (first: Buffer) => {
      client.pause();
      if (this.down) {
        this.refused++;
        client.resetAndDestroy();
        return;
      }
      this.route(client, this.planFor(index, first.subarray(0, 5).toString() === "POST "), first);
    });
  }

  private route(client: Socket, plan: ConnectionPlan, first: Buffer): void {
    if (plan.kind === "refuse") {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(upstream);
    upstream.on("close", () => {
      this.sockets.delete(upstream);
      if (!client.destroyed) client.end();
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.write(first);
    client.pipe(upstream);
    client.resume();
    let forwarded = 0;
    let stopped = false;
    let afterBytes = "afterBytes" in plan ? plan.afterBytes : Number.POSITIVE_INFINITY;
    // A POST's response head always gets through (see planFor), also when the client sends
    // it on a kept-alive connection whose byte budget an earlier response nearly used up:
    // otherwise the POST would fail before its response began, which is not a stream drop.
    client.on("data", (data: Buffer) => {
      if (!stopped && data.subarray(0, 5).toString() === "POST ") {
        afterBytes = Math.max(afterBytes, forwarded + POST_HEADER_BYTES);
      }
    });
    upstream.on("data", (data: Buffer) => {
      if (stopped) return;
      if (plan.kind === "jitter") {
        upstream.pause();
        setTimeout(() => {
          if (!client.destroyed) client.write(data);
          upstream.resume();
        }, this.random() * plan.maxDelayMs);
        return;
      }
      if (plan.kind === "pass" || forwarded + data.length < afterBytes) {
        forwarded += data.length;
        client.write(data);
        return;
      }
      stopped = true;
      const head = data.subarray(0, Math.max(0, afterBytes - forwarded));
      forwarded = afterBytes;
      if (plan.kind === "stall") {
        client.write(head);
        return;
      }
      if (plan.kind === "close") {
        client.end(head);
        upstream.destroy();
        return;
      }
      client.write(head, () => client.resetAndDestroy());
      upstream.destroy();
    });
  }

  /** Closes the listener and every proxied socket. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A small seeded PRNG (mulberry32): the same seed replays the same schedule. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random plan per connection: mostly drops somewhere in the body, some stalls, jitter
 * and refusals, never more than `maxRefusals` refusals in a row (the transport's retry
 * budget is finite by design).
 */
export function randomPlans(random: () => number, options: { maxBytes: number; maxRefusals?: number }) {
  let refusalsInARow = 0;
  return (_index: number, isPost: boolean): ConnectionPlan => {
    const roll = random();
    // A POST's response head always gets through: see POST_HEADER_BYTES and ChaosProxy.planFor.
    const afterBytes = (isPost ? POST_HEADER_BYTES : 1) + Math.floor(random() * options.maxBytes);
    if (!isPost && roll < 0.1 && refusalsInARow < (options.maxRefusals ?? 2)) {
      refusalsInARow++;
      return { kind: "refuse" };
    }
    refusalsInARow = 0;
    if (roll < 0.35) return { kind: "cut", afterBytes };
    if (roll < 0.55) return { kind: "close", afterBytes };
    if (roll < 0.65) return { kind: "stall", afterBytes };
    if (roll < 0.75) return { kind: "jitter", maxDelayMs: 3 };
    return { kind: "pass" };
  };
}
