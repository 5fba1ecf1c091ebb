// `@chat-replay/server/testing`: the deterministic scripted model and the demo tools, for
// demos, tests and load tests. Never a production default: pass it as `model` explicitly.
export { createDemoTools, DEMO_TOOL_APPROVAL } from "./demo-tools";
export { writerStreamStore } from "./replay-server";
export {
  clampDirectives,
  createScriptedModel,
  DEFAULT_DIRECTIVE_LIMITS,
  DEFAULT_DIRECTIVES,
  type DirectiveLimits,
  parseDirectives,
  type ScriptedDirectives,
  type ScriptedModelOptions,
  stripDirectives,
} from "./scripted-model";
