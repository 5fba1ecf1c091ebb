import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4ToolResultPart,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";

/**
 * Behaviour switches for one scripted answer, parsed from `[[name=value]]` markers in the prompt.
 * They let demos and tests provoke every stream shape (reasoning, tools, approvals, errors) without a real model.
 */
export interface ScriptedDirectives {
  /** `[[words=N]]`: number of words in the text answer. */
  readonly words: number;
  /** `[[delay=MS]]`: pause between stream chunks; 0 only yields to the event loop now and then. */
  readonly delayMs: number;
  /** `[[reasoning=N]]`: number of reasoning words streamed before the text. */
  readonly reasoningWords: number;
  /** `[[tool=NAME]]` (or `[[approval]]`, default `approve_action`): tool to call in the first step. */
  readonly toolName: string | undefined;
  /** `[[approval]]`: the caller is expected to gate the tool behind an approval; the model behaves the same. */
  readonly approval: boolean;
  /** `[[fail_after=N]]`: error part after N delta chunks (text, reasoning, tool input); none if fewer. */
  readonly failAfter: number | undefined;
  /** `[[chunk=N]]`: characters per text/reasoning delta; undefined means one word per delta. */
  readonly chunkChars: number | undefined;
}

/** Options of {@link createScriptedModel}; every field has a sensible default. */
export interface ScriptedModelOptions {
  /** Model id reported to the AI SDK (default `scripted-demo`). */
  readonly modelId?: string;
  /** Provider id reported to the AI SDK (default `scripted`). */
  readonly provider?: string;
  /** Overrides for the directive defaults, e.g. `{ delayMs: 0 }` for fast tests. */
  readonly defaults?: Partial<ScriptedDirectives>;
  /**
   * Upper bounds that directives are clamped to, so a prompt cannot exhaust the process
   * (`[[words=100000000]]`) or hold a turn for hours (`[[delay=600000]]`). Defaults
   * {@link DEFAULT_DIRECTIVE_LIMITS}; load tests raise them explicitly.
   */
  readonly limits?: Partial<DirectiveLimits>;
}

/** Bounds of the scripted model's directives (counts of words, milliseconds). */
export interface DirectiveLimits {
  /** Most answer words (`[[words=N]]`). */
  readonly maxWords: number;
  /** Most reasoning words (`[[reasoning=N]]`). */
  readonly maxReasoningWords: number;
  /** Longest delay between chunks (`[[delay=MS]]`). */
  readonly maxDelayMs: number;
}

/** Directive bounds used unless `limits` says otherwise. */
export const DEFAULT_DIRECTIVE_LIMITS: DirectiveLimits = {
  maxWords: 5_000,
  maxReasoningWords: 5_000,
  maxDelayMs: 2_000,
};

/** Clamps parsed directives to `limits` (documented: a prompt asking for more gets the bound). */
export function clampDirectives(directives: ScriptedDirectives, limits: DirectiveLimits): ScriptedDirectives {
  return {
    ...directives,
    words: Math.min(directives.words, limits.maxWords),
    reasoningWords: Math.min(directives.reasoningWords, limits.maxReasoningWords),
    delayMs: Math.min(directives.delayMs, limits.maxDelayMs),
  };
}

/** Defaults used when the prompt carries no directive. */
export const DEFAULT_DIRECTIVES: ScriptedDirectives = {
  words: 60,
  delayMs: 30,
  reasoningWords: 0,
  toolName: undefined,
  approval: false,
  failAfter: undefined,
  chunkChars: undefined,
};

const DIRECTIVE_PATTERN = /\[\[\s*([a-z_]+)\s*(?:=\s*([^\]]*?)\s*)?\]\]/gi;
const DEFAULT_APPROVAL_TOOL = "approve_action";
const DELTA_TYPES = new Set(["text-delta", "reasoning-delta", "tool-input-delta"]);
const HEADER_TYPES = new Set(["stream-start", "response-metadata"]);
const VOCABULARY = (
  "lorem ipsum dolor sit amet river stone quiet bright signal harbor meadow lantern paper window " +
  "orbit cedar velvet summit ember canyon willow marble thunder copper garden silver falcon echo " +
  "north gentle rapid hollow amber crystal forest ocean island valley morning evening shadow light " +
  "story bridge engine pocket spiral mirror candle feather puzzle rocket planet harvest compass"
).split(" ");

