/** A canned prompt whose scripted-model directives lead to one interesting state. */
export interface PromptPreset {
  readonly id: "long" | "reasoning-tool" | "approval" | "failure";
  readonly label: string;
  /** What the chip's description says happens. */
  readonly description: string;
  readonly prompt: string;
}

/**
 * Prompts for the scripted demo model (README "The scripted demo model"): each reaches a
 * turn state in one click, and Stop, Approve or Deny is the second click.
 */
export const PROMPT_PRESETS: readonly PromptPreset[] = [
  {
    id: "long",
    label: "Long answer",
    description: "400 words at 30 ms a word: time to drop, go offline, reload, detach or stop",
    prompt: "Explain resumable streams [[words=400]] [[delay=30]]",
  },
  {
    id: "reasoning-tool",
    label: "Reasoning + tool",
    description: "Reasoning, a search tool call with input and output, new reasoning, then the answer",
    prompt: "Search the docs for exact resume [[reasoning=40]] [[tool=search]] [[words=120]]",
  },
  {
    id: "approval",
    label: "Needs approval",
    description: "A deploy tool call that waits for Approve or Deny",
    prompt: "Deploy the demo app [[tool=deploy]] [[approval]] [[words=60]]",
  },
  {
    id: "failure",
    label: "Failure",
    description: "The model fails after 40 chunks; the turn ends failed",
    prompt: "Try something that breaks [[fail_after=40]] [[words=120]]",
  },
];

/** A directive of the scripted model, as a chip that adds it to the draft. */
export interface DirectiveChip {
  readonly directive: string;
  readonly description: string;
}

/** Every directive the scripted model reads (README "The scripted demo model"). */
export const DIRECTIVE_CHIPS: readonly DirectiveChip[] = [
  { directive: "[[words=400]]", description: "answer length in words" },
  { directive: "[[delay=30]]", description: "milliseconds between chunks" },
  { directive: "[[reasoning=20]]", description: "reasoning words before the answer" },
  { directive: "[[tool=search]]", description: "call the search tool first" },
  { directive: "[[tool=deploy]] [[approval]]", description: "a tool call that waits for approval" },
  { directive: "[[fail_after=40]]", description: "fail after 40 chunks" },
  { directive: "[[chunk=3]]", description: "characters per chunk instead of a word" },
];

/** The draft with a directive added (one space between, none doubled). */
export function withDirective(draft: string, directive: string): string {
  const trimmed = draft.trimEnd();
  return trimmed === "" ? `${directive} ` : `${trimmed} ${directive} `;
}
