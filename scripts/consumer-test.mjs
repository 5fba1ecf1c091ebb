#!/usr/bin/env node
// The packed-tarball consumer test (issue 15): the published packages as an app we have
// never seen gets them. Packs @chat-replay/* with `pnpm pack` (prepack builds), creates a
// fresh app OUTSIDE the workspace (scripts/consumer-app/ plus a package.json written here)
// on an older `ai` 7.x / @ai-sdk/react 4.x / zod 4.x patch, installs it with npm (another
// package manager than ours; the npm cache keeps reruns fast), then:
//   1. the tree holds exactly one copy of ai, zod, @chat-replay/protocol (and the other
//      shared libraries), and `npm ls --all` sees no invalid or missing dependency;
//   2. `tsc --noEmit` type-checks the page (bundler resolution) and the server files
//      (nodenext: server.ts with the app's own zod `tool()`, node-client.cjs through the
//      CommonJS types), with skipLibCheck off;
//   3. `vite build` builds the page;
//   4. node-client.cjs `require()`s @chat-replay/server and @chat-replay/client and runs one
//      turn against server.ts (createReplayServer + serveNode) that calls the app's tool;
//   5. the packed `chat-replay-server` bin serves the API; a static server here serves the
//      built page and proxies /api to the bin; Debian's Chromium creates a session, sends a
//      prompt, and the rendered answer must equal the stored transcript, in one bubble.
//
// Usage: node scripts/consumer-test.mjs [--keep]   (--keep leaves the temp directory)
// Env: CHROMIUM_PATH (default /usr/bin/chromium), CONSUMER_TEST_TIMEOUT_MS (default 300000).
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, request } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { packPackage, publishedPackageDirs, root } from "./pack-packages.mjs";

/** The app's registry dependencies: older patches than the workspace's, on purpose. */
const DEPENDENCIES = {
  ai: "7.0.163",
  "@ai-sdk/react": "4.0.167", // the @ai-sdk/react release that depends on ai 7.0.163
  zod: "4.1.8", // the oldest zod our peer range (^4.1.8) allows
  react: "19.3.1",
  "react-dom": "19.3.1",
  "@tanstack/react-query": "5.100.14",
};
const DEV_DEPENDENCIES = {
  "@types/json-schema": "7.0.15", // @ai-sdk/provider's declarations import it (skipLibCheck is off)
  "@types/node": "24.19.4",
  "@types/react": "19.3.3",
  "@types/react-dom": "19.3.0",
  "@vitejs/plugin-react": "6.3.0",
  "playwright-core": "1.65.1",
  typescript: "5.9.3",
  vite: "8.4.0",
};
/** Libraries the app must have exactly one copy of (two would mean a nested copy of ours). */
const SINGLE_COPY = [
  "ai",
  "zod",
  "@chat-replay/protocol",
  "@chat-replay/client",
  "react",
  "@tanstack/react-query",
  "@ai-sdk/react",
];
/** Counted and reported, not asserted. */
const REPORTED_COPIES = ["@ai-sdk/provider", "eventsource-parser"];
const PROMPT = "hello [[words=60]] [[delay=10]]";
const PROMPT_WORDS = 60;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const TIMEOUT_MS = Number(process.env.CONSUMER_TEST_TIMEOUT_MS ?? 300_000);
const keep = process.argv.includes("--keep");

const started = performance.now();
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const log = (text) => console.log(`[consumer] ${text}`);

/** Cleanups, run last-in first-out once (success, failure, signal or timeout). */
const cleanups = [];
let cleaning = null;
function cleanUp() {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error(`[consumer] cleanup: ${error instanceof Error ? error.message : error}`);
      }
    }
  })();
  return cleaning;
}

