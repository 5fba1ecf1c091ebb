import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ATTACH_MODES,
  type AttachDecision,
  type AttachInput,
  type AttachTurn,
  attachCursor,
  attachHeaders,
  CURSOR_VERDICTS,
  decideAttach,
  readAttachHeaders,
} from "./decide-attach";
import { parseEventId } from "./event-id";

const RUN = "run-1";
const CURSOR = "1718000000000-3:1";
const MALFORMED = "1718000000000-3:x";

type Row = readonly [
  name: string,
  input: Partial<AttachInput> & { turn: AttachTurn },
  expected: AttachDecision,
];

const noCursor = { lastEventId: undefined, cursorFoldable: false };
const valid = { lastEventId: CURSOR, cursorFoldable: true };
const stale = { lastEventId: CURSOR, cursorFoldable: false };
const malformed = { lastEventId: MALFORMED, cursorFoldable: false };
const otherRun = { lastEventId: CURSOR, requestedRunId: "run-0", cursorFoldable: true };

const full = (cursor: AttachDecision["cursor"]): AttachDecision => ({
  mode: "full",
  cursor,
  resumeAfter: null,
});
const resume: AttachDecision = { mode: "resume", cursor: "valid", resumeAfter: parseEventId(CURSOR) };
const finishOnly: AttachDecision = { mode: "finish-only", cursor: "stale", resumeAfter: null };
const noContent = (cursor: AttachDecision["cursor"]): AttachDecision => ({
  mode: "no-content",
  cursor,
  resumeAfter: null,
});

/** Every row of the §6 table (turn × no / valid / stale cursor), plus the cursor-input rules. */
const TABLE: readonly Row[] = [
  ["§8.21 running · no cursor → full replay, then live", { turn: "running", ...noCursor }, full("none")],
  ["§8.22 running · valid cursor → resume, then live", { turn: "running", ...valid }, resume],
  ["§8.25 running · stale cursor → full replay, stale", { turn: "running", ...stale }, full("stale")],
  [
    "§8.25 running · another run's cursor (run_id) → full replay, stale",
    { turn: "running", ...otherRun },
    full("stale"),
  ],
  [
    "§8.19 running · malformed cursor → full replay, ignored",
    { turn: "running", ...malformed },
    full("ignored"),
  ],
  [
    "§8.26 waiting · no cursor → full replay; stops at the pause end",
    { turn: "waiting", ...noCursor },
    full("none"),
  ],
  ["waiting · valid cursor → resume; stops at the pause end", { turn: "waiting", ...valid }, resume],
  [
    "waiting · stale cursor → full replay; stops at the pause end",
    { turn: "waiting", ...stale },
    full("stale"),
  ],
  ["waiting · malformed cursor → full replay, ignored", { turn: "waiting", ...malformed }, full("ignored")],
  ["§8.28 ended, buffer kept · no cursor → 204", { turn: "ended", ...noCursor }, noContent("none")],
  ["§8.27 ended, buffer kept · valid cursor → resume to the final end", { turn: "ended", ...valid }, resume],
  ["§8.28 ended, buffer kept · stale cursor → finish-only", { turn: "ended", ...stale }, finishOnly],
  ["§8.28 ended · another run's cursor (run_id) → finish-only", { turn: "ended", ...otherRun }, finishOnly],
  ["§8.19 ended · malformed cursor → 204, ignored", { turn: "ended", ...malformed }, noContent("ignored")],
  // The store answers "not foldable" for every cursor once the buffer expired.
  ["§8.28 ended, no buffer · no cursor → 204", { turn: "ended", ...noCursor }, noContent("none")],
  ["§8.28 ended, no buffer · any cursor → (stale) finish-only", { turn: "ended", ...stale }, finishOnly],
  ["§8.28 never ran · no cursor → 204", { turn: "none", runId: null, ...noCursor }, noContent("none")],
  [
    "§8.28 never ran · any cursor → (stale) finish-only",
    { turn: "none", runId: null, lastEventId: CURSOR, cursorFoldable: true },
    finishOnly,
  ],
  [
    "§8.19 never ran · malformed cursor → 204, ignored",
    { turn: "none", runId: null, ...malformed },
    noContent("ignored"),
  ],
];

function inputOf(row: Row[1]): AttachInput {
  return { runId: RUN, lastEventId: undefined, requestedRunId: undefined, cursorFoldable: false, ...row };
}

