import { useId } from "react";
import type { PromptPreset } from "../lib/prompt-presets";

/** Props of {@link PromptPresets}. */
export interface PromptPresetsProps {
  readonly presets: readonly PromptPreset[];
  /** A turn is active: presets would be refused (409), so they wait. */
  readonly disabled: boolean;
  readonly onPick: (prompt: string) => void;
}

/** One-click scenarios for the scripted model: each sends its prompt at once. */
export function PromptPresets({ presets, disabled, onPick }: PromptPresetsProps) {
  const baseId = useId();
  return (
    <fieldset className="prompt-presets" disabled={disabled}>
      <legend>Scenarios</legend>
      {presets.map((preset) => (
        <button
          key={preset.id}
          type="button"
          className="button preset"
          data-preset={preset.id}
          aria-label={preset.label}
          aria-describedby={`${baseId}-${preset.id}`}
          onClick={() => onPick(preset.prompt)}
        >
          {preset.label}
          <span id={`${baseId}-${preset.id}`} className="preset-description">
            {preset.description}
          </span>
        </button>
      ))}
    </fieldset>
  );
}
