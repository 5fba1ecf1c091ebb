import type { PeerPoint, ResumeData, SeriesPoint } from "./rows/resume";

interface Series {
  readonly label: string;
  readonly color: string;
  readonly dash?: string;
  readonly points: { x: number; y: number }[];
}

const xmlText = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Resume latency against turn length, log–log: ours (memory, Redis; warm and cold resume,
 * full replay) and the peer (skip, whole backlog).
 */
export function resumeChart(raw: Record<string, unknown>, env: Record<string, unknown>): string {
  const data = raw as unknown as ResumeData;
  const ours = (points: SeriesPoint[], key: "resume" | "coldResume" | "fullReplay" = "resume") =>
    points.map((p) => ({ x: p.length, y: p[key].median }));
  const peer = (points: PeerPoint[], key: "resumeSkip" | "resumeFull") =>
    points.map((p) => ({ x: p.length, y: p[key].median }));
  const series: Series[] = [
    { label: "ours, memory: resume", color: "#2563eb", points: ours(data.memory) },
    {
      label: "ours, memory: full replay (no cursor)",
      color: "#2563eb",
      dash: "6 4",
      points: ours(data.memory, "fullReplay"),
    },
  ];
  if (data.redis) {
    series.push(
      { label: "ours, Redis (other instance): resume", color: "#dc2626", points: ours(data.redis) },
      {
        label: "ours, Redis: first resume on a cold instance",
        color: "#dc2626",
        dash: "2 3",
        points: ours(data.redis, "coldResume"),
      },
      {
        label: "ours, Redis: full replay (no cursor)",
        color: "#dc2626",
        dash: "6 4",
        points: ours(data.redis, "fullReplay"),
      },
    );
  }
  if (data.peer) {
    series.push({
      label: "resumable-stream, skip all but last chunk",
      color: "#16a34a",
      points: peer(data.peer, "resumeSkip"),
    });
    series.push({
      label: "resumable-stream, whole backlog",
      color: "#16a34a",
      dash: "6 4",
      points: peer(data.peer, "resumeFull"),
    });
  }
  // The legend sits right of the plot, so no line runs under it.
  const legend = 320;
  const width = 720 + legend;
  const height = 420;
  const left = 70;
  const right = 44 + legend;
  const top = 50;
  const bottom = 60;
  const xs = data.lengths;
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...ys)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const sx = (x: number) =>
    left +
    ((Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * (width - left - right);
  const sy = (y: number) =>
    top +
    (1 - (Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) *
      (height - top - bottom);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="600">Resume and full-replay latency vs turn length (median, ms, log–log)</text>`,
    `<text x="${left}" y="38" fill="#555">${xmlText(`Node ${env.node}, ${env.cpus} CPUs, Redis ${env.redis ?? "n/a"}, ${String(env.date).slice(0, 10)}${env.quick ? ", --quick" : ""}`)}</text>`,
  );
  for (let exp = Math.log10(yMin); exp <= Math.log10(yMax); exp++) {
    const y = sy(10 ** exp);
    out.push(
      `<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`,
      `<text x="${left - 8}" y="${y + 4}" text-anchor="end">${10 ** exp >= 1 ? 10 ** exp : (10 ** exp).toFixed(-exp)}</text>`,
    );
  }
  for (const x of xs) {
    out.push(
      `<line x1="${sx(x)}" x2="${sx(x)}" y1="${top}" y2="${height - bottom}" stroke="#e5e7eb"/>`,
      `<text x="${sx(x)}" y="${height - bottom + 18}" text-anchor="middle">${x.toLocaleString("en-US")}</text>`,
    );
  }
  out.push(
    `<text x="${(left + width - right) / 2}" y="${height - 18}" text-anchor="middle">turn length (entries / chunks); resume cursor at the second-to-last entry</text>`,
    `<text transform="translate(16 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">ms to the first new frame (resume) / the last frame (full replay)</text>`,
  );
  series.forEach((s, index) => {
    const path = s.points
      .map((p, i) => `${i === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
      .join(" ");
    out.push(
      `<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
    );
    for (const p of s.points) {
      out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    }
    const ly = top + 14 + index * 18;
    const lx = width - legend;
    out.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
      `<text x="${lx + 34}" y="${ly + 4}">${xmlText(s.label)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
