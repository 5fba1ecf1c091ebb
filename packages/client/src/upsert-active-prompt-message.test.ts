import type { UIMessage } from "ai";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { upsertActivePromptMessage } from "./upsert-active-prompt-message";

const text = (id: string, role: UIMessage["role"], body: string): UIMessage => ({
  id,
  role,
  parts: [{ type: "text", text: body }],
});
const active = { sessionId: "s", runId: "r", prompt: "Hello?", promptMessageId: "m1" };

describe("upsertActivePromptMessage (§8.44)", () => {
  it("appends the prompt to an empty list", () => {
    expect(upsertActivePromptMessage([], active)).toEqual([text("m1", "user", "Hello?")]);
  });

  it("inserts the prompt right before the run's bubble", () => {
    const messages = [
      text("a", "user", "x"),
      text("b", "assistant", "y"),
      text("s:r", "assistant", "partial"),
    ];
    expect(upsertActivePromptMessage(messages, active).map((message) => message.id)).toEqual([
      "a",
      "b",
      "m1",
      "s:r",
    ]);
  });

  it("leaves the sender's optimistic copy alone (same array)", () => {
    const messages = [text("local-1", "user", "Hello?")];
    expect(upsertActivePromptMessage(messages, active)).toBe(messages);
    const withBubble = [text("local-1", "user", "Hello?"), text("s:r", "assistant", "")];
    expect(upsertActivePromptMessage(withBubble, active)).toBe(withBubble);
  });

  it("is a no-op the second time (same array)", () => {
    const once = upsertActivePromptMessage([text("a", "assistant", "earlier")], active);
    expect(upsertActivePromptMessage(once, active)).toBe(once);
  });

  it("uses active-user:<session>:<run> when the prompt has no client id", () => {
    const once = upsertActivePromptMessage([], { ...active, promptMessageId: null });
    expect(once[0]?.id).toBe("active-user:s:r");
    expect(upsertActivePromptMessage(once, { ...active, promptMessageId: null })).toBe(once);
  });

  it("does nothing for a blank prompt or a missing run (same array)", () => {
    const messages: UIMessage[] = [];
    expect(upsertActivePromptMessage(messages, { ...active, prompt: "  " })).toBe(messages);
    expect(upsertActivePromptMessage(messages, { ...active, runId: null })).toBe(messages);
    expect(upsertActivePromptMessage(messages, { ...active, prompt: null })).toBe(messages);
  });

  it("is idempotent, never duplicates and keeps the order of existing messages (property)", () => {
    const message = fc
      .record({
        id: fc.constantFrom("a", "b", "c", "m1", "s:r", "d"),
        role: fc.constantFrom("user", "assistant") as fc.Arbitrary<UIMessage["role"]>,
        body: fc.constantFrom("Hello?", "x"),
      })
      .map(({ id, role, body }) => text(id, role, body));
    fc.assert(
      fc.property(fc.uniqueArray(message, { selector: (item) => item.id, maxLength: 6 }), (messages) => {
        const once = upsertActivePromptMessage(messages, active);
        expect(upsertActivePromptMessage(once, active)).toBe(once);
        expect(new Set(once.map((item) => item.id)).size).toBe(once.length);
        expect(once.filter((item) => messages.includes(item))).toEqual(messages);
        expect(once.length - messages.length).toBeLessThanOrEqual(1);
      }),
    );
  });
});
