// The benchmark's reports: a markdown table (printed and written to results.md) and a
// hand-written SVG bar chart (chart.svg), both from the results object of run.js.
//
// Re-render from a saved run: node bench/report.js bench/results.json  (writes results.md
// and chart.svg beside it).

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ORDER = ["ours", "tfjs-wasm-ops", "tfjs-wasm-layers", "tfjs-cpu-ops", "tfjs-cpu-layers", "plain", "torch-1", "torch-all"];
const COLORS = {
  ours: "#d6452b", "tfjs-wasm-ops": "#1f6fb2", "tfjs-wasm-layers": "#74a9d8",
  "tfjs-cpu-ops": "#3a8a3a", "tfjs-cpu-layers": "#8cc68c", plain: "#7a7a7a",
  "torch-1": "#8e44ad", "torch-all": "#c39bd3",
};
const isTorch = (id) => id.startsWith("torch-");

function rate(x) {
  if (!Number.isFinite(x)) return "—";
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(0)}k`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}
const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "—");
const fix = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "—");
const times = (x) => (Number.isFinite(x) ? (x >= 100 ? `${x.toFixed(0)}×` : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`) : "—");
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");   // SVG text
const cell = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");                           // a markdown table cell

/** "2 layers, bidirectional, embedding 128" for a deep config (issue 12), "" for a one-layer one. */
function depth(c) {
  const L = c.layers ?? 1;
  if (L === 1 && !c.bidirectional && c.embeddingSize === undefined) return "";
  return [`${L} layer${L > 1 ? "s" : ""}`, c.bidirectional ? "bidirectional" : "", c.embeddingSize !== undefined ? `embedding ${c.embeddingSize}` : ""].filter(Boolean).join(", ");
}
/** "S (64, 128, 64, 32, 32)", "E (20000, 256, 64, 32, 32; 2 layers, bidirectional, embedding 128)" */
const configLabel = (c) => `${c.name} (${c.n}, ${c.d}, ${c.k}, ${c.T}, ${c.B}${depth(c) ? `; ${depth(c)}` : ""})`;

/** How a row was limited by the budget, for the tables. */
function stepsCell(r, policy) {
  if (r.cold) return `1 (cold: one step > ${policy.budgetS} s budget)`;
  if (r.limited) return `${r.steps} (time budget ${policy.budgetS} s)`;
  return String(r.steps);
}

