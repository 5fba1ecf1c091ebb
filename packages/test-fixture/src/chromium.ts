import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's Chromium (`.ci/ensure-chromium.sh` installs it); never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Flags for a quiet headless Chromium on a machine with no network beyond loopback: without
 * the background-networking ones it floods the closed network with refused connections.
 */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A Chromium context on a fresh profile directory, and how to dispose of both. */
export interface ChromiumSession {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium through playwright-core with a fresh user-data-dir, for the
 * demo's e2e and the recipes' browser tests.
 * @example
 * const { context, close } = await launchChromium({ viewport: { width: 1360, height: 900 } });
 */
export async function launchChromium(
  options: { readonly viewport?: { width: number; height: number } } = {},
): Promise<ChromiumSession> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: run \`bash .ci/ensure-chromium.sh\` (Debian's chromium package).`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), "chat-replay-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
    ...(options.viewport ? { viewport: options.viewport } : {}),
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
