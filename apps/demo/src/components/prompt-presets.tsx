import { useId } from "react";
import type { PromptPreset } from "../lib/prompt-presets";

/** Props of {@link PromptPresets}. */
export interface PromptPresetsProps {
  readonly presets: readonly PromptPreset[];
  /** A turn is active: presets would be refused (409), so they wait. */
  readonly disabled: boolean;
  readonly onPick: (prompt: string) => void;
}

/**
 * One-click scenarios for the scripted model, as compact chips: each sends its prompt at
 * once. The visible label is the accessible name; the description is the hint.
 */
export function PromptPresets({ presets, disabled, onPick }: PromptPresetsProps) {
  const baseId = useId();
  return (
    <fieldset className="chips prompt-presets" disabled={disabled}>
      <legend>Scenarios</legend>
      {presets.map((preset) => (
        <span key={preset.id} className="chip-wrap">
          <button
            type="button"
            className="chip preset"
            data-preset={preset.id}
            title={preset.description}
            aria-describedby={`${baseId}-${preset.id}`}
            onClick={() => onPick(preset.prompt)}
          >
            {preset.label}
          </button>
          <span id={`${baseId}-${preset.id}`} className="visually-hidden">
            {preset.description}
          </span>
        </span>
      ))}
    </fieldset>
  );
}
