import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Child processes started here; killed by pid if the test process exits without `stop()`. */
const children = new Set<ChildProcess>();
process.once("exit", () => killOwnRedisServers());

/** Kills (by pid) every redis-server started here that is still running. */
export function killOwnRedisServers(): void {
  for (const child of children) child.kill("SIGKILL");
}

/** Kills a child (SIGKILL by pid) and waits for its exit; nothing if it already exited. */
async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** A redis-server of a test's (or a bench row's) own, on its own port, without persistence; restartable. */
export class OwnRedis {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {}

  /** Starts one on a free port and waits until it answers PING; `extraArgs` are more `--option value`s. */
  static async start(extraArgs: readonly string[] = []): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), extraArgs);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The server process id (killed by id in `stop`, never by name). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** (Re)starts the server on the same port. */
  async restart(): Promise<void> {
    if (this.child) throw new Error("already running");
    const args = [
      ...["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      ...this.extraArgs,
    ];
    // In the temp directory: a replica's full sync writes an RDB file to the working directory.
    this.child = track(spawn("redis-server", args, { stdio: "ignore", cwd: tmpdir() }));
    const deadline = Date.now() + 5_000;
    while (!(await answersPing(this.port))) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Kills the server (SIGKILL by pid) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    await killAndWait(child);
  }
}

/**
 * A real Redis Cluster of the test's own: `masters` `redis-server` processes (Debian's
 * binary, no replicas, nothing on disk) on free loopback ports, joined with
 * `redis-cli --cluster create`. `--cluster-require-full-coverage no`, so the surviving
 * masters keep serving their slots when one is shut down (what the tests check).
 */
export class OwnRedisCluster {
  private readonly nodes: Array<{ port: number; child: ChildProcess | null }>;
  private readonly dir: string;

  private constructor(ports: readonly number[], dir: string) {
    this.nodes = ports.map((port) => ({ port, child: null }));
    this.dir = dir;
  }

