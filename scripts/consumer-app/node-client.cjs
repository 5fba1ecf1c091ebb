// CommonJS, as Jest or an older Node server loads the packages: require() of
// @chat-replay/server and @chat-replay/client. Runs one turn against the app's server
// (server.ts, URL in argv) that calls the app's own tool, and prints the stored transcript.
const { createReplayServer } = require("@chat-replay/server");
const { createScriptedModel } = require("@chat-replay/server/testing");
const { createReplayTransport, ReplayClient } = require("@chat-replay/client");
const { readUIMessageStream } = require("ai");

/** A fetch that keeps the owner cookie the server sets (Node's fetch keeps none). */
function cookieFetch() {
  let cookie = "";
  /** @type {typeof fetch} */
  const withCookie = async (input, init) => {
    const request = new Request(input, init);
    if (cookie) request.headers.set("cookie", cookie);
    const response = await fetch(request);
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) cookie = setCookie.split(";")[0] ?? "";
    return response;
  };
  return withCookie;
}

/** @param {string} baseUrl */
async function main(baseUrl) {
  // The server entry loads and answers in-process under require() too.
  const inProcess = createReplayServer({ model: createScriptedModel() });
  const created = await inProcess.fetch(
    new Request("http://localhost/api/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    }),
  );
  await inProcess.close();
  if (!created.ok) throw new Error(`in-process POST /api/sessions answered ${created.status}`);

  const ownerFetch = cookieFetch();
  const client = new ReplayClient({ baseUrl, fetch: ownerFetch });
  const { id: sessionId } = await client.createSession({ title: "commonjs" });
  const transport = createReplayTransport({ sessionId, baseUrl, fetch: ownerFetch });
  const stream = await transport.sendMessages({
    trigger: "submit-message",
    chatId: sessionId,
    messageId: undefined,
    messages: [
      { id: "prompt-1", role: "user", parts: [{ type: "text", text: "order 42 [[tool=lookup_order]]" }] },
    ],
    abortSignal: undefined,
  });
  for await (const _snapshot of readUIMessageStream({ stream })) {
    // Drained: the turn has ended once the stream does.
  }
  for (let attempt = 0; (await client.status(sessionId)).turnStatus !== "idle"; attempt++) {
    if (attempt > 200) throw new Error("the turn never went idle");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  console.log(JSON.stringify(await client.history(sessionId)));
}

main(process.argv[2] ?? "").catch((error) => {
  console.error(error);
  process.exit(1);
});
