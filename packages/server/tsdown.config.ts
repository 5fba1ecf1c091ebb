import { defineConfig } from "tsdown";

export default defineConfig({
  entry: ["src/index.ts", "src/redis.ts", "src/node.ts", "src/testing.ts", "src/cli.ts", "src/bin.ts"],
  format: "esm",
  dts: true,
  clean: true,
  platform: "node",
});