/**
 * Parses the `[[...]]` directives of a prompt into resolved, typed settings.
 * Unknown or malformed directives are ignored so that any prompt is valid input.
 */
export function parseDirectives(
  prompt: string,
  defaults: ScriptedDirectives = DEFAULT_DIRECTIVES,
): ScriptedDirectives {
  const found = new Map<string, string | undefined>();
  for (const match of prompt.matchAll(DIRECTIVE_PATTERN)) found.set(match[1]!.toLowerCase(), match[2]);
  const approval = found.has("approval") || defaults.approval;
  const tool = found.get("tool")?.trim() || defaults.toolName;
  return {
    words: readCount(found.get("words")) ?? defaults.words,
    delayMs: readCount(found.get("delay")) ?? defaults.delayMs,
    reasoningWords: readCount(found.get("reasoning")) ?? defaults.reasoningWords,
    toolName: tool ?? (approval ? DEFAULT_APPROVAL_TOOL : undefined),
    approval,
    failAfter: readCount(found.get("fail_after")) ?? defaults.failAfter,
    chunkChars: readCount(found.get("chunk"), 1) ?? defaults.chunkChars,
  };
}

/** Removes every `[[...]]` directive and collapses whitespace, leaving the human part of the prompt. */
export function stripDirectives(prompt: string): string {
  return prompt.replace(DIRECTIVE_PATTERN, " ").replace(/\s+/g, " ").trim();
}

/**
 * Creates a deterministic, offline `LanguageModelV4` for demos and tests: no network, no key.
 * The same prompt always streams the same reasoning, text and tool calls; directives in the
 * last user message (see {@link ScriptedDirectives}) select the scenario.
 */
export function createScriptedModel(options: ScriptedModelOptions = {}): LanguageModelV4 {
  const modelId = options.modelId ?? "scripted-demo";
  const defaults = { ...DEFAULT_DIRECTIVES, ...options.defaults };
  const limits = { ...DEFAULT_DIRECTIVE_LIMITS, ...options.limits };
  const plan = (call: LanguageModelV4CallOptions) => planParts(call.prompt, defaults, limits, modelId);
  return {
    specificationVersion: "v4",
    provider: options.provider ?? "scripted",
    modelId,
    supportedUrls: {},
    async doStream(call) {
      const { parts, directives } = plan(call);
      return { stream: partStream(parts, directives.delayMs, call.abortSignal) };
    },
    async doGenerate(call) {
      call.abortSignal?.throwIfAborted();
      return toGenerateResult(plan(call).parts);
    },
  };
}

/** Builds the complete, deterministic part list of one model call. */
function planParts(
  prompt: LanguageModelV4Prompt,
  defaults: ScriptedDirectives,
  limits: DirectiveLimits,
  modelId: string,
) {
  const raw = lastUserText(prompt);
  const directives = clampDirectives(parseDirectives(raw, defaults), limits);
  const text = stripDirectives(raw);
  const seed = hashString(text);
  const toolResult = toolResultAfterLastUser(prompt);
  const toolName = toolResult === undefined ? directives.toolName : undefined;
  const body = applyFailure(directives.failAfter, contentParts(directives, seed, text, toolName, toolResult));
  const header: LanguageModelV4StreamPart[] = [
    { type: "stream-start", warnings: [] },
    { type: "response-metadata", id: `resp_${seed.toString(36)}`, modelId, timestamp: new Date() },
  ];
  const finish = finishPart(toolName ? "tool-calls" : "stop", countWords(text), body);
  return { parts: [...header, ...body, finish], directives };
}

