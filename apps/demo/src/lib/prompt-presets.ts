/** A canned prompt whose scripted-model directives lead to one interesting state. */
export interface PromptPreset {
  readonly id: "long" | "reasoning-tool" | "approval" | "failure";
  readonly label: string;
  /** What the button's description says happens. */
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
    description: "400 words at 30 ms a word: time to drop, reload, observe or stop",
    prompt: "Explain resumable streams [[words=400]] [[delay=30]]",
  },
  {
    id: "reasoning-tool",
    label: "Reasoning + tool",
    description: "Reasoning, a search tool call with input and output, then the answer",
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
