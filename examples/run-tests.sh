#!/usr/bin/env bash
# The recipes' tests (examples/*, issue 15), one recipe at a time: each recipe's `pnpm test`.
# The recipes install the packages as users do (their built dist), so the packages are built
# first; the Next.js recipe's test runs `next build`, then drives `next start` in Debian's
# Chromium (`bash .ci/ensure-chromium.sh` installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
log="$(mktemp)"
pnpm build >"$log" 2>&1 || { cat "$log"; exit 1; }
rm -f "$log"
pnpm --filter "./examples/*" --workspace-concurrency=1 run test
