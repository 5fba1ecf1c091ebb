/** The child side of `rpc.ts`: answers `{ id, op, args }` messages with the op's result. */
export type Op = (args: Record<string, unknown>) => Promise<unknown>;

export function serveOps(ops: Record<string, Op>): void {
  const all: Record<string, Op> = {
    ping: async () => process.pid,
    close: async () => {
      setImmediate(() => process.exit(0));
      return null;
    },
    ...ops,
  };
  process.on("message", async (message: { id: number; op: string; args: Record<string, unknown> }) => {
    const op = all[message.op];
    try {
      if (!op) throw new Error(`unknown op ${message.op}`);
      const result = await op(message.args);
      process.send?.({ id: message.id, ok: true, result });
    } catch (error) {
      process.send?.({
        id: message.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  });
  process.on("disconnect", () => process.exit(0));
}
