import { ChaosProxy, launchChromium } from "@chat-replay/test-fixture";
import type { UIMessage } from "ai";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NextServer, startNext } from "./next-start";

/**
 * The Next.js recipe as a user meets it: `next build`, `next start`, the page in Chromium.
 * The page reaches the app through a TCP proxy whose outage resets the turn's stream
 * mid-answer and refuses new connections until it ends, as a network drop does.
 */

let next: NextServer;
let proxy: ChaosProxy;
let proxiedUrl: string;
let chromium: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  next = await startNext();
  const target = new URL(next.url);
  proxy = new ChaosProxy({ host: target.hostname, port: Number(target.port) }, () => ({ kind: "pass" }));
  proxiedUrl = await proxy.listen();
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
  await proxy?.close();
  await next?.close();
});

/** How long a condition may take to hold (expect.poll's default is 1 s; CI machines are slower). */
const within = { timeout: 15_000 };

const assistantText = (page: Page) => page.locator('li[data-role="assistant"] span').first().textContent();
const connection = (page: Page, attribute: "data-phase" | "data-turn-status") =>
  page.getByTestId("connection").getAttribute(attribute);

describe("Next.js recipe", () => {
  it("one turn in Chromium survives a connection drop: the page resumes with Last-Event-ID through the route handler, ends with exactly the stored answer, in one assistant bubble", async () => {
    const page = await chromium.context.newPage();
    /** `/stream` requests that carried a cursor, and the mode the server answered (§6). */
    const resumes: { lastEventId: string; mode: string | undefined }[] = [];
    page.on("response", async (response) => {
      const url = new URL(response.url());
      if (!url.pathname.endsWith("/stream")) return;
      const lastEventId =
        (await response.request().headerValue("last-event-id")) ?? url.searchParams.get("last_event_id");
      if (lastEventId) resumes.push({ lastEventId, mode: response.headers()["x-chat-replay-mode"] });
    });

    await page.goto(proxiedUrl);
    await page.waitForURL(/\?session=/);
    const sessionId = new URL(page.url()).searchParams.get("session")!;
    await page.getByLabel("Message").fill("Survive a drop [[words=300]] [[delay=20]]");
    await page.getByRole("button", { name: "Send" }).click();

    const answerLength = async () => (await assistantText(page))?.length ?? 0;
    await expect.poll(answerLength, within).toBeGreaterThan(100);
    proxy.outage(true); // resets the turn's stream, refuses reconnects
    await expect.poll(() => connection(page, "data-phase"), within).toBe("reconnecting");
    proxy.outage(false);
    await expect.poll(() => resumes.length, within).toBeGreaterThan(0);
    // Live again: the answer grows after the resume while the turn still runs (checked
    // against the final length below), not adopted from history at its end.
    const atResume = await answerLength();
    await expect.poll(answerLength, within).toBeGreaterThan(atResume);
    const live = await answerLength();
    await expect.poll(() => connection(page, "data-turn-status"), within).toBe("idle");

    const stored = await page.evaluate(async (id) => {
      const response = await fetch(`/api/chat/api/sessions/${id}`);
      return ((await response.json()) as { messages: UIMessage[] }).messages;
    }, sessionId);
    expect(stored.map((message) => message.role)).toEqual(["user", "assistant"]);
    const storedText = stored[1]!.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
    await expect.poll(() => assistantText(page), within).toBe(storedText);
    expect(live).toBeLessThan(storedText.length);
    expect(await page.locator('li[data-role="assistant"]').count()).toBe(1);
    expect(await page.locator('li[data-role="user"]').count()).toBe(1);
    expect(resumes.every((resume) => resume.mode === "resume")).toBe(true);
    await page.close();
  });
});
