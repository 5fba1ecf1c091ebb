import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareEntryIds, compareEventCursors, formatEventId, parseEntryId, parseEventId } from "./event-id";

const digits = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const entryId = fc.tuple(digits, digits).map(([ms, seq]) => `${ms}-${seq}`);

describe("parseEventId", () => {
  it("§8.19 parses E:k as (E, k) and a plain E as the whole entry", () => {
    expect(parseEventId("1718000000000-3:1")).toEqual({ entryId: "1718000000000-3", frame: 1 });
    expect(parseEventId("1718000000000-3")).toEqual({
      entryId: "1718000000000-3",
      frame: Number.POSITIVE_INFINITY,
    });
  });

  it.each([
    ["empty", ""],
    ["frame only", ":3"],
    ["missing frame", "1-0:"],
    ["negative frame", "1-0:-1"],
    ["non-decimal frame", "1-0:x"],
    ["hex", "0x10-0:1"],
    ["negative ms", "-1-0:1"],
    ["non-ASCII digits", "١٢-0:1"],
    ["full-width digits", "１-0:1"],
    ["NUL", "1-0:1\u0000"],
    ["whitespace", " 1-0:1"],
    ["two frames", "1-0:1:2"],
    ["no seq", "1:1"],
    ["over-long", `${"9".repeat(40)}-${"9".repeat(30)}:1`],
  ])("§8.19 returns null for %s", (_name, value) => {
    expect(parseEventId(value)).toBeNull();
  });

  it("returns null for non-strings", () => {
    expect(parseEventId(undefined)).toBeNull();
    expect(parseEventId(12)).toBeNull();
    expect(parseEventId(null)).toBeNull();
  });

  it("canonicalises leading zeros", () => {
    expect(parseEventId("007-01:2")).toEqual({ entryId: "7-1", frame: 2 });
    expect(parseEntryId("00-00")).toBe("0-0");
  });

  it("round-trips every formatted id (property)", () => {
    fc.assert(
      fc.property(entryId, fc.nat(), (id, frame) => {
        expect(parseEventId(formatEventId({ entryId: id, frame }))).toEqual({ entryId: id, frame });
      }),
    );
  });

  it("never throws on garbage (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.anything()), (value) => {
        const parsed = parseEventId(value);
        expect(parsed === null || typeof parsed.entryId === "string").toBe(true);
        parseEntryId(value);
      }),
    );
  });
});

describe("compareEntryIds", () => {
  it("§8.7 compares numerically: 999-5 < 1000-0 < 1000-1", () => {
    expect(compareEntryIds("999-5", "1000-0")).toBeLessThan(0);
    expect(compareEntryIds("1000-0", "1000-1")).toBeLessThan(0);
    expect(compareEntryIds("1000-1", "1000-1")).toBe(0);
    expect(compareEntryIds("1000-10", "1000-9")).toBeGreaterThan(0);
    expect(compareEntryIds("18446744073709551615-0", "18446744073709551614-99")).toBeGreaterThan(0);
  });

  it("is a total order consistent with numeric order (property)", () => {
    fc.assert(
      fc.property(entryId, entryId, entryId, (a, b, c) => {
        const numeric = (id: string) => id.split("-").map(BigInt) as [bigint, bigint];
        const [am, as] = numeric(a);
        const [bm, bs] = numeric(b);
        const expected = am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
        expect(Math.sign(compareEntryIds(a, b))).toBe(expected);
        expect(Math.sign(compareEntryIds(b, a))).toBe(expected === 0 ? 0 : -expected);
        if (compareEntryIds(a, b) <= 0 && compareEntryIds(b, c) <= 0) {
          expect(compareEntryIds(a, c)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });

  it("orders a whole-entry cursor after every frame of its entry", () => {
    const whole = parseEventId("5-0")!;
    expect(compareEventCursors(parseEventId("5-0:99")!, whole)).toBeLessThan(0);
    expect(compareEventCursors(whole, parseEventId("5-1:0")!)).toBeLessThan(0);
  });
});
