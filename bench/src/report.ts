import type { Line } from "./context";

const HEADER = ["#", "row", "ours", "reference (same run)", "ours ÷ reference", "goal", "met?"];

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** The table as Markdown (it reads fine in a terminal and pastes into the README). */
export function renderTable(lines: readonly Line[]): string {
  const rows = lines.map((line) => [
    line.row,
    line.what,
    line.ours,
    line.reference,
    line.ratio,
    line.goal,
    line.verdict,
  ]);
  const out = [HEADER, HEADER.map(() => "---"), ...rows].map((row) => `| ${row.map(cell).join(" | ")} |`);
  return out.join("\n");
}