let currentStep = "setup";
let interrupted = null;
async function fail(message) {
  if (interrupted) return cleanUp(); // the signal handler exits
  console.error(`\n[consumer] ✗ FAILED in "${currentStep}" after ${seconds(performance.now() - started)}:`);
  console.error(message);
  await cleanUp();
  process.exit(1);
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    interrupted = signal;
    console.error(`\n[consumer] interrupted by ${signal} in "${currentStep}": cleaning up`);
    void cleanUp().then(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}
setTimeout(
  () => void fail(`timed out after ${seconds(TIMEOUT_MS)} (CONSUMER_TEST_TIMEOUT_MS)`),
  TIMEOUT_MS,
).unref();

const timings = [];
async function step(name, body) {
  currentStep = name;
  const t0 = performance.now();
  log(`… ${name}`);
  const result = await body();
  const elapsed = performance.now() - t0;
  timings.push([name, elapsed]);
  log(`✓ ${name} (${seconds(elapsed)})`);
  return result;
}

/** A failed expectation or command: reported by its message alone (no stack). */
class CheckFailed extends Error {}
class CommandFailed extends Error {}
function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

/** The environment for npm and the app: no npm_* variables from a surrounding `pnpm run`. */
function cleanEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  for (const key of Object.keys(env)) {
    if (/^npm_/i.test(key) && !/^npm_config_(cache|registry|userconfig)$/i.test(key)) delete env[key];
  }
  // This Node first on PATH (npm, the bin's `#!/usr/bin/env node`).
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ""}`;
  return env;
}

/** A child process that is ours: killed by its PID (SIGTERM, then SIGKILL) at cleanup. */
function spawnOwned(command, args, options) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  const exited = new Promise((resolveExit, rejectExit) => {
    child.once("close", resolveExit);
    child.once("error", (error) =>
      rejectExit(new CommandFailed(`could not run ${command}: ${error.message}`)),
    );
  });
  cleanups.push(async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    process.kill(child.pid, "SIGTERM");
    const killer = setTimeout(() => child.exitCode === null && process.kill(child.pid, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  });
  return { child, exited };
}

/**
 * Runs a command to completion; rejects with its output when it exits non-zero or takes
 * longer than `timeoutMs` (then it is killed).
 */
async function run(command, args, { timeoutMs = 240_000, ...options } = {}) {
  const { child, exited } = spawnOwned(command, args, { env: cleanEnv(), ...options });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  let output = "";
  child.stdout.on("data", (data) => {
    output += data;
  });
  child.stderr.on("data", (data) => {
    output += data;
  });
  const code = await exited;
  clearTimeout(timer);
  if (code !== 0) {
    const tail = output.split("\n").slice(-80).join("\n");
    const how = timedOut
      ? `was killed after ${seconds(timeoutMs)}`
      : `exited with ${code ?? child.signalCode}`;
    throw new CommandFailed(`\`${[command, ...args].join(" ")}\` ${how}:\n${tail}`);
  }
  return output;
}

/** Starts a long-running process and resolves with the URL of its `listening on URL` line. */
async function startListening(label, command, args, options) {
  const { child, exited } = spawnOwned(command, args, { env: cleanEnv(), ...options });
  let output = "";
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new CheckFailed(`${label} did not print its URL in 30 s:\n${output}`)),
      30_000,
    );
    const onData = (data) => {
      output += data;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    exited.then(
      (code) => reject(new CheckFailed(`${label} exited with ${code} before listening:\n${output}`)),
      reject,
    );
  });
  // Whatever it reports on stderr later (errors, warnings) goes to ours, prefixed.
  child.stdout.removeAllListeners("data");
  child.stderr.removeAllListeners("data");
  child.stdout.resume();
  child.stderr.on("data", (data) => process.stderr.write(`[${label}] ${data}`));
  return url;
}

/** Every installed copy of each package under `dir/node_modules`: name → [version, path][]. */
function installedCopies(dir, copies = new Map()) {
  const modules = join(dir, "node_modules");
  if (!existsSync(modules)) return copies;
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith(".")) continue;
    const names = entry.startsWith("@")
      ? readdirSync(join(modules, entry)).map((name) => `${entry}/${name}`)
      : [entry];
    for (const name of names) {
      const packageDir = join(modules, name);
      const manifest = join(packageDir, "package.json");
      if (!existsSync(manifest)) continue;
      const { version } = JSON.parse(readFileSync(manifest, "utf8"));
      copies.set(name, [...(copies.get(name) ?? []), [version, packageDir]]);
      installedCopies(packageDir, copies);
    }
  }
  return copies;
}

