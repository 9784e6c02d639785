/** latency.svg: percentile curves of every target, one panel per workload. */
import { mergeHistograms } from "./stats.mjs";
import { NAMES, targetsIn, trialsOf } from "./trials.mjs";

const COLORS = {
  "hub-bare": "#c92a2a",
  "floor-bare": "#2f9e44",
  "floor-row-bare": "#66a80f",
  "partyserver-bare": "#7048e8",
  "hub-workerd": "#e8590c",
  "hub-wrangler": "#f59f00",
  "hub-workerd-allrt": "#868e96",
  socketio: "#1971c2",
};

function chartPanel(data, title, workload, stepIndex, x0, y0, w, h) {
  const series = [];
  for (const target of targetsIn(data)) {
    const encoded = trialsOf(data, workload, target)
      .map((t) => t.steps?.[stepIndex])
      .filter((s) => s?.hist && s.lossPct === 0)
      .map((s) => s.hist);
    const hist = mergeHistograms(encoded);
    if (!hist || hist.totalCount === 0) continue;
    const points = [];
    const maxK = Math.min(4, Math.log10(hist.totalCount));
    for (let k = 0; k <= maxK + 1e-9; k += 0.05) {
      const p = 100 * (1 - 10 ** -k);
      points.push([k, hist.getValueAtPercentile(p) / 1000]);
    }
    points.push([maxK, hist.maxValue / 1000]);
    series.push({ target, points });
  }
  const out = [];
  const pad = { l: 52, r: 12, t: 28, b: 34 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  out.push(`<g transform="translate(${x0},${y0})">`);
  out.push(`<text x="${pad.l}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`);
  if (series.length === 0) {
    out.push(`<text x="${pad.l + 10}" y="${pad.t + 30}" font-size="12">no complete trial</text></g>`);
    return out.join("");
  }
  const all = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...all))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const sx = (k) => pad.l + (k / 4) * pw;
  const sy = (v) =>
    pad.t + ph - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
  out.push(`<rect x="${pad.l}" y="${pad.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (let k = 0; k <= 4; k++) {
    const label = k === 0 ? "0%" : `${100 - 100 * 10 ** -k}%`;
    out.push(`<line x1="${sx(k)}" y1="${pad.t}" x2="${sx(k)}" y2="${pad.t + ph}" stroke="#eee"/>`);
    out.push(`<text x="${sx(k)}" y="${pad.t + ph + 14}" font-size="10" text-anchor="middle">${label}</text>`);
  }
  for (let v = lo; v <= hi * 1.001; v *= 10) {
    out.push(`<line x1="${pad.l}" y1="${sy(v)}" x2="${pad.l + pw}" y2="${sy(v)}" stroke="#eee"/>`);
    out.push(
      `<text x="${pad.l - 4}" y="${sy(v) + 3}" font-size="10" text-anchor="end">${v >= 1 ? v : v.toFixed(2)}</text>`,
    );
  }
  out.push(
    `<text x="${pad.l + pw / 2}" y="${pad.t + ph + 28}" font-size="10" text-anchor="middle">percentile</text>`,
    `<text x="12" y="${pad.t + ph / 2}" font-size="10" text-anchor="middle" transform="rotate(-90 12 ${pad.t + ph / 2})">latency, ms (log)</text>`,
  );
  for (const s of series) {
    const d = s.points.map(([k, v], i) => `${i ? "L" : "M"}${sx(k).toFixed(1)},${sy(v).toFixed(1)}`).join("");
    out.push(`<path d="${d}" fill="none" stroke="${COLORS[s.target] ?? "#000"}" stroke-width="2"/>`);
  }
  out.push("</g>");
  return out.join("");
}

function esc(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function renderChart(data) {
  const W = 1000;
  const panels = [];
  const titled = (id, text) => data.workloads.some((w) => w.id === id) && panels.push([id, text]);
  titled("A", "A: 1 room x 1,000, 10 publishes/s");
  titled("C", "C: 1 room x 5,000, 4 publishes/s");
  titled("D", "D: 200 rooms x 5, 100 publishes/s");
  const b = data.workloads.find((w) => w.id === "B");
  const shown = [];
  if (b) {
    for (const [i, step] of b.steps.entries()) {
      const inB = targetsIn(data).filter((t) => trialsOf(data, "B", t).length > 0);
      const everyone = inB.every((t) =>
        trialsOf(data, "B", t).some((trial) => trial.steps?.[i] && trial.steps[i].lossPct === 0),
      );
      if (everyone) shown.push([i, step.rate]);
    }
  }
  const bStep = shown.at(-1) ?? [0, b?.steps[0]?.rate];
  const rows = Math.ceil((panels.length + (b ? 1 : 0)) / 2);
  const ph = 300;
  const perLegendRow = 4;
  const legendRows = Math.ceil(targetsIn(data).length / perLegendRow);
  const H = rows * ph + 20 + 20 * legendRows;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  const all = [...panels.map(([id, t]) => [id, t, 0])];
  if (b) all.push(["B", `B: 1 room x 1,000, ${bStep[1]}/s (top step all delivered)`, bStep[0]]);
  all.forEach(([id, title, stepIndex], i) => {
    parts.push(chartPanel(data, title, id, stepIndex, (i % 2) * (W / 2), Math.floor(i / 2) * ph, W / 2, ph));
  });
  for (const [i, target] of targetsIn(data).entries()) {
    const lx = 40 + (i % perLegendRow) * 240;
    const ly = rows * ph + 16 + 20 * Math.floor(i / perLegendRow);
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${COLORS[target] ?? "#000"}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${lx + 30}" y="${ly + 4}" font-size="12">${esc(NAMES[target] ?? target)}</text>`);
  }
  parts.push(
    `<text x="${W - 10}" y="${rows * ph + 4}" font-size="10" text-anchor="end">all repetitions merged; trials with loss left out</text>`,
  );
  parts.push("</svg>");
  return parts.join("\n");
}
