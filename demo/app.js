// The demo page: starts the worker, draws the loss of every batch as it trains (SVG), and
// shows typed text tagged. URL parameters preset the form and can start training at once:
// ?files=4&epochs=1&hidden=16&brown=1&autostart=1 (the Chromium test uses them).
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
for (const key of ["files", "epochs", "hidden"]) if (params.has(key)) $(key).value = params.get(key);
if (params.get("brown") === "1") $("brown").checked = true;

const SVG = "http://www.w3.org/2000/svg";
const plot = { x0: 50, y0: 10, w: 570, h: 210 };
const state = { losses: [], planned: 1, epochs: [], done: false, trained: false, tagged: 0 };
window.demoState = state;              // for tests and the curious: what the page has seen

const worker = new Worker("/demo/worker.js", { type: "module" });
let drawQueued = false, tagId = 0, tagTimer;

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Smooth the per-batch losses a little (an exponential moving average), as training curves usually are. */
function smoothed(values, beta = 0.8) {
  let m = values[0] ?? 0;
  return values.map((v) => (m = beta * m + (1 - beta) * v));
}

function draw() {
  drawQueued = false;
  const ys = smoothed(state.losses);
  const high = Math.max(...state.losses.slice(0, 5), ...ys, 0.1);
  const tick = [0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5].find((t) => high / t <= 5) ?? 10;
  const lines = Math.ceil(high / tick);
  const top = tick * lines;
  const X = (i) => plot.x0 + (i / Math.max(1, state.planned - 1)) * plot.w;
  const Y = (v) => plot.y0 + plot.h - (Math.min(v, top) / top) * plot.h;
  const grid = $("grid");
  grid.replaceChildren();
  for (let k = 0; k <= lines; k++) {
    const v = tick * k;
    grid.append(el("line", { x1: plot.x0, x2: plot.x0 + plot.w, y1: Y(v), y2: Y(v), class: "grid" }));
    grid.append(el("text", { x: plot.x0 - 6, y: Y(v) + 4, "text-anchor": "end", class: "tick" }, v.toFixed(2)));
  }
  for (const f of [0, 0.5, 1]) {
    const i = Math.round(f * (state.planned - 1));
    grid.append(el("text", { x: X(i), y: plot.y0 + plot.h + 16, "text-anchor": "middle", class: "tick" }, String(i + 1)));
  }
  $("loss-line").setAttribute("points", ys.map((v, i) => `${X(i).toFixed(1)},${Y(v).toFixed(1)}`).join(" "));
  const marks = $("epochs-marks");
  marks.replaceChildren();
  for (const e of state.epochs) {
    const x = X(e.step - 1);
    marks.append(el("line", { x1: x, x2: x, y1: plot.y0, y2: plot.y0 + plot.h, class: "epoch-mark" }));
    marks.append(el("text", { x: x - 4, y: plot.y0 + 14, "text-anchor": "end", class: "epoch-label" }, `epoch ${e.epoch}: ${(100 * e.valAccuracy).toFixed(1)}%`));
  }
}
const redraw = () => { if (!drawQueued) { drawQueued = true; requestAnimationFrame(draw); } };

function render({ words, tags, known }) {
  const out = $("tagged");
  out.replaceChildren();
  words.forEach((w, i) => {
    const tag = tags[i] ?? "";
    const span = document.createElement("span");
    span.className = `tok ${tag === "." ? "P" : /^[A-Z]+$/.test(tag) ? tag : ""}${known && !known[i] ? " unknown" : ""}`;
    span.innerHTML = `<span class="w"></span><span class="t"></span>`;
    span.firstChild.textContent = w;
    span.lastChild.textContent = tag;
    out.append(span);
  });
}

function requestTags() {
  clearTimeout(tagTimer);
  tagTimer = setTimeout(() => worker.postMessage({ type: "tag", id: ++tagId, text: $("text").value }), 80);
}

worker.onmessage = (e) => {
  const m = e.data;
  if (m.type === "ready") {
    $("status").textContent = "Ready: press Train.";
    if (params.get("autostart") === "1") $("settings").requestSubmit();
  } else if (m.type === "status") $("status").textContent = m.text;
  else if (m.type === "data") {
    state.planned = m.epochs * m.batches;
    $("status").textContent = `${m.sentences} sentences (${m.tokens} words) from ${m.trainFiles} files; ${m.vocabulary} word ids, ${m.tags} tags. Training…`;
    $("epoch-log").textContent = `most-frequent-tag baseline on ${m.validationFiles} held-out files: ${(100 * m.baseline).toFixed(1)}%`;
  } else if (m.type === "batch") {
    state.losses.push(m.loss);
    $("status").textContent = `epoch ${m.epoch}, batch ${m.batch}/${m.batches}: loss ${m.loss.toFixed(3)}, ${Math.round(m.tokensPerSecond / 1000)}k words/s`;
    redraw();
  } else if (m.type === "epoch") {
    state.epochs.push(m);
    $("epoch-log").textContent += `\nepoch ${m.epoch}: held-out accuracy ${(100 * m.valAccuracy).toFixed(1)}% (loss ${m.valLoss.toFixed(3)} per word)`;
    redraw();
  } else if (m.type === "done") {
    state.done = true;
    state.trained = state.epochs.length > 0;
    $("status").textContent = `${m.stopped ? "Stopped" : "Trained"} in ${m.seconds.toFixed(1)} s (${m.steps} batches).${state.trained ? " Type below." : ""}`;
    $("train").disabled = false;
    $("stop").disabled = true;
    $("text").disabled = !state.trained && state.losses.length === 0;
    requestTags();
  } else if (m.type === "tagged") {
    if (m.id === tagId) { state.tagged++; render(m); }
  } else if (m.type === "error") {
    $("status").textContent = `Error: ${m.message}`;
    $("train").disabled = false;
    $("stop").disabled = true;
  }
};
worker.onerror = (e) => { $("status").textContent = `Worker error: ${e.message}`; };

$("settings").addEventListener("submit", (e) => {
  e.preventDefault();
  Object.assign(state, { losses: [], epochs: [], done: false, trained: false });
  redraw();
  $("train").disabled = true;
  $("stop").disabled = false;
  worker.postMessage({ type: "train", options: {
    files: Number($("files").value), epochs: Number($("epochs").value), hidden: Number($("hidden").value), universal: !$("brown").checked,
  } });
});
$("stop").addEventListener("click", () => worker.postMessage({ type: "stop" }));
$("text").addEventListener("input", requestTags);
