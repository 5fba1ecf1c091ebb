import { createHash } from "node:crypto";
import type { RedisClient } from "./redis-connection";

/**
 * A Lua script run atomically on Redis: `EVALSHA` first, `EVAL` when the server does not
 * know it yet (a fresh or restarted Redis). The stores build every compare-and-set
 * transition from these, so no two instances can interleave inside one.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(
    private readonly lua: string,
    private readonly keyCount: number,
  ) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  /** Runs the script with `keys` (exactly `keyCount` of them) and `args`. */
  async run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    if (keys.length !== this.keyCount) throw new Error(`script expects ${this.keyCount} keys`);
    try {
      return await client.call("EVALSHA", this.sha, this.keyCount, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return client.call("EVAL", this.lua, this.keyCount, ...keys, ...args);
    }
  }
}
