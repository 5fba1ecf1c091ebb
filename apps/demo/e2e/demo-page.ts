import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";
import { parseHashRoute } from "../src/lib/hash-route.ts";

const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));

/** Page helpers for the demo's end-to-end tests, named after what a person does. */

/** Opens the demo and creates a chat with the welcome screen's button; returns the session id. */
export async function openNewChat(page: Page, demoUrl: string): Promise<string> {
  await page.goto(demoUrl);
  await page.getByRole("main").getByRole("button", { name: "Start a new chat" }).click();
  await page.waitForURL(/#\/session\//);
  const sessionId = parseHashRoute(new URL(page.url()).hash).sessionId;
  if (!sessionId) throw new Error(`no session in ${page.url()}`);
  await expect.poll(() => statusOf(mainPane(page))).toBe("idle");
  return sessionId;
}

/** Types a prompt into the composer and presses Enter. */
export async function sendPrompt(page: Page, prompt: string): Promise<void> {
  const box = mainPane(page).getByLabel("Message");
  await box.fill(prompt);
  await box.press("Enter");
}

/** The main chat pane. */
export function mainPane(page: Page): Locator {
  return page.locator('.chat-pane[data-variant="main"]');
}

/** The in-page observer's chat pane. */
export function observerPane(page: Page): Locator {
  return page.locator('.chat-pane[data-variant="observer"]');
}

/** The last assistant bubble of a pane. */
export function assistantBubble(pane: Locator): Locator {
  return pane.locator('li.bubble[data-role="assistant"]').last();
}

/** The answer text of a bubble: its text parts, concatenated as the message holds them. */
export async function answerText(bubble: Locator): Promise<string> {
  if ((await bubble.count()) === 0) return "";
  return (await bubble.locator('[data-testid="text-part"]').allTextContents()).join("");
}

/** The turn status the pane's badge shows (`data-status`). */
export async function statusOf(pane: Locator): Promise<string | null> {
  return pane.locator(".status-badge").getAttribute("data-status");
}

/** Waits until the answer has at least `chars` characters (the turn is visibly mid-stream). */
export async function waitForAnswerLength(pane: Locator, chars: number): Promise<void> {
  await expect
    .poll(async () => (await answerText(assistantBubble(pane))).length, { timeout: 20_000 })
    .toBeGreaterThan(chars);
}

/** The session's stored transcript, read through the page (its owner cookie) from the API. */
export async function storedMessages(page: Page, sessionId: string): Promise<StoredMessage[]> {
  return page.evaluate(async (id) => {
    const response = await fetch(`/api/sessions/${id}`);
    return ((await response.json()) as { messages: StoredMessage[] }).messages;
  }, sessionId);
}

/** A stored message, as much of it as the tests read. */
export interface StoredMessage {
  readonly id: string;
  readonly role: string;
  readonly parts: { readonly type: string; readonly text?: string; readonly state?: string }[];
}

/** The answer text of the last assistant message in a transcript. */
export function storedAnswer(messages: readonly StoredMessage[]): { id: string; text: string } {
  const last = messages.findLast((message) => message.role === "assistant");
  const text = (last?.parts ?? [])
    .flatMap((part) => (part.type === "text" ? [part.text ?? ""] : []))
    .join("");
  return { id: last?.id ?? "", text };
}

/** Waits for the turn to end and returns the server's stored answer once it is final. */
export async function settledAnswer(page: Page, sessionId: string): Promise<{ id: string; text: string }> {
  await expect
    .poll(
      async () => {
        const status = await page.evaluate(async (id) => {
          const response = await fetch(`/api/sessions/${id}/status`);
          return ((await response.json()) as { curr_run_id: string | null }).curr_run_id;
        }, sessionId);
        return status;
      },
      { timeout: 30_000 },
    )
    .toBeNull();
  return storedAnswer(await storedMessages(page, sessionId));
}

/**
 * The answer of the same prompt run start to finish with nothing in the way, in a session
 * of its own: the scripted model is deterministic per prompt, so this is what an interrupted
 * run must end up showing.
 */
export async function uninterruptedAnswer(page: Page, prompt: string): Promise<string> {
  const sessionId = await page.evaluate(async (text) => {
    const created = await fetch("/api/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { id } = (await created.json()) as { id: string };
    const turn = await fetch(`/api/sessions/${id}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: { id: `u-${id}`, role: "user", parts: [{ type: "text", text }] } }),
    });
    await turn.text();
    return id;
  }, prompt);
  return (await settledAnswer(page, sessionId)).text;
}

/** What the main pane's last assistant bubble showed over time (recorded in the page). */
export interface AnswerSnapshot {
  readonly id: string;
  readonly text: string;
}

/**
 * Records every distinct (bubble id, answer text) the main pane shows, from the first paint,
 * across reloads (an init script). A resume that lost or duplicated text would show a
 * snapshot that is not a prefix of the final answer, even if history adoption later fixed it.
 */
export async function recordAnswerSnapshots(page: Page): Promise<() => Promise<AnswerSnapshot[]>> {
  await page.addInitScript(() => {
    const key = "chat-replay-e2e:snapshots";
    const snapshots: { id: string; text: string }[] = JSON.parse(sessionStorage.getItem(key) ?? "[]");
    Object.assign(window, { chatReplaySnapshots: snapshots });
    // Kept in memory while the page lives; handed to the next page of this tab on reload.
    window.addEventListener("pagehide", () => sessionStorage.setItem(key, JSON.stringify(snapshots)));
    const read = () => {
      const bubbles = document.querySelectorAll(
        '.chat-pane[data-variant="main"] li.bubble[data-role="assistant"]',
      );
      const last = bubbles[bubbles.length - 1];
      if (!(last instanceof HTMLElement)) return;
      const text = [...last.querySelectorAll('[data-testid="text-part"]')]
        .map((part) => part.textContent)
        .join("");
      const previous = snapshots.at(-1);
      const id = last.dataset.messageId ?? "";
      if (previous?.id !== id || previous.text !== text) snapshots.push({ id, text });
    };
    new MutationObserver(read).observe(document, { subtree: true, childList: true, characterData: true });
  });
  return () =>
    page.evaluate(() => (window as unknown as { chatReplaySnapshots: AnswerSnapshot[] }).chatReplaySnapshots);
}

/** Every snapshot is of one bubble and a prefix of the final answer: nothing lost, nothing doubled. */
export function expectMonotonicAnswer(
  snapshots: readonly AnswerSnapshot[],
  final: { id: string; text: string },
) {
  const withText = snapshots.filter((snapshot) => snapshot.text !== "");
  expect(withText.length).toBeGreaterThan(1);
  expect(new Set(withText.map((snapshot) => snapshot.id))).toEqual(new Set([final.id]));
  const offending = withText.find((snapshot) => !final.text.startsWith(snapshot.text));
  expect(offending, "a shown answer that is not a prefix of the final one").toBeUndefined();
}

/**
 * What has the keyboard focus, as `tag:accessible text` (`"body"` when nothing does), read
 * two frames after the call so that a focus fix-up (a focused control that was disabled or
 * removed hands the focus to <body>) has happened.
 */
export function focused(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve) =>
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            const element = document.activeElement;
            if (!element || element === document.body) return resolve("body");
            const name = element.getAttribute("aria-label") ?? element.textContent?.trim() ?? "";
            resolve(`${element.tagName.toLowerCase()}:${name}`);
          }),
        ),
      ),
  );
}

/** Saves a full-page screenshot of the end state as a test artifact (gitignored). */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

const AXE_SOURCE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/**
 * Runs axe-core (WCAG 2.x A/AA rules and best practices) on the page as it is now, in the
 * light and then the dark theme (both palettes' contrast), and fails on any serious or
 * critical violation, naming the theme, the rule and the elements. Leaves the page light.
 */
export async function expectAccessible(page: Page, state: string): Promise<void> {
  const loaded = await page.evaluate(() => "axe" in window);
  if (!loaded) await page.addScriptTag({ path: AXE_SOURCE });
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: AxeApi }).axe;
      const result = await axe.run(document, { resultTypes: ["violations"] });
      if (result.passes.length < 10) throw new Error(`axe checked only ${result.passes.length} rules`);
      return result.violations
        .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
        .map((violation) => ({
          rule: violation.id,
          impact: violation.impact,
          targets: violation.nodes.slice(0, 5).map((node) => node.target.join(" ")),
        }));
    });
    expect(violations, `axe: serious or critical violations in state "${state}", ${colorScheme}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** As much of axe's API as the tests use. */
interface AxeApi {
  run(
    context: Document,
    options: { resultTypes: string[] },
  ): Promise<{
    violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
    passes: unknown[];
  }>;
}