/** Reasoning, then either the tool call (step one) or the text answer. */
function contentParts(
  directives: ScriptedDirectives,
  seed: number,
  text: string,
  toolName: string | undefined,
  toolResult: LanguageModelV4ToolResultPart | undefined,
): LanguageModelV4StreamPart[] {
  const { chunkChars, reasoningWords, words } = directives;
  const tag = seed.toString(36);
  // After a tool result the model reasons about the result: new words under a new part id,
  // never the first step's reasoning again.
  const afterTool = toolResult !== undefined;
  const reasoning = blockParts(
    "reasoning",
    afterTool ? `rsn2-${tag}` : `rsn-${tag}`,
    loremWords(afterTool ? seed ^ 0x2545f491 : seed ^ 0x5bd1e995, reasoningWords),
    chunkChars,
  );
  if (toolName !== undefined) return [...reasoning, ...toolCallParts(toolName, `call_${tag}`, text)];
  return [...reasoning, ...blockParts("text", `txt-${tag}`, answerText(seed, words, toolResult), chunkChars)];
}

/** Truncates the body after N delta chunks and appends an error part when `fail_after` is set. */
function applyFailure(failAfter: number | undefined, body: LanguageModelV4StreamPart[]) {
  let deltas = 0;
  const cut = body.findIndex((part) => DELTA_TYPES.has(part.type) && ++deltas > (failAfter ?? Infinity));
  if (cut === -1) return body;
  const error = new Error(`Scripted failure after ${failAfter} chunks`);
  return [...body.slice(0, cut), { type: "error", error } satisfies LanguageModelV4StreamPart];
}

/** The closing `finish` part; usage counts words, which is close enough for a demo. */
function finishPart(reason: "stop" | "tool-calls", inputWords: number, body: LanguageModelV4StreamPart[]) {
  const unified = body.some((part) => part.type === "error") ? "error" : reason;
  const words = (type: string) =>
    countWords(body.map((part) => (part.type === type && "delta" in part ? part.delta : "")).join(""));
  const text = words("text-delta") + words("tool-input-delta");
  const reasoning = words("reasoning-delta");
  const usage: LanguageModelV4Usage = {
    inputTokens: { total: inputWords, noCache: inputWords, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: text + reasoning, text, reasoning },
  };
  return {
    type: "finish",
    finishReason: { unified, raw: unified },
    usage,
  } satisfies LanguageModelV4StreamPart;
}

/** Start, deltas and end of a text or reasoning block; empty text yields no block at all. */
function blockParts(kind: "text" | "reasoning", id: string, text: string, chunkChars: number | undefined) {
  if (text.length === 0) return [];
  const deltas = splitDeltas(text, chunkChars).map((delta) => ({
    type: `${kind}-delta` as const,
    id,
    delta,
  }));
  const parts: LanguageModelV4StreamPart[] = [
    { type: `${kind}-start`, id },
    ...deltas,
    { type: `${kind}-end`, id },
  ];
  return parts;
}

/** A client-executed tool call with its JSON input streamed in several pieces. */
function toolCallParts(toolName: string, id: string, promptText: string): LanguageModelV4StreamPart[] {
  const input = JSON.stringify({ query: promptText.slice(0, 80) || toolName });
  const pieceSize = Math.max(4, Math.ceil(input.length / 4));
  const deltas = chunkString(input, pieceSize).map(
    (delta): LanguageModelV4StreamPart => ({ type: "tool-input-delta", id, delta }),
  );
  return [
    { type: "tool-input-start", id, toolName },
    ...deltas,
    { type: "tool-input-end", id },
    { type: "tool-call", toolCallId: id, toolName, input },
  ];
}

