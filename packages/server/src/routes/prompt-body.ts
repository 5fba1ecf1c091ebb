import { type UIMessage, validateUIMessages } from "ai";
import type { Context } from "hono";
import { errorResponse, readJson } from "../http-error";
import { describeIssue, stockSendBodySchema, tooDeepPath, userMessageSchema } from "../request-schemas";

/**
 * Reads the prompt of `POST /:id/messages` from `{ message }` or the stock `{ messages }`
 * body and validates it; a 400 naming only our own fields otherwise (§3 Errors).
 */
export async function parsePrompt(c: Context): Promise<UIMessage | Response> {
  const body = await readJson(c, null);
  const deep = tooDeepPath(body);
  if (deep !== null) return errorResponse(400, "bad_request", `${deep}: nested too deeply`);
  let candidate: unknown;
  let field = "message";
  if (typeof body === "object" && body !== null && "message" in body) {
    candidate = (body as { message: unknown }).message;
  } else {
    const stock = stockSendBodySchema.safeParse(body);
    if (!stock.success) {
      const hasMessages = typeof body === "object" && body !== null && "messages" in body;
      return errorResponse(
        400,
        "bad_request",
        hasMessages ? describeIssue(stock.error) : "message: required",
      );
    }
    candidate = stock.data.messages.at(-1);
    field = `messages.${stock.data.messages.length - 1}`;
  }
  const shaped = userMessageSchema.safeParse(candidate);
  if (!shaped.success) return errorResponse(400, "bad_request", `${field}.${describeIssue(shaped.error)}`);
  try {
    const [message] = await validateUIMessages<UIMessage>({ messages: [shaped.data] });
    return message ?? errorResponse(400, "bad_request", `${field}: missing`);
  } catch {
    // The SDK's message embeds the whole submitted value; never echo input back.
    return errorResponse(400, "bad_request", `${field}: not a valid UI message`);
  }
}

/** The prompt's text: its text parts, one per line. */
export function promptText(message: UIMessage): string {
  return message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
}