describe("decideAttach (§6 attach table)", () => {
  it.each(TABLE)("§8.69 %s", (_name, row, expected) => {
    expect(decideAttach(inputOf(row))).toEqual(expected);
  });

  it("§8.69 the table reaches every mode and every cursor verdict", () => {
    const decisions = TABLE.map(([, row]) => decideAttach(inputOf(row)));
    expect(new Set(decisions.map((decision) => decision.mode))).toEqual(new Set(ATTACH_MODES));
    expect(new Set(decisions.map((decision) => decision.cursor))).toEqual(new Set(CURSOR_VERDICTS));
  });

  it("resumes from a bare entry id and from the position 0-0 when the store finds them foldable", () => {
    for (const lastEventId of ["1718000000000-3", "0-0"]) {
      const decision = decideAttach(inputOf({ turn: "running", lastEventId, cursorFoldable: true }));
      expect(decision).toEqual({ mode: "resume", cursor: "valid", resumeAfter: parseEventId(lastEventId) });
    }
  });

  it("resumes when run_id names the turn it attaches to", () => {
    expect(decideAttach(inputOf({ turn: "running", ...valid, requestedRunId: RUN }))).toEqual(resume);
  });

  it("consults the store's answer only for the cursor attachCursor returns (property)", () => {
    const turn = fc.constantFrom<AttachTurn>("running", "waiting", "ended", "none");
    const lastEventId = fc.option(fc.constantFrom(CURSOR, MALFORMED, "0-0", "", "1-0"), { nil: undefined });
    const requestedRunId = fc.option(fc.constantFrom(RUN, "run-0"), { nil: undefined });
    const runId = fc.option(fc.constant(RUN), { nil: null });
    fc.assert(
      fc.property(turn, runId, lastEventId, requestedRunId, (turn, runId, lastEventId, requestedRunId) => {
        const request = { turn, runId, lastEventId, requestedRunId };
        const foldable = decideAttach({ ...request, cursorFoldable: true });
        const unfoldable = decideAttach({ ...request, cursorFoldable: false });
        if (attachCursor(request) === null) expect(foldable).toEqual(unfoldable);
        // Only a valid cursor resumes, and a resume always carries it.
        expect(foldable.mode === "resume").toBe(foldable.cursor === "valid");
        expect(foldable.resumeAfter === null).toBe(foldable.mode !== "resume");
      }),
    );
  });
});

describe("attachCursor", () => {
  const request = { turn: "running", runId: RUN, lastEventId: CURSOR, requestedRunId: undefined } as const;

  it("is the parsed cursor when it names the turn /stream reads", () => {
    expect(attachCursor(request)).toEqual(parseEventId(CURSOR));
    expect(attachCursor({ ...request, requestedRunId: RUN })).toEqual(parseEventId(CURSOR));
  });

  it("is null for no cursor, a malformed one, another run's, or a session that never ran", () => {
    expect(attachCursor({ ...request, lastEventId: undefined })).toBeNull();
    expect(attachCursor({ ...request, lastEventId: MALFORMED })).toBeNull();
    expect(attachCursor({ ...request, requestedRunId: "run-0" })).toBeNull();
    expect(attachCursor({ ...request, turn: "none", runId: null })).toBeNull();
  });
});

describe("attach headers", () => {
  it("§6 state the mode always and the cursor verdict when stale or ignored", () => {
    expect(attachHeaders(full("stale"))).toEqual({
      "x-chat-replay-mode": "full",
      "x-chat-replay-cursor": "stale",
    });
    expect(attachHeaders(resume)).toEqual({ "x-chat-replay-mode": "resume" });
    expect(attachHeaders(noContent("ignored"))).toEqual({
      "x-chat-replay-mode": "no-content",
      "x-chat-replay-cursor": "ignored",
    });
  });

  it.each(TABLE)("read back to the same verdict: %s", (_name, row) => {
    const decision = decideAttach(inputOf(row));
    expect(readAttachHeaders(new Headers(attachHeaders(decision)))).toEqual({
      mode: decision.mode,
      cursor: decision.cursor,
    });
  });

  it("read an unknown or missing mode as null", () => {
    expect(readAttachHeaders(new Headers({ "x-chat-replay-mode": "partial" }))).toEqual({
      mode: null,
      cursor: null,
    });
    expect(readAttachHeaders(new Headers({ "x-chat-replay-cursor": "stale" }))).toEqual({
      mode: null,
      cursor: "stale",
    });
  });
});