export function renderMarkdown(res) {
  const { meta, configs } = res;
  const impls = ORDER.filter((id) => meta.impls[id]);
  const label = (id) => meta.impls[id];
  const L = [];
  const clk = meta.clock;
  L.push(`## Benchmark: one Elman training step (forward + BPTT + SGD)`);
  L.push("");
  L.push(`${meta.mode === "quick" ? "**Quick run** (development figures, not a result). " : ""}${meta.date.slice(0, 10)} · ${meta.cpu} (${meta.cores} vCPU) · Node ${meta.node} (V8 ${meta.v8})` +
    (meta.tfjs ? ` · TF.js ${meta.tfjs.version}, wasm backend binary \`${meta.tfjs.binary}\` (SIMD ${meta.tfjs.simd}, threads ${meta.tfjs.threads})` : "") +
    (meta.torch ? (meta.torch.available ? ` · PyTorch ${meta.torch.version} (Python ${meta.torch.pythonVersion}), BLAS: ${meta.torch.blasLabel.replace(/ \(.*$/, "")}` : " · PyTorch: not installed") : ""));
  if (meta.code?.commit) L.push(`Code: commit ${meta.code.commit}${meta.code.uncommittedChanges ? ` with ${meta.code.uncommittedChanges} uncommitted file(s) in assembly/ or src/` : ""}; dist/ built ${meta.code.distBuilt?.slice(0, 16).replace("T", " ") ?? "?"} UTC.`);
  L.push("");
  L.push(`- Clock **${clk.ghz.toFixed(2)} GHz**, measured in this run by a chain of dependent i32.add in wasm (1 cycle each; start ${clk.start.ghz.toFixed(2)}, end ${clk.end.ghz.toFixed(2)} GHz; an i32.mul chain ran ${clk.start.mulChainRatio}× slower, latency 3 expected)${clk.plausible ? "" : " — **implausible, check the machine**"}.`);
  L.push(`- Peak = 16 FLOP/cycle × ${clk.ghz.toFixed(2)} GHz = **${clk.peakGflops.toFixed(1)} GFLOP/s** (single core, wasm SIMD: one f32x4 mul and one f32x4 add per cycle on each of two ports, no FMA).`);
  L.push(`- FLOP per step = **B·T·(6d² + 6dk)**${configs.some((c) => depth(c)) ? "; deep and bidirectional configs (issue 12): **B·T·(Σ_ℓ D·(6d² + 6d·m_ℓ) + 6·D·d·k)**, D = 2 directions, m_ℓ = D·d above layer 0, m_0 = e with an embedding (its gather and scatter not counted) and 0 for token ids without one" : ""}; tokens per step = B·T. Median of the timed steps after warm-up (min–max in brackets); ratios are rnn-wasm ÷ peer by median, measured in the same process.`);
  L.push(`- Policy: ${meta.policy.warmup} warm-up step${meta.policy.warmup > 1 ? "s" : ""}, then ≥ ${meta.policy.minSteps} steps and ≥ ${meta.policy.minTimeS} s; slow peers stop after a ${meta.policy.budgetS} s budget per measurement, and a peer estimated above ${meta.policy.maxStepS} s per step is not run (marked).`);
  L.push("");

  // Summary.
  const peers = impls.filter((id) => id !== "ours");
  if (meta.impls.ours) {
    L.push(`| config (n, d, k, T, B; layers) | rnn-wasm tokens/s | GFLOP/s | % of peak | % of peak by CPU time | ${peers.map((id) => `× ${label(id)}`).join(" | ")} |`);
    L.push(`| --- | --- | --- | --- | --- |${peers.map(() => " --- |").join("")}`);
    for (const c of configs) {
      const o = c.results.ours;
      const cells = peers.map((id) => {
        const r = c.results[id];
        if (!r) return "—";
        if (r.skipped && r.estStepS === undefined) return "not run";
        if (r.skipped) return `not run (est. ${times(o?.tokensPerS ? (c.tokensPerStep / r.estStepS) ** -1 * o.tokensPerS.median : NaN)})`;
        if (r.unavailable) return "not installed";
        if (r.notApplicable) return "n/a";
        if (r.error) return "failed";
        if (isTorch(id)) {
          const ours = c.torch?.ours;
          const byCpu = ours?.cpu && r.cpu ? ours.cpu.tokensPerS / r.cpu.tokensPerS : NaN;
          return `${times(c.ratios[id])}‡ (CPU ${times(byCpu)})`;
        }
        const byCpu = o?.cpu && r.cpu ? o.cpu.tokensPerS / r.cpu.tokensPerS : NaN;
        return times(c.ratios[id]) + (r.cold || r.limited ? "†" : "") + ` (CPU ${times(byCpu)})`;
      });
      L.push(`| ${configLabel(c)} | ${o?.tokensPerS ? rate(o.tokensPerS.median) : "—"} | ${fix(o?.gflops)} | ${pct(o?.peakFraction)} | ${pct(o?.cpu?.peakFraction)} | ${cells.join(" | ")} |`);
    }
    L.push("");
    L.push("Wall-clock figures are the result; \"by CPU time\" and \"(CPU …)\" use the process's CPU time per step instead (what the step takes with the core to itself: this machine is shared, see the CPU-share column below; CPU time includes V8's GC threads).");
    if (configs.some((c) => Object.values(c.results).some((r) => r.notApplicable))) L.push("n/a: the peer does not implement the config (plain JS is one layer, one direction; the f64 reference checks the deep configs instead, see Sanity).");
    L.push("† peer limited by the time budget (fewer than the usual steps; see below). \"not run (est.)\": the peer's step, estimated from its smaller config by FLOP, exceeded the cap; the ratio shown is that estimate. \"not run\" alone: see the row's note below.");
    if (peers.some(isTorch)) L.push("‡ PyTorch: timed interleaved with rnn-wasm, round by round in the same run; the ratio is the median of the per-round ratios (see the PyTorch section). Its CPU time counts every thread of the Python process.");
    L.push("");
  }

  // Every measurement.
  L.push(`| config | implementation | tokens/s | (min – max) | steps | GFLOP/s | % of peak | rnn-wasm ÷ this | CPU share | tokens/s by CPU time | loss at step 1 | note |`);
  L.push(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const c of configs) {
    for (const id of impls) {
      const r = c.results[id];
      if (!r) continue;
      if (r.skipped) { L.push(`| ${c.name} | ${label(id)} | — | | not run | | | | | | | ${cell(r.reason)} |`); continue; }
      if (r.unavailable) { L.push(`| ${c.name} | ${label(id)} | — | | not installed | | | | | | | ${cell(r.reason ?? "")} |`); continue; }
      if (r.notApplicable) { L.push(`| ${c.name} | ${label(id)} | — | | n/a | | | | | | | ${cell(r.reason ?? "")} |`); continue; }
      if (r.error) { L.push(`| ${c.name} | ${label(id)} | — | | failed | | | | | | | ${cell(r.error)} |`); continue; }
      if (isTorch(id)) {
        L.push(`| ${c.name} | ${label(id)} | ${rate(r.tokensPerS.median)} | (${rate(r.tokensPerS.min)} – ${rate(r.tokensPerS.max)}) | ${r.rounds} rounds × ${r.stepsPerRound} | ${fix(r.gflops)} | ${pct(r.peakFraction)} | ${times(c.ratios[id])}‡ | ${pct(r.cpu?.share)} | ${rate(r.cpu?.tokensPerS)} | ${fix(r.initialLoss, 4)} | ${cell(r.note ?? "")} |`);
        continue;
      }
      L.push(`| ${c.name} | ${label(id)} | ${rate(r.tokensPerS.median)} | (${rate(r.tokensPerS.min)} – ${rate(r.tokensPerS.max)}) | ${stepsCell(r, meta.policy)} | ${fix(r.gflops)} | ${pct(r.peakFraction)} | ${id === "ours" ? "1" : times(c.ratios[id])} | ${pct(r.cpu?.share)} | ${rate(r.cpu?.tokensPerS)} | ${fix(r.initialLoss, 4)} | ${cell(r.note ?? "")} |`);
    }
  }
  L.push("");
  for (const c of configs.filter((x) => x.sanity)) {
    const sanity = c.sanity;
    if (sanity.error) L.push(`Sanity (${c.name}): n/a (${cell(sanity.error)}).`);
    else if (sanity.refLoss !== undefined) L.push(`Sanity (${c.name}, same weights and batch): loss rnn-wasm ${sanity.oursLoss.toFixed(6)}, f64 reference (tests/reference/deep_ref.js) ${sanity.refLoss.toFixed(6)} (relative difference ${sanity.relLossDiff.toExponential(1)}); largest gradient difference ${sanity.maxGradDiff.toExponential(1)} (largest gradient ${sanity.maxGrad.toExponential(1)}).`);
    else L.push(`Sanity (${c.name}, same weights and batch): loss rnn-wasm ${sanity.oursLoss.toFixed(6)}, plain JS ${sanity.plainLoss.toFixed(6)} (relative difference ${sanity.relLossDiff.toExponential(1)}); largest gradient difference ${sanity.maxGradDiff.toExponential(1)} (largest gradient ${sanity.maxGrad.toExponential(1)}). Every implementation starts from the same weights, so the "loss at step 1" column must agree.`);
    L.push("");
  }

  // PyTorch.
  if (meta.torch) L.push(...torchSection(res), "");

  // Breakdown.
  const bd = res.breakdown;
  if (bd && Object.keys(bd).length) {
    L.push(`### Where rnn-wasm's step goes (raw ABI, same config and seed; median ms)`);
    L.push("");
    L.push(`| config | forward (model_predict) | loss + BPTT | SGD update | wrapper (checks, batch copy-in, finalState) | trainStep |`);
    L.push(`| --- | --- | --- | --- | --- | --- |`);
    for (const [name, b] of Object.entries(bd)) {
      if (b.error) { L.push(`| ${name} | n/a: ${cell(b.error)} | | | | |`); continue; }
      L.push(`| ${name} | ${fix(b.ms.forward)} ms · ${fix(b.gflops.forward, 1)} GFLOP/s · ${pct(b.peakFraction.forward)} | ${fix(b.ms.lossAndBackward)} ms · ${fix(b.gflops.backward, 1)} GFLOP/s · ${pct(b.peakFraction.backward)} | ${fix(b.ms.update)} ms | ${fix(b.ms.wrapper)} ms | ${fix(b.ms.total)} ms |`);
    }
    L.push("");
    L.push("The four calls (model_predict; model_gradients; model_train_step; the wrapper's trainStep) run interleaved, one of each per round; each phase is the median of its per-round difference. Forward counts B·T·(2d² + 2dk) FLOP, loss + BPTT B·T·(4d² + 4dk).");
    L.push("");
  }

  // Data-parallel training.
  const wk = res.workers;
  if (wk) {
    L.push(`### Data-parallel training (fitAsync \`workers\`; config M, ${wk.cores ?? "?"} cores)`);
    L.push("");
    if (wk.error) L.push(`n/a: ${cell(wk.error)}`);
    else {
      const rates = (t) => `${rate(t.median)} (${rate(t.min)} – ${rate(t.max)})`;
      const ratio = (r) => `${fix(r.median)}× (quartiles ${fix(r.q1)} – ${fix(r.q3)})`;
      L.push(`| | tokens/s | ms per step | start-up (ms) |`);
      L.push(`| --- | --- | --- | --- |`);
      for (const r of Object.values(wk.results)) L.push(`| ${cell(r.label)} | ${rates(r.tokensPerS)} | ${fix(r.stepMs.median, 1)} | ${fix(r.startupMs.median, 0)} |`);
      L.push("");
      L.push(`2 workers ÷ 1 worker: **${ratio(wk.ratios.w2OverW1)}**; 2 workers ÷ no workers: ${ratio(wk.ratios.w2OverThread)}; 1 worker ÷ no workers: ${ratio(wk.ratios.w1OverThread)}. ${wk.rounds} rounds of ${wk.stepsPerRound} steps each, ${wk.order}; each figure is timed between onBatch calls inside one fitAsync call (start-up apart), ratios are medians of per-round ratios.`);
    }
    L.push("");
  }

  // Inference.
  const inf = res.inference;
  if (inf) {
    const u = (t) => (t ? `${fix(t.median)} µs (${fix(t.min)} – ${fix(t.max)})` : "n/a");
    L.push(`### Inference (rnn-wasm; n = ${inf.config.n}, d = ${inf.config.d}, k = ${inf.config.k}; batch 1)`);
    L.push("");
    L.push(`| | public API | raw model_predict (kernel floor) |`);
    L.push(`| --- | --- | --- |`);
    L.push(`| streaming: one token per \`stepper.step(tok)\` (the output copied out) | ${u(inf.streamingUsPerToken)} per token | ${u(inf.raw?.streamingUs)} per token |`);
    L.push(`| \`predict\` of one 32-token sequence | ${u(inf.forward32Us)} | ${u(inf.raw?.forward32Us)} |`);
    L.push("");
  }

  // GEMM.
  const g = res.gemm;
  if (g) {
    L.push(`### GEMM 256³ (C += op(A)·op(B), 2·256³ FLOP)`);
    L.push("");
    if (g.error) L.push(`Kernel timing n/a: ${cell(g.error)}`);
    if (g.rows?.length) {
      L.push(`Source: ${cell(g.source)}${g.ascFlags ? ` (asc ${cell(g.ascFlags)})` : ""}.`);
      L.push("");
      L.push(`| kernel | form | GFLOP/s (median) | best | % of peak (median) | µs per product |`);
      L.push(`| --- | --- | --- | --- | --- | --- |`);
      for (const r of g.rows) L.push(`| ${r.kernel} | ${r.form} | ${fix(r.gflops)} | ${fix(r.bestGflops)} | ${pct(r.gflops / clk.peakGflops)} | ${fix(r.medianUs, 0)} |`);
    }
    if (g.publicEngine && !g.publicEngine.error) {
      L.push(`| via the engine | ${cell(g.publicEngine.what)} | ${fix(g.publicEngine.gflops)} | ${fix(g.publicEngine.bestGflops)} | ${pct(g.publicEngine.gflops / clk.peakGflops)} | ${fix(g.publicEngine.medianUs, 0)} |`);
    }
    L.push("");
  }

  // Targets of issue 6.
  L.push(`### Targets (issue 6${configs.some((c) => c.ratios?.["torch-1"] !== undefined) ? ", 13" : ""}${configs.some((c) => depth(c)) ? " and 12" : ""})`);
  L.push("");
  L.push(`| target | measured | met |`);
  L.push(`| --- | --- | --- |`);
  const S = configs.find((c) => c.name === "S");
  const yes = (b) => (b === undefined ? "—" : b ? "yes" : "**no**");
  if (S?.results.ours?.tokensPerS) {
    const wasmPeers = ["tfjs-wasm-ops", "tfjs-wasm-layers"].filter((id) => S.ratios[id] !== undefined);
    if (wasmPeers.length) {
      const best = Math.min(...wasmPeers.map((id) => S.ratios[id]));
      L.push(`| S training ≥ 10× the best TF.js-wasm variant | ${times(best)} | ${yes(best >= 10)} |`);
    }
    if (S.ratios.plain !== undefined) L.push(`| S training ≥ 20× plain JS | ${times(S.ratios.plain)} | ${yes(S.ratios.plain >= 20)} |`);
  }
  for (const name of ["M", "L"]) {
    const o = configs.find((c) => c.name === name)?.results.ours;
    if (o?.peakFraction !== undefined) L.push(`| ${name} training ≥ 55% of peak | ${pct(o.peakFraction)} | ${yes(o.peakFraction >= 0.55)} |`);
  }
  for (const name of ["M", "L"]) {
    const c = configs.find((x) => x.name === name);
    if (c?.ratios?.["torch-1"] !== undefined) L.push(`| ${name} training ≥ 1.0× PyTorch 1 thread (issue 13) | ${times(c.ratios["torch-1"])} | ${yes(c.ratios["torch-1"] >= 1)} |`);
    const f = c?.torch?.fma?.ratios?.["torch-1"];
    if (f) L.push(`| ${name} training with the FMA module ≥ 1.0× PyTorch 1 thread (issue 13) | ${times(f.median)} | ${yes(f.median >= 1)} |`);
  }
  for (const c of configs.filter((x) => depth(x) && x.results.ours?.tokensPerS)) {
    const wasmPeers = ["tfjs-wasm-ops", "tfjs-wasm-layers"].filter((id) => c.ratios?.[id] !== undefined);
    if (wasmPeers.length) {
      const best = Math.min(...wasmPeers.map((id) => c.ratios[id]));
      L.push(`| ${c.name} training ≥ 20× the best TF.js-wasm variant (issue 12) | ${times(best)} | ${yes(best >= 20)} |`);
    }
    if (c.ratios?.["torch-1"] !== undefined) L.push(`| ${c.name} training ≥ 0.8× PyTorch 1 thread (issue 12) | ${times(c.ratios["torch-1"])} | ${yes(c.ratios["torch-1"] >= 0.8)} |`);
  }
  if (g?.rows?.length) {
    const best = Math.max(...g.rows.map((r) => r.gflops));
    L.push(`| best GEMM kernel ≥ 60% of peak at 256³ | ${pct(best / clk.peakGflops)} (median of the best form) | ${yes(best / clk.peakGflops >= 0.6)} |`);
  }
  if (inf) {
    L.push(`| streaming ≤ 5 µs per token (d = 128, batch 1) | ${fix(inf.streamingUsPerToken.median)} µs | ${yes(inf.streamingUsPerToken.median <= 5)} |`);
    L.push(`| 32-token forward ≤ 100 µs | ${fix(inf.forward32Us.median, 1)} µs | ${yes(inf.forward32Us.median <= 100)} |`);
  }
  L.push("");
  L.push(`Run in ${meta.seconds.toFixed(0)} s. \`npm run bench\` reproduces it; \`--quick\` for S only, \`--check\` for a smoke run of S, S2 and E.`);
  L.push("");
  return L.join("\n");
}

