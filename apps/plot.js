// A hand-written SVG of training curves: loss per epoch on the left, accuracy per epoch on
// the right, training and validation in two colours. No dependencies; the file opens in
// any browser.

const W = 960, H = 420, PANEL_W = 380, PANEL_H = 260, TOP = 76, LEFT = [72, 548];
const COLORS = { train: "#1f77b4", validation: "#d62728", baseline: "#7f7f7f" };

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) { const d = Math.abs(lo) * 0.1 || 1; lo -= d; hi += d; }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[0] > lo) out.unshift(out[0] - step);
  if (out.at(-1) < hi) out.push(out.at(-1) + step);
  return out;
}

/** The decimals a tick step needs to be written exactly: 0.25 → 2, 2.5 → 1, 5 → 0. */
export function decimals(step) {
  for (let d = 0; d < 10; d++) {
    const x = step * 10 ** d;
    if (Math.round(x) !== 0 && Math.abs(x - Math.round(x)) <= 1e-6 * Math.abs(x)) return d;
  }
  return 20;
}

function panel(x0, title, series, { percent = false, epochs }) {
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  let lo = Math.min(...values), hi = Math.max(...values);
  if (!values.length) { lo = 0; hi = 1; }
  const yt = ticks(lo, hi, 5);
  const [ymin, ymax] = [yt[0], yt.at(-1)];
  const xmax = Math.max(2, epochs);
  const X = (e) => x0 + ((e - 1) / (xmax - 1)) * PANEL_W;
  const Y = (v) => TOP + PANEL_H - ((v - ymin) / (ymax - ymin)) * PANEL_H;
  const parts = [`<text x="${x0 + PANEL_W / 2}" y="${TOP - 10}" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`];
  parts.push(`<rect x="${x0}" y="${TOP}" width="${PANEL_W}" height="${PANEL_H}" fill="#fafafa" stroke="#999"/>`);
  const scale = percent ? 100 : 1;
  const dec = decimals((yt[1] - yt[0]) * scale);
  for (const v of yt) {
    parts.push(`<line x1="${x0}" x2="${x0 + PANEL_W}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${x0 - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${(scale * v).toFixed(dec)}${percent ? "%" : ""}</text>`);
  }
  const xstep = Math.max(1, Math.ceil((xmax - 1) / 10));
  for (let e = 1; e <= xmax; e += xstep) {
    parts.push(`<text x="${X(e).toFixed(1)}" y="${TOP + PANEL_H + 16}" text-anchor="middle" font-size="11">${e}</text>`);
  }
  parts.push(`<text x="${x0 + PANEL_W / 2}" y="${TOP + PANEL_H + 34}" text-anchor="middle" font-size="12">epoch</text>`);
  for (const s of series) {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (!pts.length) continue;
    const color = COLORS[s.kind] ?? "#2ca02c";
    if (s.kind === "baseline") {
      const y = Y(pts[0][1]).toFixed(1);
      parts.push(`<line x1="${x0}" x2="${x0 + PANEL_W}" y1="${y}" y2="${y}" stroke="${color}" stroke-dasharray="6 4" stroke-width="1.5"/>`);
      continue;
    }
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([e, v]) => `${X(e).toFixed(1)},${Y(v).toFixed(1)}`).join(" ")}"/>`);
    for (const [e, v] of pts) parts.push(`<circle cx="${X(e).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)}, epoch ${e}: ${percent ? `${(100 * v).toFixed(2)}%` : v.toFixed(4)}</title></circle>`);
  }
  // legend, under the axis
  const named = series.filter((s) => s.points.some((p) => Number.isFinite(p[1])));
  let x = x0;
  for (const s of named) {
    const y = TOP + PANEL_H + 56;
    const color = COLORS[s.kind] ?? "#2ca02c";
    parts.push(`<line x1="${x}" x2="${x + 22}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="2"${s.kind === "baseline" ? ' stroke-dasharray="6 4"' : ""}/>`);
    parts.push(`<text x="${x + 28}" y="${y}" font-size="11">${esc(s.name)}</text>`);
    x += 40 + 6.2 * s.name.length;
  }
  return parts.join("\n");
}

/**
 * The SVG text. `epochs`: [{ epoch, loss, valLoss?, accuracy?, valAccuracy? }] (loss per
 * token or step; accuracy as a fraction). `baseline`: an accuracy drawn as a dashed line.
 */
export function trainingPlot(epochs, { title = "Training", subtitle = "", baseline, baselineName = "baseline", planned = epochs.length } = {}) {
  const pts = (key) => epochs.map((e) => [e.epoch, e[key]]);
  const n = Math.max(planned, epochs.length);
  const loss = panel(LEFT[0], "Loss per token", [
    { name: "training", kind: "train", points: pts("loss") },
    { name: "validation", kind: "validation", points: pts("valLoss") },
  ], { epochs: n });
  const accSeries = [
    { name: "training", kind: "train", points: pts("accuracy") },
    { name: "validation", kind: "validation", points: pts("valAccuracy") },
  ];
  if (baseline !== undefined) accSeries.push({ name: baselineName, kind: "baseline", points: [[1, baseline]] });
  const acc = panel(LEFT[1], "Accuracy", accSeries, { percent: true, epochs: n });
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="17" font-weight="bold">${esc(title)}</text>
<text x="${W / 2}" y="42" text-anchor="middle" font-size="12" fill="#555">${esc(subtitle)}</text>
${loss}
${acc}
</svg>
`;
}
