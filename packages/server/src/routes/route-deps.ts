import type { ReplayContext } from "../replay-options";
import type { TurnRunner } from "../turn-runner";
import type { StreamLimits } from "./stream-limits";

/** What every session route works with. */
export interface RouteDeps {
  readonly ctx: ReplayContext;
  readonly runner: TurnRunner;
  /** Open SSE responses of this process, counted against `limits.maxStreams*` (§3 Limits). */
  readonly streams: StreamLimits;
}
