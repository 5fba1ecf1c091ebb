import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

/**
 * The demo resolves the workspace packages to their TypeScript sources (the
 * `@chat-replay/source` export condition), so edits to the hooks hot-reload in `pnpm dev`
 * and `pnpm demo` never depends on a stale package build.
 */
export default defineConfig({
  plugins: [react()],
  resolve: {
    conditions: ["@chat-replay/source", ...defaultClientConditions],
    // One copy of each stateful library, whichever workspace package imports it.
    dedupe: ["react", "react-dom", "@tanstack/react-query", "@ai-sdk/react", "ai"],
  },
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 1024 },
});