  /** Starts the nodes, creates the cluster and waits until every node says `cluster_state:ok`. */
  static async start(masters = 3): Promise<OwnRedisCluster> {
    const ports: number[] = [];
    // The cluster bus listens on port + 10000: both must be free.
    while (ports.length < masters) {
      const port = await freePort();
      if (port + 10_000 < 65_536 && (await isFree(port + 10_000)) && !ports.includes(port)) ports.push(port);
    }
    const cluster = new OwnRedisCluster(ports, mkdtempSync(join(tmpdir(), "chat-replay-cluster-")));
    try {
      for (let index = 0; index < masters; index++) cluster.startNode(index);
      for (const { port } of cluster.nodes) await waitFor(() => answersPing(port), `node ${port}`);
      await run("redis-cli", [
        "--cluster",
        "create",
        ...ports.map((port) => `127.0.0.1:${port}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ]);
      for (const { port } of cluster.nodes) {
        await waitFor(
          async () => (await info(port, "CLUSTER", "INFO")).includes("cluster_state:ok"),
          "cluster_state:ok",
        );
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** A seed node's URL (any node works as the seed). */
  get url(): string {
    return `redis://127.0.0.1:${this.nodes[0]!.port}`;
  }

  get ports(): readonly number[] {
    return this.nodes.map((node) => node.port);
  }

  /** The port of the master serving `key`'s hash slot (`CLUSTER KEYSLOT`, `CLUSTER NODES`). */
  async portOfKey(key: string): Promise<number> {
    const seed = this.nodes.find((node) => node.child !== null);
    if (!seed) throw new Error("no node running");
    const slot = Number((await info(seed.port, "CLUSTER", "KEYSLOT", key)).trim());
    // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot or range>...
    for (const line of (await info(seed.port, "CLUSTER", "NODES")).split("\n")) {
      const fields = line.trim().split(" ");
      if (fields.length < 9 || !fields[2]!.includes("master")) continue;
      for (const range of fields.slice(8)) {
        const [low, high = low] = range.split("-").map(Number);
        if (low !== undefined && high !== undefined && low <= slot && slot <= high) {
          return Number(fields[1]!.split("@")[0]!.split(":").at(-1));
        }
      }
    }
    throw new Error(`no master serves slot ${slot}`);
  }

  /** Shuts the master on `port` down (SIGKILL by pid) and waits for it to exit. */
  async killNode(port: number): Promise<void> {
    const node = this.nodes.find((candidate) => candidate.port === port);
    const child = node?.child;
    if (!node || !child) return;
    node.child = null;
    await killAndWait(child);
  }

  /** Stops every node (by pid) and removes the nodes' directory. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(({ port }) => this.killNode(port)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private startNode(index: number): void {
    const node = this.nodes[index]!;
    const args = [
      "--port",
      String(node.port),
      "--bind",
      "127.0.0.1",
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      `nodes-${node.port}.conf`,
      "--cluster-node-timeout",
      "2000",
      "--cluster-require-full-coverage",
      "no",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      this.dir,
    ];
    node.child = track(spawn("redis-server", args, { stdio: "ignore" }));
  }
}

/**
 * A Sentinel-managed primary of the test's own: a primary, one replica and one sentinel
 * (`redis-server --sentinel`, quorum 1), all Debian's binary on free loopback ports.
 */
export class OwnRedisSentinel {
  private constructor(
    readonly name: string,
    readonly servers: readonly [OwnRedis, OwnRedis],
    readonly sentinelPort: number,
    private readonly sentinel: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(name = "mymaster"): Promise<OwnRedisSentinel> {
    // Replication loads over the socket (`swapdb`), so no RDB file is written anywhere.
    const diskless = ["--repl-diskless-load", "swapdb"];
    const primary = await OwnRedis.start(diskless);
    const replica = await OwnRedis.start([...diskless, "--replicaof", "127.0.0.1", String(primary.port)]);
    const dir = mkdtempSync(join(tmpdir(), "chat-replay-sentinel-"));
    const port = await freePort();
    // The sentinel rewrites its config file, so it gets one of its own.
    const config = join(dir, "sentinel.conf");
    writeFileSync(
      config,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        "",
      ].join("\n"),
    );
    const sentinel = track(spawn("redis-server", [config, "--sentinel"], { stdio: "ignore" }));
    const own = new OwnRedisSentinel(name, [primary, replica], port, sentinel, dir);
    try {
      await waitFor(() => answersPing(port), `sentinel ${port}`);
      await own.waitForReplica();
    } catch (error) {
      await own.stop();
      throw error;
    }
    return own;
  }

  /** `host:port` of the sentinel, as `createRedisStores({ sentinel })` takes it. */
  get sentinelAddress(): string {
    return `127.0.0.1:${this.sentinelPort}`;
  }

  /** The port of the current primary, as the sentinel names it. */
  async primaryPort(): Promise<number> {
    const reply = await info(this.sentinelPort, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", this.name);
    return Number(reply.trim().split("\n")[1]);
  }

  /** Waits until the replica has every write the primary acknowledged so far (`WAIT 1`). */
  async replicated(): Promise<void> {
    const primary = await this.primaryPort();
    await waitFor(async () => (await info(primary, "WAIT", "1", "1000")).trim() === "1", "replication");
  }

  /**
   * A manual failover (`SENTINEL FAILOVER`): the replica is promoted and the old primary
   * becomes its replica. Resolves with the new primary's port once it says `role:master`
   * and the old one `role:slave`.
   */
  async failover(): Promise<number> {
    const before = await this.primaryPort();
    await waitFor(
      async () => (await info(this.sentinelPort, "SENTINEL", "FAILOVER", this.name)).startsWith("OK"),
      "SENTINEL FAILOVER to be accepted",
    );
    let after = before;
    await waitFor(async () => {
      after = await this.primaryPort();
      return after !== before && (await info(after, "ROLE")).startsWith("master");
    }, "the promoted replica");
    // Until the sentinel has turned the old primary into a replica it still takes writes,
    // which the promoted one never sees (Sentinel's asynchronous replication).
    await waitFor(
      async () => (await info(before, "ROLE")).startsWith("slave"),
      "the old primary to be a replica",
    );
    return after;
  }

  /** Stops the sentinel and both servers (by pid) and removes the sentinel's directory. */
  async stop(): Promise<void> {
    await killAndWait(this.sentinel);
    await Promise.all(this.servers.map((server) => server.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Until the sentinel knows a replica whose link to the primary is up (it learns of it from INFO). */
  private async waitForReplica(): Promise<void> {
    await waitFor(async () => {
      const replicas = await info(this.sentinelPort, "SENTINEL", "REPLICAS", this.name);
      return /master-link-status\s+ok/.test(replicas) && !/s_down|o_down|disconnected/.test(replicas);
    }, "the sentinel to know a replica");
  }
}

async function info(port: number, ...command: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", ["-p", String(port), ...command]);
  return stdout;
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Redis Cluster: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether something on `host`:`port` answers a RESP PING with +PONG within 500 ms. */
export function answersPing(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
    socket.connect(port, host, () => socket.write("PING\r\n"));
  });
}

/** A free TCP port on loopback (bound and released; fine for a server of a test's own). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
