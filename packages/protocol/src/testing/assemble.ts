import {
  type UIMessageChunk as AiChunk,
  readUIMessageStream,
  type UIMessage,
  uiMessageChunkSchema,
} from "ai";
import type { Frame, UIMessageChunk } from "../ui-message-chunk";

/** Validates a chunk with the AI SDK's own UI message chunk schema; throws when invalid. */
export async function validateChunk(chunk: UIMessageChunk): Promise<AiChunk> {
  const schema = uiMessageChunkSchema();
  const result = await schema.validate?.(chunk);
  if (!result?.success) {
    throw new Error(`AI SDK rejects chunk ${JSON.stringify(chunk)}: ${String(result?.error)}`);
  }
  return result.value;
}

/**
 * Assembles frames into the final UIMessage with the AI SDK's reader, after validating
 * every chunk; rejects on any chunk the SDK would refuse.
 */
export async function assembleMessage(
  chunks: readonly UIMessageChunk[],
  options: { messageId?: string } = {},
): Promise<UIMessage | undefined> {
  const validated: AiChunk[] = [];
  for (const chunk of chunks) validated.push(await validateChunk(chunk));
  const stream = new ReadableStream<AiChunk>({
    start(controller) {
      controller.enqueue({ type: "start", messageId: options.messageId ?? "s:r" });
      for (const chunk of validated) controller.enqueue(chunk);
      controller.enqueue({ type: "finish" });
      controller.close();
    },
  });
  // `error` chunks surface through onError by design; anything else is a rejection.
  const expectedErrors = new Set(
    chunks.flatMap((chunk) => (chunk.type === "error" ? [chunk.errorText] : [])),
  );
  let last: UIMessage | undefined;
  let failure: unknown;
  for await (const message of readUIMessageStream({
    stream,
    onError: (error) => {
      if (!(error instanceof Error && expectedErrors.has(error.message))) failure ??= error;
    },
  })) {
    last = message;
  }
  if (failure) throw failure;
  return last;
}

/** The chunks of a frame list. */
export function chunksOf(frames: readonly Frame[]): UIMessageChunk[] {
  return frames.map((frame) => frame.chunk);
}
