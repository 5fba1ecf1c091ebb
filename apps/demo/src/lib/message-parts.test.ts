import type { UIMessage } from "ai";
import { describe, expect, it } from "vitest";
import { assistantMessage, PARTS, userMessage } from "../previews/fixtures";
import { formatJson, pendingApprovals, toToolCallView } from "./message-parts";

describe("message parts", () => {
  it("lists the approval requests of the last assistant message only", () => {
    const paused: UIMessage[] = [
      userMessage("u", "deploy"),
      assistantMessage("a", [PARTS.toolApprovalRequested]),
    ];
    expect(pendingApprovals(paused)).toEqual([
      {
        approvalId: "call-3",
        toolCallId: "call-3",
        toolName: "deploy",
        input: { query: "Deploy the demo app" },
      },
    ]);
    expect(pendingApprovals([...paused, userMessage("u2", "next")])).toEqual([]);
    expect(pendingApprovals([userMessage("u", "x"), assistantMessage("a", [PARTS.toolDenied])])).toEqual([]);
  });

  it("flattens tool parts into one view with output, error and decision", () => {
    expect(toToolCallView(PARTS.toolDone)).toMatchObject({ toolName: "search", state: "output-available" });
    expect(toToolCallView(PARTS.toolError).errorText).toBe("The fail tool always fails (break).");
    expect(toToolCallView(PARTS.toolDenied).approved).toBe(false);
  });

  it("formats JSON, with a dash for nothing", () => {
    expect(formatJson(undefined)).toBe("—");
    expect(formatJson({ a: 1 })).toBe('{\n  "a": 1\n}');
  });
});
