import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, type TestContext } from "vitest";
import { type ChromiumSession, launchChromium } from "./chromium";
import {
  answerText,
  assistantBubble,
  expectAccessible,
  expectMonotonicAnswer,
  mainPane,
  openNewChat,
  recordAnswerSnapshots,
  saveScreenshot,
  sendPrompt,
  settledAnswer,
  statusOf,
  uninterruptedAnswer,
  waitForAnswerLength,
} from "./demo-page";
import { Tunnel } from "./tunnel";

/**
 * Issue 14's proof in Chromium: a 20 s outage mid-turn, and no user action. The transport
 * used to give up after ~12 s and leave the answer frozen next to "Running" (then "Gave up
 * reconnecting" and "Failed to fetch" next to "Idle"); now the page must follow the turn
 * live again within a few seconds of the network returning and end with the full answer once.
 */

/** The scenario's outage: longer than the old retry budget (8 attempts, ~12 s). */
const OUTAGE_MS = 20_000;
/**
 * How soon after the network returns the answer must grow again. Generous: backoff is capped
 * at 5 s, and a status poll or the `online` event ends the wait sooner.
 */
const RECOVERY_TIMEOUT_MS = 10_000;

const demoUrl = inject("demoUrl");
let proxy: Tunnel;
/** The demo through the proxy: the page's only way to the server. */
let proxiedUrl: string;
let chromium: ChromiumSession;
let context: BrowserContext;
const pages: Page[] = [];

beforeAll(async () => {
  proxy = new Tunnel(demoUrl);
  proxiedUrl = await proxy.listen();
  chromium = await launchChromium();
  context = chromium.context;
});
afterAll(async () => {
  await chromium?.close();
  await proxy?.close();
});
afterEach(async () => {
  proxy.outage(false);
  await context.setOffline(false);
  await Promise.all(pages.splice(0).map((page) => page.close()));
});

/**
 * A turn that outlasts the outage and the recovery with room to spare (about 32 s: 800 words,
 * 40 ms apart), and the same answer without the pacing: the scripted model seeds its words
 * from the prompt without its directives, so only `[[delay]]` differs and the reference
 * costs no extra wall time.
 */
function longTurn(label: string): { prompt: string; reference: string } {
  return {
    prompt: `${label} [[words=800]] [[delay=40]]`,
    reference: `${label} [[words=800]] [[delay=0]]`,
  };
}

/** The phase the connection panel shows for the main chat's transport. */
function panelPhase(page: Page): Promise<string | null> {
  return page.locator(".connection-panel .phase-chip").getAttribute("data-phase");
}

/** Reads an integer the connection panel shows. */
async function panelNumber(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).first().textContent());
}

async function answerLength(page: Page): Promise<number> {
  return (await answerText(assistantBubble(mainPane(page)))).length;
}

