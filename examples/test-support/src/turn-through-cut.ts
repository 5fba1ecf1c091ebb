import { createReplayTransport, ReplayClient } from "@chat-replay/client";
import { ChaosProxy } from "@chat-replay/test-fixture";
import { readUIMessageStream, type UIMessage } from "ai";
import { expect } from "vitest";

/** One request the client made through the proxy, and what the server said it did (§6). */
export interface RecordedRequest {
  readonly method: string;
  /** The path below the app's origin, mount prefix included. */
  readonly path: string;
  readonly lastEventId: string | null;
  readonly status: number;
  /** `x-chat-replay-mode` of a `/stream` answer: `resume` after a valid cursor. */
  readonly mode: string | null;
}

/** What {@link turnThroughCut} saw. */
export interface CutTurn {
  /** The answer as the client assembled it across the cut. */
  readonly answer: UIMessage | undefined;
  /** The session's stored transcript once the turn settled. */
  readonly history: UIMessage[];
  /** Every request of the turn, in order: the POST that was cut, then the resumes. */
  readonly requests: RecordedRequest[];
}

/** A fetch that keeps the owner cookie the server set (Node's fetch keeps none). */
function cookieFetch(): typeof fetch {
  let cookie = "";
  return async (input, init) => {
    const request = new Request(input, init);
    if (cookie) request.headers.set("cookie", cookie);
    const response = await fetch(request);
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) cookie = setCookie.split(";")[0] ?? "";
    return response;
  };
}

/**
 * Drives one turn of the scripted model against a replay server mounted at `mountUrl` (an
 * app's origin plus the prefix it mounts chat-replay under, e.g. `http://127.0.0.1:3000/chat`).
 * The session is created directly; the turn goes through a TCP proxy that resets the
 * POST's connection after `cutAfterBytes` response bytes, mid-answer. The client's
 * transport must resume with `Last-Event-ID` through the same mount path.
 */
export async function turnThroughCut(
  mountUrl: string,
  { prompt = "Resume me [[words=150]] [[delay=2]]", cutAfterBytes = 4_000 } = {},
): Promise<CutTurn> {
  const target = new URL(mountUrl);
  // Only the first connection (the prompt's POST) is cut; the reconnects pass.
  const proxy = new ChaosProxy({ host: target.hostname, port: Number(target.port) }, (index) =>
    index === 0 ? { kind: "cut", afterBytes: cutAfterBytes } : { kind: "pass" },
  );
  const proxyOrigin = await proxy.listen();
  try {
    const ownerFetch = cookieFetch();
    const direct = new ReplayClient({ baseUrl: mountUrl, fetch: ownerFetch });
    const { id: sessionId } = await direct.createSession({ title: "recipe" });

    const requests: RecordedRequest[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const response = await ownerFetch(request);
      requests.push({
        method: request.method,
        path: new URL(request.url).pathname,
        lastEventId: request.headers.get("last-event-id"),
        status: response.status,
        mode: response.headers.get("x-chat-replay-mode"),
      });
      return response;
    };
    const transport = createReplayTransport({
      sessionId,
      baseUrl: `${proxyOrigin}${target.pathname}`,
      fetch: recordingFetch,
      reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
    });
    const stream = await transport.sendMessages({
      trigger: "submit-message",
      chatId: sessionId,
      messageId: undefined,
      messages: [{ id: "prompt-1", role: "user", parts: [{ type: "text", text: prompt }] }],
      abortSignal: undefined,
    });
    let answer: UIMessage | undefined;
    for await (const snapshot of readUIMessageStream<UIMessage>({ stream })) answer = snapshot;

    await expect
      .poll(async () => (await direct.status(sessionId)).turnStatus, { timeout: 10_000 })
      .toBe("idle");
    return { answer, history: await direct.history(sessionId), requests };
  } finally {
    await proxy.close();
  }
}

/**
 * The checks every recipe makes on {@link turnThroughCut}: the prompt's POST went through
 * the mount path and was cut, the client resumed with `Last-Event-ID` and the server
 * answered `resume`, and the answer assembled across the cut is exactly the stored one.
 */
export function expectExactResume(turn: CutTurn, mountPath: string): void {
  const [post, ...reconnects] = turn.requests;
  expect(post).toMatchObject({ method: "POST", status: 200, lastEventId: null });
  expect(post?.path).toMatch(new RegExp(`^${mountPath}/api/sessions/[^/]+/messages$`));
  const resume = reconnects.find((request) => request.lastEventId !== null);
  expect(resume, "a reconnect that sent Last-Event-ID").toBeDefined();
  expect(resume).toMatchObject({ method: "GET", status: 200, mode: "resume" });
  expect(resume?.path).toMatch(new RegExp(`^${mountPath}/api/sessions/[^/]+/stream$`));

  expect(turn.history.map((message) => message.role)).toEqual(["user", "assistant"]);
  // As JSON: the stored message went through JSON; the assembled one may hold `undefined`s.
  expect(JSON.parse(JSON.stringify(turn.answer))).toEqual(turn.history[1]);
}
