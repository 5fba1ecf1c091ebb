import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
const REGISTER = fileURLToPath(new URL("../register.mjs", import.meta.url));

/** Node flags that let a child run the workspace's TypeScript sources like this process. */
export const NODE_FLAGS = [
  "--conditions=@chat-replay/source",
  "--experimental-transform-types",
  "--disable-warning=ExperimentalWarning",
  "--import",
  REGISTER,
];

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

/**
 * A server instance in its own process (its CPU and memory are measured apart from the
 * clients'), driven over IPC: see `worker.ts` for the operations.
 */
export class Instance {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (e: Error) => void }
  >();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on("message", (message: Reply) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
    child.on("exit", (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited (${code})`));
      this.pending.clear();
    });
  }

  static async start(name: string, script = WORKER): Promise<Instance> {
    const child = fork(script, [name], {
      // BENCH_CPU_PROF=<dir>: every instance writes a V8 CPU profile there (`node --cpu-prof`).
      execArgv: [
        ...NODE_FLAGS,
        "--max-old-space-size=8192",
        // For the `gc` op: rows settle a worker's heap after a bulk setup, before measuring.
        "--expose-gc",
        // BENCH_TRACE_GC=1: every instance logs its garbage collections (pauses in a row's tail).
        ...(process.env.BENCH_TRACE_GC ? ["--trace-gc"] : []),
        ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      ],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const instance = new Instance(name, child);
    await instance.call("ping");
    return instance;
  }

  call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, op, args });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    await this.call("close").catch(() => {});
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }
}
