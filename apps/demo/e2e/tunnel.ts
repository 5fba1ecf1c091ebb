import { ChaosProxy } from "@chat-replay/test-fixture";

/**
 * A loopback path to the demo server whose network a test takes away and gives back: while
 * it is down, open connections are reset and nothing gets through, also on a connection
 * the browser opened before the outage and sends its first request on during it (Chromium
 * keeps spare connections; the proxy decides at the first request, so the plan refuses).
 */
export class Tunnel {
  private readonly proxy: ChaosProxy;
  private down = false;
  private refusedLate = 0;

  constructor(target: string) {
    const { hostname, port } = new URL(target);
    this.proxy = new ChaosProxy({ host: hostname, port: Number(port) }, () => {
      if (!this.down) return { kind: "pass" };
      this.refusedLate++;
      return { kind: "refuse" };
    });
  }

  /** Starts listening; returns the base URL to open instead of the server's. */
  listen(): Promise<string> {
    return this.proxy.listen();
  }

  /** `true` takes the network away (every open connection reset), `false` gives it back. */
  outage(down: boolean): void {
    this.down = down;
    this.proxy.outage(down);
  }

  /** Connections refused while the network was down. */
  get refused(): number {
    return this.proxy.refused + this.refusedLate;
  }

  close(): Promise<void> {
    return this.proxy.close();
  }
}
