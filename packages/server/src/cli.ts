import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { createReplayServer } from "./replay-server";

/** Parsed command-line options of `chat-replay-server`. */
export interface CliOptions {
  readonly port: number;
  readonly host: string;
}

const USAGE = `Usage: chat-replay-server [--port N] [--host HOST]

  --port N      port to listen on (0 = ephemeral; default 8787 or $PORT)
  --host HOST   interface to bind (default 127.0.0.1)
  --help        show this help`;

/** Parses argv into options; throws a message suitable for the terminal on bad input. */
export function parseCliOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): CliOptions | "help" {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: "string" },
      host: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const rawPort = values.port ?? env.PORT ?? "8787";
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) throw new Error(`--port must be 0-65535, got "${rawPort}"`);
  return { port, host: values.host ?? "127.0.0.1" };
}

/** Runs the server until SIGINT/SIGTERM, then closes turns, stores and sockets cleanly. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  let options: CliOptions | "help";
  try {
    options = parseCliOptions(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  const replay = createReplayServer();
  const http = serve(
    { fetch: replay.fetch, port: options.port, hostname: options.host },
    (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      console.log(`listening on http://${host}:${info.port}`);
    },
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`received ${signal}, shutting down`);
    await replay.close();
    http.close();
    (http as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}
