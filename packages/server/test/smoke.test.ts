import { describe, expect, it } from "vitest";
import { assemble, chunksOf, readEvents, startServer } from "./harness";

describe("smoke", () => {
  it("streams a turn", async () => {
    const { client } = await startServer();
    const sessionId = await client.createSession();
    const response = await client.send(sessionId, "Hello there [[words=5]] [[reasoning=3]] [[tool=search]]");
    expect(response.status).toBe(200);
    const { events } = await readEvents(response);
    console.log(events.map((e) => `${e.id ?? "-"} ${e.data}`).join("\n"));
    const message = await assemble(chunksOf(events));
    console.log(JSON.stringify(message, null, 1));
    console.log(JSON.stringify(await client.history(sessionId), null, 1).slice(0, 1500));
    console.log(await client.status(sessionId));
  });
});
