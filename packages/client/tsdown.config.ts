import { defineConfig } from "tsdown";

// ESM (.mjs) and CommonJS (.cjs) with their own declarations (.d.mts, .d.cts), source maps
// and declaration maps. package.json's exports (and publishConfig.exports) point at them.
// The maps point into src/, which is published too, instead of embedding the sources.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  // CommonJS is shipped on purpose (apps that still require() us): no "prefer ESM" notice.
  checks: { legacyCjs: false },
  fixedExtension: true,
  dts: { sourcemap: true },
  sourcemap: true,
  outputOptions: { sourcemapExcludeSources: true },
  clean: true,
  platform: "neutral",
});
