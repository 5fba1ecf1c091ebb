#!/usr/bin/env node
// Built by `pnpm build` (runs on `pnpm install` in this repository).
import "../dist/bin.mjs";
