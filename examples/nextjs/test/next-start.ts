import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The recipe's directory (where `.next` is). */
const appDir = fileURLToPath(new URL("..", import.meta.url));

/** The built recipe served by `next start`, and how to stop it. */
export interface NextServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts `next start` on a free loopback port (`-p 0`; the port is read from its "Local:"
 * line) and waits until the page answers. Needs `next build` first (`pnpm test` runs it).
 */
export async function startNext(): Promise<NextServer> {
  if (!existsSync(`${appDir}/.next/BUILD_ID`)) {
    throw new Error(`No Next.js build in ${appDir}.next: run \`next build\` first (\`pnpm test\` does).`);
  }
  const next = createRequire(import.meta.url).resolve("next/dist/bin/next");
  const child = spawn(process.execPath, [next, "start", "-p", "0", "-H", "127.0.0.1"], {
    cwd: appDir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const close = () => stop(child);
  try {
    const url = await localUrl(child);
    for (;;) {
      const response = await fetch(url).catch(() => null);
      if (response?.ok) break;
      if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
    }
    return { url, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The URL `next start` prints on its "- Local:" line. */
function localUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    child.stderr?.on("data", (data: Buffer) => process.stderr.write(data));
    child.stdout?.on("data", (data: Buffer) => {
      output += data;
      const match = /Local:\s+(http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`next start exited with ${code}:\n${output}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}