/** The final answer: lorem words, or a fixed sentence when the tool was denied or failed. */
function answerText(
  seed: number,
  words: number,
  toolResult: LanguageModelV4ToolResultPart | undefined,
): string {
  const output = toolResult?.output;
  if (output?.type === "execution-denied") {
    const reason = output.reason ? ` (${output.reason})` : "";
    return `The ${toolResult!.toolName} action was denied${reason}, so I did not run it.`;
  }
  if (output?.type === "error-text" || output?.type === "error-json") {
    return `The ${toolResult!.toolName} tool failed, so I cannot use its result.`;
  }
  return loremWords(seed, words);
}

function splitDeltas(text: string, chunkChars: number | undefined): string[] {
  if (chunkChars !== undefined) return chunkString(text, chunkChars);
  return text.split(" ").map((word, index) => (index === 0 ? word : ` ${word}`));
}

function chunkString(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

/** Deterministic sentence-like text of exactly `count` space-separated words. */
function loremWords(seed: number, count: number): string {
  const next = mulberry32(seed);
  const words: string[] = [];
  let sentenceStart = true;
  for (let index = 0; index < count; index++) {
    let word = VOCABULARY[Math.floor(next() * VOCABULARY.length)]!;
    if (sentenceStart) word = word[0]!.toUpperCase() + word.slice(1);
    sentenceStart = index === count - 1 || next() < 0.12;
    words.push(sentenceStart ? `${word}.` : word);
  }
  return words.join(" ");
}

function lastUserText(prompt: LanguageModelV4Prompt): string {
  const message = prompt.findLast((entry) => entry.role === "user");
  if (message?.role !== "user") return "";
  return message.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
}

/** The latest tool result sent back after the last user message, i.e. "this is step two". */
function toolResultAfterLastUser(prompt: LanguageModelV4Prompt): LanguageModelV4ToolResultPart | undefined {
  const userIndex = prompt.findLastIndex((entry) => entry.role === "user");
  const results = prompt
    .slice(userIndex + 1)
    .flatMap((entry) => (entry.role === "tool" ? entry.content : []))
    .filter((part): part is LanguageModelV4ToolResultPart => part.type === "tool-result");
  return results.at(-1);
}

/** Streams the parts, pausing `delayMs` between them and erroring promptly when aborted. */
function partStream(parts: LanguageModelV4StreamPart[], delayMs: number, signal: AbortSignal | undefined) {
  let index = 0;
  return new ReadableStream<LanguageModelV4StreamPart>({
    async pull(controller) {
      const part = parts[index++];
      if (part && !HEADER_TYPES.has(part.type) && (delayMs > 0 || index % 32 === 0))
        await sleep(delayMs, signal);
      signal?.throwIfAborted();
      if (part === undefined) controller.close();
      else controller.enqueue(part);
    },
  });
}

/** setTimeout as a promise that rejects with the abort reason as soon as the signal fires. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Folds stream parts into the non-streaming result shape; a scripted failure throws. */
function toGenerateResult(parts: LanguageModelV4StreamPart[]): LanguageModelV4GenerateResult {
  const content: LanguageModelV4Content[] = [];
  for (const part of parts) {
    if (part.type === "error") throw part.error;
    if (part.type === "tool-call") content.push(part);
    if (part.type === "text-delta") appendText(content, "text", part.delta);
    if (part.type === "reasoning-delta") appendText(content, "reasoning", part.delta);
  }
  const finish = parts.find((part) => part.type === "finish");
  if (finish?.type !== "finish") throw new Error("Scripted plan without finish part");
  return { content, finishReason: finish.finishReason, usage: finish.usage, warnings: [] };
}

function appendText(content: LanguageModelV4Content[], kind: "text" | "reasoning", delta: string) {
  const last = content.at(-1);
  if (last?.type === kind) last.text += delta;
  else content.push({ type: kind, text: delta });
}

/** A non-negative integer directive value of at least `min`, or undefined when absent or malformed. */
function readCount(value: string | undefined, min = 0): number | undefined {
  const count = value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
  return count !== undefined && count >= min ? count : undefined;
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** FNV-1a 32-bit hash, used as the PRNG seed. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++)
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return hash >>> 0;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
