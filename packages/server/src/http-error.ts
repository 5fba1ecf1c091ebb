import type { ChatReplayErrorCode } from "@chat-replay/protocol";

/**
 * A JSON error response `{ error: { code, message } }` (§3), plus optional extra fields and
 * headers. Messages are ours: they never echo client input or internal details.
 */
export function errorResponse(
  status: number,
  code: ChatReplayErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return Response.json({ error: { code, message }, ...extra }, { status, headers });
}

/** A request body that is not JSON; the server answers 400. */
export class BadJsonError extends Error {
  override name = "BadJsonError";
}

/** Parses a JSON body; an empty body gives `empty`, malformed JSON throws {@link BadJsonError}. */
export async function readJson(c: { req: { text(): Promise<string> } }, empty: unknown): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return empty;
  try {
    return JSON.parse(text);
  } catch {
    throw new BadJsonError("body: not valid JSON");
  }
}