/** The outage itself: the one wait on the clock, because its length is the scenario. */
function outageLasts(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How a test takes the network away and gives it back, and what the transport shows meanwhile. */
interface Outage {
  readonly name: string;
  start(): Promise<void>;
  end(): Promise<void>;
  /** The connection phase while the network is gone. */
  readonly phaseDuring: "reconnecting" | "offline";
}

/**
 * Streams a long turn, takes the network away for {@link OUTAGE_MS}, gives it back, and
 * checks the page without touching it: frozen during the outage, live again soon after,
 * then exactly the uninterrupted answer in one bubble with no error left on screen.
 */
async function survivesOutage(outage: Outage, annotate: TestContext["annotate"]): Promise<void> {
  const { prompt, reference } = longTurn(`Outlast a ${outage.name}`);
  const page = await context.newPage();
  pages.push(page);
  const snapshots = await recordAnswerSnapshots(page);
  const sessionId = await openNewChat(page, proxiedUrl);
  const expected = await uninterruptedAnswer(page, reference);
  const pane = mainPane(page);

  await sendPrompt(page, prompt);
  await waitForAnswerLength(pane, 100);
  await outage.start();
  await expect.poll(() => panelPhase(page), { timeout: 5_000 }).toBe(outage.phaseDuring);
  // Frozen: nothing arrives during the outage (what had arrived is painted by half time).
  await outageLasts(OUTAGE_MS / 2);
  const frozen = await answerLength(page);
  const attempts = await panelNumber(page, "reconnect-attempts");
  await outageLasts(OUTAGE_MS / 2);
  expect(await answerLength(page)).toBe(frozen);
  // Retrying through a tunnel spends attempts (capped backoff, never a last one); offline,
  // the transport waits for the network instead.
  if (outage.phaseDuring === "reconnecting") {
    expect(await panelNumber(page, "reconnect-attempts")).toBeGreaterThan(attempts);
  } else expect(await panelNumber(page, "reconnect-attempts")).toBe(attempts);
  // Attempts are not reconnects: none has worked yet.
  expect(await panelNumber(page, "reconnects")).toBe(0);
  expect(frozen).toBeLessThan(expected.length);
  // Still trying, not given up, and no error shown (the old transport gave up after ~12 s).
  expect(await panelPhase(page)).toBe(outage.phaseDuring);
  expect(await page.getByRole("alert").count()).toBe(0);
  expect(await mainPane(page).locator('.recovery-notice[data-recovery="resuming"]').count()).toBe(1);
  // The bubble says what is known: the attempt it is on (through a tunnel) or that it waits
  // for the network (offline), the words so far and the last position.
  const said = await mainPane(page).locator(".recovery-notice").textContent();
  expect(said).toMatch(
    outage.phaseDuring === "reconnecting"
      ? /Offline — resuming · attempt [1-9]\d* · \d+ words received \(last position: entry /
      : /Offline — resuming · waiting for the network · \d+ words received \(last position: entry /,
  );
  expect(await statusOf(pane)).toBe("running");
  await expectAccessible(page, `${outage.name}: ${outage.phaseDuring}`);

  // The network returns; nobody clicks anything. The answer grows again while the turn
  // still runs (shorter than the full answer, so live, not history adopted at the end).
  await outage.end();
  const back = Date.now();
  await expect
    .poll(() => answerLength(page), { timeout: RECOVERY_TIMEOUT_MS, interval: 100 })
    .toBeGreaterThan(frozen);
  const recoveredAfterMs = Date.now() - back;
  const resumed = await answerLength(page);
  expect(resumed, "the first growth after the outage is the whole answer: not live").toBeLessThan(
    expected.length,
  );
  await expect.poll(() => answerLength(page)).toBeGreaterThan(resumed);
  expect(await answerLength(page)).toBeLessThan(expected.length);
  expect(await panelPhase(page)).toBe("streaming");
  // Reconnects count the re-attaches that worked, not the attempts the outage cost.
  expect(await panelNumber(page, "reconnects")).toBeGreaterThanOrEqual(1);
  if (outage.phaseDuring === "reconnecting") {
    expect(await panelNumber(page, "reconnects")).toBeLessThan(await panelNumber(page, "reconnect-attempts"));
  }
  await annotate(`live again ${(recoveredAfterMs / 1000).toFixed(1)} s after the network returned`);
  await saveScreenshot(page, `${outage.name.replaceAll(" ", "-")}-live-again`);

  const final = await settledAnswer(page, sessionId);
  expect(final.text).toBe(expected);
  await expect.poll(() => answerText(assistantBubble(pane))).toBe(final.text);
  await expect.poll(() => statusOf(pane)).toBe("idle");
  expect(await pane.locator('li.bubble[data-role="assistant"]').count()).toBe(1);
  expect(await pane.locator("li.bubble").count()).toBe(2);
  expect(await assistantBubble(pane).getAttribute("data-message-id")).toBe(final.id);
  expect(await page.getByRole("alert").count()).toBe(0);
  expect(await page.locator('.phase-chip[data-phase="gave-up"]').count()).toBe(0);
  expect(await page.getByText("Gave up reconnecting").count()).toBe(0);
  expectMonotonicAnswer(await snapshots(), final);
  await saveScreenshot(page, `${outage.name.replaceAll(" ", "-")}-finished`);
}

describe("a 20 s outage mid-turn, no user action", () => {
  it("tunnel (every connection cut, new ones refused, navigator.onLine true): live again soon after, full answer once", async ({
    annotate,
  }) => {
    await survivesOutage(
      {
        name: "tunnel outage",
        start: async () => proxy.outage(true),
        end: async () => proxy.outage(false),
        // Nothing tells the page the network is gone: the transport retries with capped
        // backoff and the proxy refuses every attempt.
        phaseDuring: "reconnecting",
      },
      annotate,
    );
    expect(proxy.refused).toBeGreaterThan(0);
  });

  it("Chromium offline mode (offline/online events): waits offline, resumes on `online`, full answer once", async ({
    annotate,
  }) => {
    await survivesOutage(
      {
        name: "offline outage",
        start: async () => {
          await context.setOffline(true);
          // Chromium's offline emulation fails new requests and fires `offline`, but spares
          // a response already streaming over loopback (the answer keeps growing). A device
          // that loses its network loses its open connections too: the proxy cuts them.
          proxy.outage(true);
        },
        end: async () => {
          proxy.outage(false);
          await context.setOffline(false);
        },
        // The transport pauses instead of spending attempts, and retries on `online`.
        phaseDuring: "offline",
      },
      annotate,
    );
  });
});
