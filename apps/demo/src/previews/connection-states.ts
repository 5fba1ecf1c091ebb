import type { ConnectionState } from "@chat-replay/client";
import type { RecoveryState } from "../lib/recovery-tracker";

/** Transport snapshots for the connection previews, one per phase. */
export const CONNECTION_STATES = {
  idle: { lastEventId: null, reconnects: 0, phase: "idle", bytesReceived: 0, staleCursors: 0 },
  streaming: {
    lastEventId: "1800000000042-0:0",
    reconnects: 0,
    phase: "streaming",
    bytesReceived: 6_310,
    staleCursors: 0,
  },
  reconnecting: {
    lastEventId: "1800000000044-0:0",
    reconnects: 3,
    phase: "reconnecting",
    bytesReceived: 6_702,
    staleCursors: 0,
  },
  offline: {
    lastEventId: "1800000000044-0:0",
    reconnects: 5,
    phase: "offline",
    bytesReceived: 6_702,
    staleCursors: 0,
  },
  gaveUp: {
    lastEventId: "1800000000044-0:0",
    reconnects: 8,
    phase: "gave-up",
    bytesReceived: 6_702,
    staleCursors: 1,
  },
} satisfies Record<string, ConnectionState>;

/** The demo's recovery counts for the connection previews. */
export const RECOVERY_STATES = {
  none: { reconnects: 0, attempts: 0 },
  resuming: { reconnects: 1, attempts: 3 },
  gaveUp: { reconnects: 1, attempts: 8 },
} satisfies Record<string, RecoveryState>;
