import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * Text contrast with margin in both themes (issue 17): every text colour of the palette on
 * every background it can sit on, at least 5:1 where WCAG AA asks 4.5:1, so antialiasing
 * and a tinted panel never take a badge below the line. axe checks the rendered pages; this
 * checks the palette itself, including pairs no e2e state happens to show.
 */

const MARGIN = 5;
const TEXT_TOKENS = ["--text", "--muted", "--accent", "--danger", "--ok", "--warn"] as const;
const BACKGROUND_TOKENS = ["--bg", "--surface", "--user-bubble", "--code-bg"] as const;

const css = readFileSync(new URL("./styles.css", import.meta.url), "utf8");

/** The custom properties of the first `:root { … }` block after `from`. */
function palette(from: number): Record<string, string> {
  const start = css.indexOf(":root {", from);
  const block = css.slice(start, css.indexOf("}", start));
  return Object.fromEntries(
    [...block.matchAll(/(--[\w-]+):\s*(#[0-9a-f]{6})/gi)].map(([, name, value]) => [name, value]),
  );
}

function luminance(hex: string): number {
  const channel = (offset: number) => {
    const value = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours. */
function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

const themes = {
  light: palette(0),
  dark: { ...palette(0), ...palette(css.indexOf("prefers-color-scheme: dark")) },
};

describe("the demo's palette", () => {
  for (const [theme, colours] of Object.entries(themes)) {
    it(`${theme}: every text colour on every background reaches ${MARGIN}:1`, () => {
      const low: string[] = [];
      for (const text of TEXT_TOKENS) {
        for (const background of BACKGROUND_TOKENS) {
          const ratio = contrast(colours[text] ?? "", colours[background] ?? "");
          if (!(ratio >= MARGIN)) low.push(`${text} on ${background}: ${ratio.toFixed(2)}`);
        }
      }
      const onAccent = contrast(colours["--accent-text"] ?? "", colours["--accent"] ?? "");
      if (!(onAccent >= MARGIN)) low.push(`--accent-text on --accent: ${onAccent.toFixed(2)}`);
      expect(low).toEqual([]);
    });
  }
});
