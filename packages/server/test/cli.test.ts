import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCliOptions } from "../src/cli";
import { otlpTracingFromEnv } from "../src/observability/cli-otel";

const bin = fileURLToPath(new URL("../bin/chat-replay-server.mjs", import.meta.url));

describe("chat-replay-server CLI", () => {
  it("parses --port and --host, and rejects a bad port", () => {
    expect(parseCliOptions(["--port", "0", "--host", "::1"], {})).toEqual({ port: 0, host: "::1" });
    expect(parseCliOptions([], {})).toEqual({ port: 8787, host: "127.0.0.1" });
    expect(parseCliOptions([], { PORT: "9000" })).toEqual({ port: 9000, host: "127.0.0.1" });
    expect(() => parseCliOptions(["--port", "http"], {})).toThrow(/--port/);
    expect(() => parseCliOptions(["--bogus"], {})).toThrow();
  });

  it("parses --max-len and --snapshot-every as positive integers", () => {
    expect(parseCliOptions(["--max-len", "64", "--snapshot-every", "16"], {})).toMatchObject({
      maxLength: 64,
      snapshotEvery: 16,
    });
    expect(() => parseCliOptions(["--snapshot-every", "0"], {})).toThrow(/--snapshot-every/);
  });

  it("takes --no-metrics and --log-level (or $CHAT_REPLAY_LOG_LEVEL), and rejects an unknown level", () => {
    expect(parseCliOptions(["--no-metrics", "--log-level", "debug"], {})).toMatchObject({
      metrics: false,
      logLevel: "debug",
    });
    expect(parseCliOptions([], { CHAT_REPLAY_LOG_LEVEL: "warn" })).toMatchObject({ logLevel: "warn" });
    expect(parseCliOptions([], {})).not.toHaveProperty("metrics");
    expect(() => parseCliOptions(["--log-level", "loud"], {})).toThrow(/--log-level/);
  });

  it("exports spans over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set, naming the endpoint without credentials", async () => {
    expect(await otlpTracingFromEnv({})).toBeNull();
    const tracing = await otlpTracingFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://user:pass@127.0.0.1:9/otlp?key=secret",
    });
    expect(tracing?.label).toBe("http://127.0.0.1:9/otlp");
    expect(tracing?.provider.getTracer("test").startSpan("probe").isRecording()).toBe(true);
    await tracing?.shutdown();
  });

  it("prints its URL once ready, serves the API, and exits cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (data: Buffer) => {
        output += data.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once("exit", (code) => reject(new Error(`exited early (${code}): ${output}`)));
    });
    const created = await fetch(`${url}/api/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(created.status).toBe(201);
    // Probes and metrics are on by default in the CLI.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain("chat_replay_open_readers");
    expect(metrics).toContain("chat_replay_process_cpu_seconds_total");
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });
});