/** The PyTorch section: what ran, its BLAS, the loss check and the interleaved figures. */
function torchSection(res) {
  const { meta, configs } = res;
  const t = meta.torch;
  const L = [`### PyTorch (interleaved with rnn-wasm in this run)`, ""];
  if (!t.available) {
    L.push(`Not installed: ${cell(t.reason)}. \`npm run bench\` adds PyTorch when a \`python3\` on PATH (or \`$BENCH_PYTHON\`) imports torch; see docs/speed.md.`);
    return L;
  }
  const b = t.blas;
  L.push(`PyTorch ${t.version}, Python ${t.pythonVersion}, numpy ${t.numpy}: \`nn.RNN(n, d, nonlinearity="tanh", batch_first=True)\` + \`nn.Linear(d, k)\`, \`F.cross_entropy(..., reduction="sum") / B\`, \`torch.optim.SGD\` (lr ${meta.policy.lr}), ids as a one-hot (B, T, n) tensor built once outside the timed steps (\`rnn.bias_hh_l0\` frozen: rnn-wasm has one bias).${configs.some((c) => depth(c)) ? " Deep configs (issue 12): `nn.RNN(..., num_layers=L, bidirectional=True)` + `nn.Linear(2d, k)`, every `rnn.bias_hh_*` frozen; with an embedding, `nn.Embedding(n, e)` takes the ids (no one-hot)." : ""} Weights: rnn-wasm's \`exportSafetensors(model)\`, read by ${t.safetensorsReader === "safetensors package" ? "the safetensors package" : "bench/torch_peer.py's own reader (no safetensors package)"}, \`load_state_dict(strict=True)\`.`);
  L.push("");
  L.push(`- BLAS: **${cell(b.name)}**${b.library ? ` (\`${cell(b.library.split("/").pop())}\`)` : ""}; torch built with BLAS_INFO=${b.build ?? "?"}. Found at run time by ${cell(b.method)}.${b.kind === "reference" ? " **The reference BLAS is many times slower than an optimised one: these PyTorch figures say little (Debian: install libopenblas0-pthread).**" : ""}${t.ldLibraryPath ? " The loader first gave torch the reference BLAS; the bench restarted it with LD_LIBRARY_PATH set to the OpenBLAS directory it found." : ""}`);
  L.push(`- Threads: ${Object.entries(t.threads).map(([id, x]) => `${meta.impls[id] ?? id}: torch ${x.threads}, BLAS ${x.blasThreads ?? (b.kind === "reference" ? "1 (single-threaded library)" : "?")} (OPENBLAS_NUM_THREADS=${x.env?.OPENBLAS_NUM_THREADS}, OMP_NUM_THREADS=${x.env?.OMP_NUM_THREADS}${x.env?.OMP_WAIT_POLICY ? `, OMP_WAIT_POLICY=${x.env.OMP_WAIT_POLICY}` : ""})`).join("; ")}. rnn-wasm uses one thread throughout.`);
  L.push(`- Rounds: each round times rnn-wasm and both PyTorch processes on a few steps each (about 0.25 s), in forward order in even rounds and reverse order in odd ones; a round's figure is the mean step time of its steps, the ratio is rnn-wasm ÷ PyTorch tokens/s per round, reported as the median over rounds with quartiles. Not counted in PyTorch's GFLOP/s: the one-hot product and its weight gradient (4·n·d FLOP per token and direction, which rnn-wasm does as a gather).`);
  const steering = ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY"];
  const otherEnv = Object.entries(Object.values(t.threads)[0]?.env ?? {}).filter(([k]) => !steering.includes(k));
  if (otherEnv.length) L.push(`- Also in PyTorch's environment (set outside the bench): ${otherEnv.map(([k, v]) => `\`${k}=${cell(v)}\``).join(", ")}.`);
  if (t.gemm256Gflops) L.push(`- torch.mm 256³ in the same processes: ${Object.entries(t.gemm256Gflops).map(([id, v]) => `${meta.impls[id] ?? id} ${fix(v, 1)} GFLOP/s`).join(", ")}.`);
  L.push("");
  L.push(`| config | rnn-wasm tokens/s (same rounds) | PyTorch 1 thread | rnn-wasm ÷ PyTorch 1 thread (quartiles) | PyTorch all threads | rnn-wasm ÷ PyTorch all threads (quartiles) | rounds | one-hot FLOP not counted | losses of steps 1, 2: rnn-wasm / PyTorch (max rel. diff) |`);
  L.push(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  const weightNotes = [];
  for (const c of configs) {
    const p1 = c.results["torch-1"], pa = c.results["torch-all"];
    if (!c.torch) { L.push(`| ${configLabel(c)} | — | ${p1?.error ? `failed: ${cell(p1.error)}` : "—"} | | | | | | |`); continue; }
    const rc = (r) => (r?.tokensPerS ? rate(r.tokensPerS.median) : r?.error ? `failed: ${cell(r.error)}` : "—");
    const ratio = (r, id) => (r?.interleaved ? `${times(c.ratios[id])} (${fix(r.interleaved.ratioQ1)}–${fix(r.interleaved.ratioQ3)})` : "—");
    const ls = c.torch.losses;
    if (ls.weights && ls.weights !== "exportSafetensors(model)") weightNotes.push(`${c.name}: weights from ${ls.weights}`);
    const rel = Math.max(...Object.values(ls.peers).flatMap((p) => p.relDiff));
    const peerLosses = Object.values(ls.peers)[0]?.losses ?? [];
    L.push(`| ${configLabel(c)} | ${rate(c.torch.ours.tokensPerS.median)} | ${rc(p1)} | ${ratio(p1, "torch-1")} | ${rc(pa)} | ${ratio(pa, "torch-all")} | ${c.torch.rounds} | ${c.torch.oneHotExtraFlop ? `+${(100 * c.torch.oneHotExtraFlop).toFixed(0)}%` : "none (nn.Embedding)"} | ${ls.ours.map((x) => fix(x, 6)).join(", ")} / ${peerLosses.map((x) => fix(x, 6)).join(", ")} (${rel.toExponential(1)}) |`);
    const f = c.torch.fma;
    if (f) {
      const fr = (id) => (f.ratios[id] ? `${times(f.ratios[id].median)} (${fix(f.ratios[id].q1)}–${fix(f.ratios[id].q3)})` : "—");
      L.push(`| ${configLabel(c)}, FMA module | ${rate(f.tokensPerS.median)} (${times(f.overStrict.median)} the strict one) | | ${fr("torch-1")} | | ${fr("torch-all")} | ${c.torch.rounds} | | |`);
    }
  }
  if (weightNotes.length) L.push("", `Weights: ${weightNotes.map(cell).join("; ")}.`);
  return L;
}

/** A grouped bar chart of tokens/s (log scale), one group per config, one bar per implementation. */
export function renderSvg(res) {
  const { meta, configs } = res;
  const impls = ORDER.filter((id) => meta.impls[id] && configs.some((c) => !c.results[id]?.unavailable));
  const W = 960, left = 70, right = 20, bottom = 60;
  // Legend entries, wrapped onto a second row when they do not fit (eight implementations).
  const legend = [];
  let lx = left, ly = 50;
  for (const id of impls) {
    const w = 28 + meta.impls[id].length * 6.6;
    if (lx > left && lx + w > W - right) { lx = left; ly += 18; }
    legend.push({ id, x: lx, y: ly });
    lx += w;
  }
  const top = ly + 20, H = 390 + top;
  const plotW = W - left - right, plotH = H - top - bottom;
  const values = configs.flatMap((c) => impls.map((id) => c.results[id]?.tokensPerS?.median).filter(Number.isFinite));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values, 1e3))));
  const hi = Math.pow(10, Math.ceil(Math.log10(1.6 * Math.max(...values, 1e4))));   // headroom for the labels
  const y = (v) => top + plotH * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
  const groupW = plotW / Math.max(configs.length, 1);
  const barW = Math.min(40, (groupW * 0.8) / impls.length);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${left}" y="22" font-size="16" font-weight="bold">Elman RNN training step: tokens/s (log scale, higher is better)</text>`);
  out.push(`<text x="${left}" y="40" fill="#555">${esc(`${meta.cpu}, rnn-wasm on 1 thread${meta.torch?.available ? `, PyTorch ${meta.torch.version} (${meta.torch.blasLabel.replace(/ \(.*$/, "")})` : ""} · clock ${meta.clock.ghz.toFixed(2)} GHz · ${meta.date.slice(0, 10)}${meta.mode === "quick" ? " · QUICK RUN" : ""}`)}</text>`);
  // Grid and axis.
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const v = Math.pow(10, e), yy = y(v).toFixed(1);
    out.push(`<line x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    const tick = v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v);
    out.push(`<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#555">${tick}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#999"/>`);
  // Bars.
  configs.forEach((c, gi) => {
    const gx = left + gi * groupW + (groupW - barW * impls.length) / 2;
    impls.forEach((id, bi) => {
      const r = c.results[id];
      const x = gx + bi * barW;
      const v = r?.tokensPerS?.median;
      if (!Number.isFinite(v)) {
        if (r) out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH - 4}" text-anchor="middle" font-size="10" fill="#999">n/r</text>`);
        return;
      }
      const yy = y(v);
      const flag = r.cold || r.limited ? "†" : "";
      out.push(`<rect x="${(x + 1).toFixed(1)}" y="${yy.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - yy).toFixed(1)}" fill="${COLORS[id]}"><title>${esc(`${meta.impls[id]} · ${c.name}: ${rate(v)} tokens/s`)}</title></rect>`);
      out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(yy - 4).toFixed(1)}" text-anchor="middle" font-size="10">${rate(v)}${flag}</text>`);
    });
    out.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 20}" text-anchor="middle" font-weight="bold">${c.name}</text>`);
    out.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 36}" text-anchor="middle" fill="#555" font-size="11">n=${c.n} d=${c.d} k=${c.k} T=${c.T} B=${c.B}${depth(c) ? ` · ${c.layers ?? 1}L${c.bidirectional ? " bi" : ""}${c.embeddingSize !== undefined ? ` e=${c.embeddingSize}` : ""}` : ""}${c.results.ours?.tokensPerS ? ` · ours ${pct(c.results.ours.peakFraction)} of peak` : ""}</text>`);
  });
  // Legend.
  for (const { id, x, y: yy } of legend) {
    out.push(`<rect x="${x.toFixed(1)}" y="${yy}" width="12" height="12" fill="${COLORS[id]}"/>`);
    out.push(`<text x="${(x + 16).toFixed(1)}" y="${yy + 10}">${esc(meta.impls[id])}</text>`);
  }
  out.push(`<text x="${W - right}" y="${H - 8}" text-anchor="end" fill="#777" font-size="10">† limited by the time budget · n/r: not run (estimated above the per-step cap)</text>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) { console.error("usage: node bench/report.js path/to/results.json"); process.exit(2); }
  const res = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(join(dirname(file), "results.md"), renderMarkdown(res));
  writeFileSync(join(dirname(file), "chart.svg"), renderSvg(res));
  console.log(`wrote ${join(dirname(file), "results.md")} and chart.svg`);
}
