import { useSyncExternalStore } from "react";
import type { FrameLog, FrameRecord } from "../lib/frame-log";

/** The frames of a {@link FrameLog}, re-rendering as they arrive. */
export function useFrameLog(log: FrameLog): readonly FrameRecord[] {
  return useSyncExternalStore(log.subscribe, log.getSnapshot, log.getSnapshot);
}