/** Serves `distDir` (index.html for unknown paths) and proxies `/api/*` to `apiUrl`. */
async function startAppServer(distDir, apiUrl) {
  const api = new URL(apiUrl);
  const proxied = [];
  const types = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/api" || path.startsWith("/api/")) {
      // Host and Origin pass unchanged: the bin sees the page's own origin (same-origin writes).
      const upstream = request(
        { hostname: api.hostname, port: api.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          proxied.push({ method: req.method, path, status: answer.statusCode });
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
      res.on("close", () => upstream.destroy());
      req.pipe(upstream);
      return;
    }
    let file = resolve(distDir, `.${decodeURIComponent(path)}`);
    if (!file.startsWith(distDir + sep) || !existsSync(file) || statSync(file).isDirectory()) {
      if (extname(path) !== "") return void res.writeHead(404).end();
      file = join(distDir, "index.html");
    }
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  cleanups.push(
    () =>
      new Promise((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  );
  return { url: `http://127.0.0.1:${server.address().port}`, proxied };
}

/** Polls `probe` (every 100 ms) until it returns a value other than null; throws after `timeoutMs`. */
async function waitFor(what, timeoutMs, probe) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (performance.now() > deadline)
      throw new CheckFailed(`timed out after ${seconds(timeoutMs)} waiting for ${what}`);
    await new Promise((resolveLater) => setTimeout(resolveLater, 100));
  }
}

const textOf = (message) =>
  (message?.parts ?? []).flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");

try {
  check(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run \`bash .ci/ensure-chromium.sh\` (Debian's chromium).`,
  );
  const work = mkdtempSync(join(tmpdir(), "chat-replay-consumer-"));
  if (keep) log(`keeping ${work}`);
  else cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const app = join(work, "app");
  check(relative(root, work).startsWith(".."), `the temp directory ${work} is inside the repository`);
  for (let dir = dirname(work); ; dir = dirname(dir)) {
    // A node_modules above the app would satisfy what the app lacks.
    check(!existsSync(join(dir, "node_modules")), `${dir}/node_modules exists above the app: remove it`);
    if (dirname(dir) === dir) break;
  }

  const tarballs = await step("pack: pnpm pack of the published packages (prepack builds)", () => {
    const packed = {};
    for (const dir of publishedPackageDirs()) {
      const { name } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      try {
        packed[name] = packPackage(dir, join(work, "tarballs", name.replace(/[@/]/g, "_")));
      } catch (error) {
        throw new CommandFailed(error.message);
      }
    }
    for (const name of [
      "@chat-replay/protocol",
      "@chat-replay/client",
      "@chat-replay/react",
      "@chat-replay/server",
    ])
      check(packed[name], `${name} was not packed (not found among packages/* or private)`);
    log(
      `  ${Object.entries(packed)
        .map(([name, file]) => `${name} ${(statSync(file).size / 1024).toFixed(1)} kB`)
        .join(", ")}`,
    );
    return packed;
  });

  await step("npm install: a fresh app outside the workspace", async () => {
    cpSync(join(root, "scripts", "consumer-app"), app, { recursive: true });
    const fileDeps = Object.fromEntries(
      Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]),
    );
    const manifest = {
      name: "chat-replay-consumer",
      private: true,
      type: "module",
      dependencies: { ...fileDeps, ...DEPENDENCIES },
      devDependencies: DEV_DEPENDENCIES,
    };
    writeFileSync(join(app, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    const npmArgs = ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];
    log(`  ${(await run("npm", npmArgs, { cwd: app })).trim().split("\n").at(-1)}`);
  });

  await step("dedupe: one copy of each shared library, npm ls clean", async () => {
    const copies = installedCopies(app);
    const describe = (name) =>
      (copies.get(name) ?? []).map(([version, dir]) => `${version} at ${relative(app, dir)}`).join(", ");
    for (const name of SINGLE_COPY) {
      const count = copies.get(name)?.length ?? 0;
      check(count === 1, `${name}: expected exactly one copy, found ${count}: ${describe(name) || "none"}`);
    }
    for (const [name, version] of Object.entries(DEPENDENCIES)) {
      const installed = copies.get(name)?.[0]?.[0];
      check(installed === version, `${name}: installed ${installed}, the app asked for ${version}`);
    }
    log(
      `  installed: ${["ai", "@ai-sdk/react", "zod"].map((name) => `${name}@${copies.get(name)[0][0]}`).join(", ")}`,
    );
    log(`  one copy each: ${SINGLE_COPY.join(", ")}`);
    log(`  (reported) ${REPORTED_COPIES.map((name) => `${name}: ${describe(name)}`).join("; ")}`);
    await run("npm", ["ls", "--all", "--loglevel=error"], { cwd: app });
  });

  await step("tsc: --noEmit, the page (bundler) and the server files (nodenext, CommonJS)", async () => {
    const tsc = join(app, "node_modules", "typescript", "bin", "tsc");
    await run(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.json"], { cwd: app });
    await run(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.node.json"], { cwd: app });
  });

  await step("vite build: the page", async () => {
    const vite = join(app, "node_modules", "vite", "bin", "vite.js");
    await run(process.execPath, [vite, "build", "--logLevel", "warn"], { cwd: app });
    const assets = readdirSync(join(app, "dist", "assets"));
    const js = assets.filter((file) => file.endsWith(".js"));
    const bytes = js.reduce((sum, file) => sum + statSync(join(app, "dist", "assets", file)).size, 0);
    log(`  dist: ${js.length} script(s), ${(bytes / 1024).toFixed(1)} kB`);
  });

  await step("cjs: require() both packages, a turn with the app's own tool through server.ts", async () => {
    const serverUrl = await startListening("server.ts", process.execPath, ["server.ts"], { cwd: app });
    const output = await run(process.execPath, ["node-client.cjs", serverUrl], {
      cwd: app,
      timeoutMs: 30_000,
    });
    const history = JSON.parse(output.trim().split("\n").at(-1));
    check(
      history.map((message) => message.role).join() === "user,assistant",
      `stored roles: ${history.map((message) => message.role)}`,
    );
    const toolPart = history[1].parts.find((part) => part.type === "tool-lookup_order");
    check(
      toolPart?.state === "output-available" && toolPart.output?.status === "shipped",
      `the app's lookup_order tool did not run: ${JSON.stringify(history[1].parts)}`,
    );
    check(textOf(history[1]).length > 0, "no answer text after the tool result");
  });

  const { chromium } = createRequire(join(app, "package.json"))("playwright-core");

  await step("chromium: the packed bin serves the API, one turn through the built page", async () => {
    const secret = crypto.randomUUID();
    const bin = join(app, "node_modules", ".bin", "chat-replay-server");
    const apiUrl = await startListening("chat-replay-server", bin, ["--port", "0", "--secret", secret], {
      cwd: app,
    });
    const site = await startAppServer(join(app, "dist"), apiUrl);
    log(`  bin at ${apiUrl}, page at ${site.url} (/api proxied to the bin)`);

    const profile = join(work, "chromium-profile");
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    const pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") console.error(`[chromium console] ${message.text()}`);
    });
    const within = { timeout: 30_000 };

    await page.goto(site.url);
    await page.waitForURL(/\?session=/, within);
    const sessionId = new URL(page.url()).searchParams.get("session");
    await page.getByLabel("Message").fill(PROMPT);
    await page.getByRole("button", { name: "Send" }).click();

    // The answer is finished when the session is idle and its transcript (read with the
    // page's owner cookie) holds it.
    const stored = await waitFor("the stored transcript of the finished turn", within.timeout, async () => {
      const body = await page.evaluate(async (id) => {
        const response = await fetch(`/api/sessions/${id}`);
        return response.ok ? response.json() : null;
      }, sessionId);
      return body?.turn_status === "idle" && body.messages.length >= 2 ? body.messages : null;
    });
    check(
      stored.map((message) => message.role).join() === "user,assistant",
      `stored roles: ${stored.map((message) => message.role)}`,
    );
    const storedText = textOf(stored[1]);
    check(
      storedText.split(" ").length === PROMPT_WORDS,
      `stored answer has ${storedText.split(" ").length} words, expected ${PROMPT_WORDS}: ${storedText}`,
    );
    const rendered = () => page.locator('li[data-role="assistant"] span').allTextContents();
    try {
      await page.waitForFunction(
        (text) =>
          [...document.querySelectorAll('li[data-role="assistant"] span')]
            .map((span) => span.textContent)
            .join("|") === text,
        storedText,
        within,
      );
    } catch {
      throw new CheckFailed(
        `the page shows ${JSON.stringify(await rendered())}, stored: ${JSON.stringify(storedText)}`,
      );
    }
    check((await rendered()).length === 1, `assistant bubbles: ${(await rendered()).length}`);
    check((await page.locator('li[data-role="user"]').count()) === 1, "expected one user bubble");
    check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join("; ")}`);
    const turn = site.proxied.find(
      (entry) => entry.method === "POST" && /^\/api\/sessions\/[^/]+\/messages$/.test(entry.path),
    );
    check(turn?.status === 200, `the prompt's POST through the bin: ${JSON.stringify(turn)}`);
    log(`  session ${sessionId}: ${PROMPT_WORDS} words rendered = stored, one assistant bubble`);
    log(
      `  ${site.proxied.length} API requests through the bin (${[...new Set(site.proxied.map((e) => `${e.method} ${e.path.replace(sessionId, ":id")} ${e.status}`))].join(", ")})`,
    );
  });

  currentStep = "cleanup";
  await cleanUp();
  log(`timings: ${timings.map(([name, ms]) => `${name.split(":")[0]} ${seconds(ms)}`).join(" · ")}`);
  log(`✓ consumer test passed in ${seconds(performance.now() - started)}`);
  process.exit(0);
} catch (error) {
  const expected = error instanceof CheckFailed || error instanceof CommandFailed;
  await fail(
    expected ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error),
  );
}
