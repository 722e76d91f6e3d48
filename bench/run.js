#!/usr/bin/env node
// npm run bench — rnn-wasm against TensorFlow.js (wasm and cpu backends, Layers API and a
// hand-written ops loop) and a plain Float32Array JavaScript implementation, in ONE process,
// and against PyTorch (nn.RNN + nn.Linear, 1 thread and all threads) in a Python child
// process when `import torch` works (bench/torch.js, bench/torch_peer.py), on the same Elman
// training step at the same shapes:
//
//   forward + full BPTT + SGD; tanh; softmax cross-entropy at every step; token-id input;
//   full-length sequences; B sequences of T tokens per step (many-to-many).
//
//   config    n    d    k    T    B   layers  directions  embedding
//   S        64  128   64   32   32     1         1           —
//   M       256  256  256   64   64     1         1           —
//   L       256  512  256   64   64     1         1           —
//   S2       64  128   64   32   32     2         2           —          (issue 12)
//   E     20000  256   64   32   32     2         2          128         (issue 12)
//
// Reported per config and implementation: tokens/s (B·T tokens per step; median of the timed
// steps after warm-up, with min and max), our ratio to each peer, achieved GFLOP/s counting
//
//   FLOP per step = B·T·(6d² + 6dk)                                      (one layer)
//   FLOP per step = B·T·(Σ_ℓ D·(6d² + 6d·m_ℓ) + 6·D·d·k)                 (deep, bidirectional)
//
// (forward: W·s 2d², V·s 2dk; backward: dV 2dk, Vᵀ·dO 2dk, dW 2d², Wᵀ·dz 2d²; the id
// gather/scatter, activations, softmax and the update are not counted; in a deep model the
// input projection U·x of layer ℓ, its dU and Uᵀ·dz count 6d·m_ℓ with m_ℓ = D·d for ℓ > 0
// and m_0 = e with an embedding (whose gather and scatter are not counted), m_0 = 0 for
// token ids without one; D = 2 directions when bidirectional), and the fraction of
// the theoretical single-core wasm-SIMD peak: 16 FLOP/cycle (an f32x4 mul and an f32x4 add
// per cycle on each of two ports, no FMA in wasm SIMD) × the clock measured in this run by a
// chain of dependent adds (bench/clock.js). Plus: inference latency of this library (batch-1
// streaming, one token per stepper.step(), at d = 128; and one 32-token
// predict()), a 256³ GEMM of the project's kernels (bench/gemm.js, or an export of rnn.wasm
// when there is one: see kernelGemm below), and where our step's time goes (raw ABI phases).
//
// PyTorch is timed interleaved with rnn-wasm, round by round in alternating order (the host
// drifts ±20% in minutes), from the same weights (exportSafetensors → load_state_dict; the
// first two losses are compared); its ratio is the median of the per-round ratios. Without
// torch its rows say "not installed". BENCH_PYTHON=/path/to/python picks the interpreter
// (BENCH_PYTHON=/nonexistent turns the peer off); by default the first python3 on PATH that
// imports torch.
//
// Slow peers are limited by a time budget per measurement: timed steps stop once the budget
// is spent (a row with fewer than the usual ≥ 10 steps says how many), and a peer whose
// estimated step time exceeds --max-step is not run at that config (the table says so).
//
// Data-parallel training (fitAsync's `workers`): at config M, fitAsync on this thread, with 1
// worker and with 2, interleaved round by round (alternating order); each round times a few
// steps of each from inside one fitAsync call (between onBatch calls: the workers' start-up
// is reported apart), and the ratios are medians of per-round ratios.
//
// Usage: node bench/run.js [--quick | --check] [--only ours,tfjs,plain,torch] [--configs S,M,L]
//          [--budget SECONDS] [--max-step SECONDS] [--no-gemm] [--no-inference] [--no-breakdown]
//          [--no-workers] [--workers-only]
// --check: does every path run? S only, 2 steps or rounds per measurement, no GEMM, inference
// or breakdown; exits 1 if a peer failed or PyTorch's losses disagree with rnn-wasm's.
// Writes bench/out/results.json, results.md and chart.svg; a full run (all configs, all
// implementations, not --quick) also writes bench/results.json and bench/results.md.

import { writeFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { cpus, tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { RNN, init, exportSafetensors, writeSafetensors } from "../dist/index.js";
import { PlainRNN } from "./plain.js";
import { measureClockGHz, plausibleClock } from "./clock.js";
import { buildKernelModule, timeKernels } from "./gemm.js";
import { renderMarkdown, renderSvg } from "./report.js";
import { startTorch, blasLabel, torchTensors } from "./torch.js";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const outDir = join(benchDir, "out");

export const CONFIGS = {
  S: { n: 64, d: 128, k: 64, T: 32, B: 32 },
  M: { n: 256, d: 256, k: 256, T: 64, B: 64 },
  L: { n: 256, d: 512, k: 256, T: 64, B: 64 },
  // Issue 12: deep and bidirectional. S2 = S with 2 bidirectional layers; E = a 20,000-word
  // vocabulary through a trainable 128-wide embedding into 2 bidirectional layers of 256.
  S2: { n: 64, d: 128, k: 64, T: 32, B: 32, layers: 2, bidirectional: true },
  E: { n: 20000, d: 256, k: 64, T: 32, B: 32, layers: 2, bidirectional: true, embeddingSize: 128 },
};

/** A config with more than one layer, a reverse direction or an embedding (the issue-12 peers). */
export const isDeep = (cfg) => (cfg.layers ?? 1) > 1 || !!cfg.bidirectional || cfg.embeddingSize !== undefined;
const dirsOf = (cfg) => (cfg.bidirectional ? 2 : 1);
/** "2 layers, bidirectional, embedding 128" (empty for a one-layer model). */
export const describeDepth = (cfg) => (isDeep(cfg) ? [`${cfg.layers ?? 1} layer${(cfg.layers ?? 1) > 1 ? "s" : ""}`, cfg.bidirectional ? "bidirectional" : "", cfg.embeddingSize !== undefined ? `embedding ${cfg.embeddingSize}` : ""].filter(Boolean).join(", ") : "");

/** Implementations, in run order. `group` is what --only selects. */
export const IMPLS = [
  { id: "ours", label: "rnn-wasm", group: "ours" },
  { id: "tfjs-wasm-ops", label: "TF.js wasm · ops loop", group: "tfjs", backend: "wasm", kind: "ops" },
  { id: "tfjs-wasm-layers", label: "TF.js wasm · Layers", group: "tfjs", backend: "wasm", kind: "layers" },
  { id: "tfjs-cpu-ops", label: "TF.js cpu · ops loop", group: "tfjs", backend: "cpu", kind: "ops" },
  { id: "tfjs-cpu-layers", label: "TF.js cpu · Layers", group: "tfjs", backend: "cpu", kind: "layers" },
  { id: "plain", label: "plain JS", group: "plain" },
  { id: "torch-1", label: "PyTorch · 1 thread", group: "torch", threads: "1" },
  { id: "torch-all", label: "PyTorch · all threads", group: "torch", threads: "all" },
];

const LR = 0.01;
const SEED = 1234;

export const flopPerToken = (cfg) => {
  const { d, k } = cfg;
  if (!isDeep(cfg)) return 6 * d * d + 6 * d * k;
  const L = cfg.layers ?? 1, D = dirsOf(cfg);
  let f = 6 * D * d * k;
  for (let l = 0; l < L; l++) f += D * (6 * d * d + 6 * d * (l > 0 ? D * d : cfg.embeddingSize ?? 0));
  return f;
};

// ── options ──────────────────────────────────────────────────────────────────────────────

function parseArgs(argv) {
  const o = { quick: false, check: false, only: null, configs: null, budget: null, maxStep: null, gemm: true, inference: true, breakdown: true, workers: true, workersOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (a.includes("=")) return a.slice(a.indexOf("=") + 1);
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    const name = a.split("=")[0];
    if (name === "--quick") o.quick = true;
    else if (name === "--check") { o.check = o.quick = true; o.gemm = o.inference = o.breakdown = false; }
    else if (name === "--only") o.only = value().split(",").map((s) => s.trim()).filter(Boolean);
    else if (name === "--configs" || name === "--config") o.configs = value().split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
    else if (name === "--budget") o.budget = Number(value());
    else if (name === "--max-step") o.maxStep = Number(value());
    else if (name === "--no-gemm") o.gemm = false;
    else if (name === "--no-inference") o.inference = false;
    else if (name === "--no-breakdown") o.breakdown = false;
    else if (name === "--no-workers") o.workers = false;
    else if (name === "--workers-only") { o.workersOnly = true; o.only = ["ours"]; o.gemm = o.inference = o.breakdown = false; }
    else if (name === "--help" || name === "-h") { console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1).filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith("//"))).map((l) => l.slice(3)).join("\n")); process.exit(0); }
    else if (/^(S2|[SMLE])(,(S2|[SMLE]))*$/i.test(a)) o.configs = a.toUpperCase().split(",");
    else throw new Error(`unknown option ${a} (try --help)`);
  }
  const groups = new Set(IMPLS.map((m) => m.group));
  for (const g of o.only ?? []) if (!groups.has(g)) throw new Error(`--only: unknown "${g}" (ours, tfjs, plain, torch)`);
  if (o.only?.includes("torch") && !o.only.includes("ours")) o.only.push("ours");   // PyTorch's ratios are to rnn-wasm
  for (const c of o.configs ?? []) if (!CONFIGS[c]) throw new Error(`--configs: unknown "${c}" (${Object.keys(CONFIGS).join(", ")})`);
  // --quick: S alone; --check: S and the issue-12 configs (each of their paths is new).
  o.configs ??= o.check ? ["S", "S2", "E"] : o.quick ? ["S"] : Object.keys(CONFIGS);
  if (o.workersOnly) o.configs = [];
  o.budget ??= o.quick ? 3 : 12;
  o.maxStep ??= o.quick ? 10 : 45;
  // Step policy: at least minSteps timed steps and minTime seconds for fast implementations.
  o.minSteps = o.quick ? 5 : 10;
  o.maxSteps = o.quick ? 20 : 200;
  o.minTime = o.quick ? 0.3 : 1.5;
  o.warmup = o.quick ? 1 : 2;
  if (o.check) Object.assign(o, { minSteps: 2, maxSteps: 2, minTime: 0, budget: Math.min(o.budget, 2) });
  o.full = !o.quick && o.only === null && o.configs.length === Object.keys(CONFIGS).length && o.gemm && o.inference && o.workers;
  return o;
}

// ── timing ───────────────────────────────────────────────────────────────────────────────

const now = () => performance.now();
// CPU time of the process (user + system, ms). On a shared machine a step's wall time
// includes time the scheduler gave to other processes; its CPU time does not (it does
// include V8's GC helper threads, i.e. work the step caused). Reported beside wall time.
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/**
 * Time `step` (sync or async). Warm-up steps first (fewer if one step is slow: a warm-up
 * step longer than the budget is kept as the only, cold, sample). Then timed steps until
 * minSteps and minTime are both reached, or maxSteps, or the budget is spent (≥ 1 step).
 * @returns {{ ms: number[], cpuMs: number[], cold: boolean, firstValue: any }}
 */
async function measure(step, { warmup, minSteps, maxSteps, minTime, budget }) {
  let firstValue;
  let cold = false;
  const ms = [], cpuMs = [];
  for (let w = 0; w < warmup; w++) {
    const c0 = cpuNow(), t0 = now();
    const v = await step();
    const dt = now() - t0, dc = cpuNow() - c0;
    if (w === 0) firstValue = v;
    if (dt / 1e3 > budget) { ms.push(dt); cpuMs.push(dc); cold = true; break; }
    if (dt / 1e3 > budget / 4) break;       // slow: one warm-up step is enough
  }
  if (!cold) {
    const start = now();
    for (;;) {
      const c0 = cpuNow(), t0 = now();
      await step();
      ms.push(now() - t0);
      cpuMs.push(cpuNow() - c0);
      const elapsed = (now() - start) / 1e3;
      if (ms.length >= maxSteps) break;
      if (ms.length >= minSteps && elapsed >= minTime) break;
      if (elapsed >= budget) break;
    }
  }
  return { ms, cpuMs, cold, firstValue };
}

/** tokens/s and GFLOP/s figures from step times (wall, and CPU time beside it). */
function summarise(ms, cpuMs, cfg, clock) {
  const tokens = cfg.B * cfg.T;
  const flop = tokens * flopPerToken(cfg);
  const med = median(ms), lo = Math.min(...ms), hi = Math.max(...ms);
  const gflops = flop / (med / 1e3) / 1e9;
  return {
    steps: ms.length,
    stepMs: { median: med, min: lo, max: hi },
    tokensPerS: { median: tokens / (med / 1e3), min: tokens / (hi / 1e3), max: tokens / (lo / 1e3) },
    gflops,
    peakFraction: gflops / clock.peakGflops,
    cpu: {
      stepMs: median(cpuMs),
      tokensPerS: tokens / (median(cpuMs) / 1e3),
      gflops: flop / (median(cpuMs) / 1e3) / 1e9,
      peakFraction: flop / (median(cpuMs) / 1e3) / 1e9 / clock.peakGflops,
      share: median(cpuMs.map((c, i) => c / ms[i])),
    },
  };
}

// ── data ─────────────────────────────────────────────────────────────────────────────────

/** B sequences of T random ids < n and targets < k (a fixed LCG: the same batch in every run). */
function makeBatch({ n, k, T, B }, seed = 1) {
  let s = seed >>> 0;
  const next = (m) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 8) % m; };
  const inputs = Array.from({ length: B }, () => Array.from({ length: T }, () => next(n)));
  const targets = Array.from({ length: B }, () => Array.from({ length: T }, () => next(k)));
  return { inputs, targets };
}

const modelConfig = ({ n, d, k, layers, bidirectional, embeddingSize }) => ({
  input: "ids", inputSize: n, hiddenSize: d, outputSize: k,
  task: "many-to-many", hiddenActivation: "tanh", loss: "softmax-cross-entropy", seed: SEED,
  ...(layers !== undefined ? { layers } : {}),
  ...(bidirectional !== undefined ? { bidirectional } : {}),
  ...(embeddingSize !== undefined ? { embeddingSize } : {}),
});

// ── the training benchmark ───────────────────────────────────────────────────────────────

let tfjs = null;   // { tf, wasm } once loaded

async function tfjsPeers() {
  if (!tfjs) {
    const mod = await import("./tfjs.js");
    tfjs = { ...(await mod.loadTfjs()), mod };
  }
  return tfjs;
}

/** Build one implementation's step at a config, from the initial parameters p0. */
async function makeStep(impl, cfg, p0, batch) {
  if (impl.id === "ours") {
    const model = await RNN.create(modelConfig(cfg));
    const opts = { optimizer: { type: "sgd", lr: LR } };
    return { step: () => model.trainStep(batch, opts).loss, dispose: () => model.dispose(), note: "" };
  }
  if (impl.id === "plain") {
    const plain = new PlainRNN(cfg);
    plain.setParameters(p0);
    return { step: () => plain.trainStep(batch.inputs, batch.targets, LR), dispose: () => {}, note: "" };
  }
  const { tf, mod } = await tfjsPeers();
  await tf.setBackend(impl.backend);
  const peer = (impl.kind === "ops" ? mod.makeOpsLoop : mod.makeLayers)(tf, cfg, p0, batch, LR);   // one layer or a deep stack
  return { step: () => peer.step(), dispose: () => peer.dispose(), note: `input: ${peer.input}` };
}

/** The plain-JS sanity check: loss and gradients at the same weights as ours. */
async function sanityPlain(cfg, batch) {
  const model = await RNN.create(modelConfig(cfg));
  const ours = model.computeGradients(batch).loss;
  const g = model.gradients();
  const plain = new PlainRNN(cfg);
  plain.setParameters(model.parameters());
  const theirs = plain.computeGradients(batch.inputs, batch.targets);
  let maxGradDiff = 0, maxGrad = 0;
  for (const key of ["U", "W", "b", "V", "c"]) {
    const a = g[key], b = plain[`d${key}`];
    for (let i = 0; i < a.length; i++) {
      maxGradDiff = Math.max(maxGradDiff, Math.abs(a[i] - b[i]));
      maxGrad = Math.max(maxGrad, Math.abs(b[i]));
    }
  }
  model.dispose();
  return { oursLoss: ours, plainLoss: theirs, relLossDiff: Math.abs(ours - theirs) / Math.abs(theirs), maxGradDiff, maxGrad };
}

/**
 * The deep configs' sanity check: rnn-wasm's loss and gradients against the independent f64
 * reference of the tests (tests/reference/deep_ref.js), at the same weights and batch.
 */
async function sanityReference(cfg, batch) {
  let ref;
  try {
    ref = await import("../tests/reference/deep_ref.js");
  } catch (e) {
    return { error: `tests/reference/deep_ref.js not loadable: ${e.message}` };
  }
  const mc = modelConfig(cfg);
  const model = await RNN.create(mc);
  try {
    const params = model.parameters();
    const ours = model.computeGradients(batch).loss;
    const g = model.gradients();
    const t0 = now();
    const r = ref.lossAndGradients(mc, params, batch);
    let maxGradDiff = 0, maxGrad = 0;
    for (const key of Object.keys(r.grads)) {
      const a = g[key], b = r.grads[key];
      if (!a || a.length !== b.length) return { error: `gradient ${key}: ${a ? `${a.length} values, the reference has ${b.length}` : "missing"}` };
      for (let i = 0; i < a.length; i++) {
        maxGradDiff = Math.max(maxGradDiff, Math.abs(a[i] - b[i]));
        maxGrad = Math.max(maxGrad, Math.abs(b[i]));
      }
    }
    return { against: "f64 reference (tests/reference/deep_ref.js)", oursLoss: ours, refLoss: r.loss, relLossDiff: Math.abs(ours - r.loss) / Math.abs(r.loss), maxGradDiff, maxGrad, refSeconds: (now() - t0) / 1e3 };
  } finally {
    model.dispose();
  }
}

async function benchConfig(name, cfg, impls, opts, clock, history, torch) {
  const batch = makeBatch(cfg);
  const p0Model = await RNN.create(modelConfig(cfg));
  const p0 = p0Model.parameters();
  p0Model.dispose();
  const tokens = cfg.B * cfg.T;
  const entry = { name, ...cfg, tokensPerStep: tokens, flopPerStep: tokens * flopPerToken(cfg), results: {}, sanity: null };
  console.log(`\n${name}: n=${cfg.n} d=${cfg.d} k=${cfg.k} T=${cfg.T} B=${cfg.B}${isDeep(cfg) ? `, ${describeDepth(cfg)}` : ""}  (${tokens} tokens, ${(entry.flopPerStep / 1e6).toFixed(0)} MFLOP per step)`);

  if (impls.some((m) => m.id === "plain") && name === "S") {
    entry.sanity = await sanityPlain(cfg, batch);
    const s = entry.sanity;
    console.log(`  sanity: loss ours ${s.oursLoss.toFixed(6)} plain ${s.plainLoss.toFixed(6)} (rel. diff ${s.relLossDiff.toExponential(1)}), max |Δgrad| ${s.maxGradDiff.toExponential(1)} (max |grad| ${s.maxGrad.toExponential(1)})`);
    if (!(s.relLossDiff < 1e-4)) console.warn("  WARNING: plain JS and rnn-wasm disagree on the loss");
  }
  if (impls.some((m) => m.id === "plain") && isDeep(cfg)) {
    entry.sanity = await sanityReference(cfg, batch);
    const s = entry.sanity;
    if (s.error) console.log(`  sanity: f64 reference n/a (${s.error})`);
    else {
      console.log(`  sanity: loss ours ${s.oursLoss.toFixed(6)} f64 reference ${s.refLoss.toFixed(6)} (rel. diff ${s.relLossDiff.toExponential(1)}), max |Δgrad| ${s.maxGradDiff.toExponential(1)} (max |grad| ${s.maxGrad.toExponential(1)})`);
      if (!(s.relLossDiff < 1e-4)) console.warn("  WARNING: the f64 reference and rnn-wasm disagree on the loss");
    }
  }

  for (const impl of impls) {
    if (impl.group === "torch") continue;   // timed interleaved with rnn-wasm below
    const why = impl.group === "tfjs" ? (await tfjsPeers()).mod.tfjsUnsupported(impl.backend, cfg) : null;
    if (why) {
      entry.results[impl.id] = { skipped: true, reason: why };
      console.log(`  ${impl.label.padEnd(24)} not run: ${why}`);
      continue;
    }
    if (impl.id === "plain" && isDeep(cfg)) {
      entry.results.plain = { notApplicable: true, reason: "bench/plain.js is a one-layer, one-direction model (the f64 reference checks this config instead)" };
      console.log(`  ${impl.label.padEnd(24)} n/a: one-layer model only`);
      continue;
    }
    // Skip a peer whose step would exceed --max-step, estimated from its last config by FLOP.
    const prev = history.get(impl.id);
    if (prev && opts.maxStep > 0) {
      const est = prev.stepMs * (entry.flopPerStep / prev.flop) / 1e3;
      if (est > opts.maxStep) {
        entry.results[impl.id] = { skipped: true, estStepS: est, reason: `est. ${est.toFixed(0)} s/step > --max-step ${opts.maxStep} s` };
        console.log(`  ${impl.label.padEnd(24)} skipped: ${entry.results[impl.id].reason}`);
        continue;
      }
    }
    let made;
    try {
      made = await makeStep(impl, cfg, p0, batch);
    } catch (e) {
      entry.results[impl.id] = { error: String(e.message ?? e) };
      console.log(`  ${impl.label.padEnd(24)} failed: ${e.message}`);
      continue;
    }
    const m = await measure(made.step, opts);
    made.dispose();
    const r = { ...summarise(m.ms, m.cpuMs, cfg, clock), cold: m.cold, limited: m.ms.length < opts.minSteps, initialLoss: m.firstValue, note: made.note };
    entry.results[impl.id] = r;
    history.set(impl.id, { stepMs: r.stepMs.median, flop: entry.flopPerStep });
    console.log(`  ${impl.label.padEnd(24)} ${fmtRate(r.tokensPerS.median).padStart(8)} tokens/s  (${fmtRate(r.tokensPerS.min)}–${fmtRate(r.tokensPerS.max)}, ${r.steps} step${r.steps > 1 ? "s" : ""}${r.cold ? ", cold" : ""})  ${r.gflops.toFixed(2)} GFLOP/s  ${(100 * r.peakFraction).toFixed(1)}% of peak (CPU time: ${fmtRate(r.cpu.tokensPerS)} tokens/s, ${(100 * r.cpu.peakFraction).toFixed(1)}%)  loss₀ ${Number(m.firstValue).toFixed(4)}`);
  }

  // Ratios: ours ÷ peer, by median tokens/s; the initial losses must agree (same weights, same batch).
  const ours = entry.results.ours;
  entry.ratios = {};
  for (const impl of impls) {
    const r = entry.results[impl.id];
    if (impl.id === "ours" || impl.group === "torch" || !ours?.tokensPerS || !r?.tokensPerS) continue;
    entry.ratios[impl.id] = ours.tokensPerS.median / r.tokensPerS.median;
    if (Math.abs(r.initialLoss - ours.initialLoss) > 1e-3 * Math.abs(ours.initialLoss)) {
      console.warn(`  WARNING: ${impl.label} starts at loss ${r.initialLoss}, ours at ${ours.initialLoss}`);
    }
  }
  if (torch) await benchTorch(cfg, batch, entry, opts, clock, torch);
  return entry;
}

// ── PyTorch, interleaved with rnn-wasm ───────────────────────────────────────────────────

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); const i = (s.length - 1) * q, lo = Math.floor(i); return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo); };
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * rnn-wasm and the PyTorch peers (1 thread, all threads) on the same step, the same batch and
 * the same initial weights (exportSafetensors, loaded by torch_peer.py). First the losses of
 * two steps from those weights, on both sides. Then rounds: in each, every contestant runs a
 * few steps (as many as take ~0.25 s, from its warm-up), in forward order in even rounds and
 * reverse order in odd ones, so each pair sees each order equally often. A contestant's
 * figure in a round is its mean step time over those steps; the ratio rnn-wasm ÷ PyTorch is
 * the median of the per-round ratios (quartiles beside it). After the all-threads peer the
 * next contestant waits 0.1 s: OpenBLAS's idle threads spin that long before they sleep.
 */
async function benchTorch(cfg, batch, entry, opts, clock, torch) {
  const ids = IMPLS.filter((m) => m.group === "torch").map((m) => m.id);
  if (!torch.available) {
    for (const id of ids) entry.results[id] = { unavailable: true, reason: torch.reason };
    console.log(`  ${"PyTorch".padEnd(24)} not installed (${torch.reason})`);
    return;
  }
  const sgd = { optimizer: { type: "sgd", lr: LR } };
  const dir = mkdtempSync(join(tmpdir(), "rnn-wasm-bench-"));
  let model;
  try {
    // The same weights on both sides, and the first two losses (the second checks the update).
    const file = join(dir, `${entry.name}.safetensors`);
    const m0 = await RNN.create(modelConfig(cfg));
    // The library's export when it can write this model; else (a deep model before the interop
    // knows layers) the bench writes model.parameters() under PyTorch's keys itself.
    let weights = "exportSafetensors(model)";
    try {
      writeFileSync(file, exportSafetensors(m0));
    } catch (e) {
      if (!isDeep(cfg)) throw e;
      writeFileSync(file, writeSafetensors(torchTensors(cfg, m0.parameters())));
      weights = `model.parameters() under PyTorch's keys, written by the bench (exportSafetensors: ${e.message})`;
      console.log(`  PyTorch weights: exportSafetensors failed (${e.message}); the bench wrote model.parameters() under PyTorch's keys`);
    }
    const oursLosses = [m0.trainStep(batch, sgd).loss, m0.trainStep(batch, sgd).loss];
    m0.dispose();
    const check = { ours: oursLosses, peers: {}, weights };
    // A peer that fails (setup, or any request later) gets an error row; the others go on.
    const failed = (p, e) => {
      entry.results[p.id] = { error: String(e.message ?? e) };
      console.log(`  ${p.label.padEnd(24)} failed: ${e.message}`);
    };
    const live = [];
    for (const p of torch.peers) {
      if (p.peer.exited) { failed(p, new Error(p.peer.exited)); continue; }
      let r;
      try {
        r = await p.peer.request({ op: "setup", ...cfg, lr: LR, weights: file, inputs: batch.inputs, targets: batch.targets, checkSteps: 2 });
      } catch (e) {
        failed(p, e);
        continue;
      }
      live.push(p);
      const rel = r.losses.map((l, i) => Math.abs(l - oursLosses[i]) / Math.abs(oursLosses[i]));
      check.peers[p.id] = { losses: r.losses, relDiff: rel, reader: r.reader, input: r.input };
      console.log(`  ${p.label}: losses of steps 1, 2 — rnn-wasm ${oursLosses.map((l) => l.toFixed(6)).join(", ")}; PyTorch ${r.losses.map((l) => l.toFixed(6)).join(", ")} (rel. diff ${rel.map((x) => x.toExponential(1)).join(", ")})`);
      if (!(Math.max(...rel) <= 1e-5)) console.warn(`  WARNING: ${p.label} and rnn-wasm disagree on the loss (> 1e-5 relative)`);
    }

    model = await RNN.create(modelConfig(cfg));
    // The FMA module (issue 13) as one more contestant, where the engine has relaxed SIMD
    // (Node ≥ 22): the same weights, the same steps, in the same rounds.
    const fmaEngine = await init({ fma: readFileSync(fileURLToPath(new URL("../dist/rnn-fma.wasm", import.meta.url))) }).catch(() => null);
    let fmaModel = null;
    if (fmaEngine?.features?.fma) {
      fmaModel = await RNN.create(modelConfig(cfg), { engine: fmaEngine });
      fmaModel.setParameters(model.parameters());
    }
    const timeSteps = (m) => async (q) => {
      const ms = [], cpuMs = [];
      for (let i = 0; i < q; i++) {
        const c0 = cpuNow(), t0 = now();
        m.trainStep(batch, sgd);
        ms.push(now() - t0);
        cpuMs.push(cpuNow() - c0);
      }
      return { ms, cpuMs };
    };
    const contestants = [
      {
        id: "ours", label: "rnn-wasm",
        run: timeSteps(model),
      },
      ...(fmaModel ? [{ id: "ours-fma", label: "rnn-wasm FMA", run: timeSteps(fmaModel) }] : []),
      ...live.map((p) => ({ id: p.id, label: p.label, peer: p, settle: p.threads !== "1", run: (q) => p.peer.request({ op: "run", steps: q }) })),
    ];
    // Run one contestant; a failing peer leaves the contest (and its earlier rounds are dropped).
    const runOrDrop = async (c, q) => {
      try {
        return await c.run(q);
      } catch (e) {
        if (!c.peer) throw e;
        failed(c.peer, e);
        contestants.splice(contestants.indexOf(c), 1);
        for (const row of rounds) delete row[c.id];
        return null;
      }
    };
    const rounds = [];
    const targetMs = opts.check ? 20 : opts.quick ? 60 : 250;
    for (const c of [...contestants]) {
      if (!(await runOrDrop(c, opts.warmup))) continue;
      const t = await runOrDrop(c, 1);
      if (!t) continue;
      c.q = Math.max(1, Math.min(50, Math.round(targetMs / t.ms[0])));
      if (c.settle) await sleep(100);
    }
    const minRounds = opts.check ? 2 : opts.quick ? 3 : 9, maxRounds = opts.check ? 2 : opts.quick ? 9 : 41;
    const minTime = opts.quick ? 0.5 : 4, maxTime = opts.quick ? 4 : 3 * opts.budget;
    const start = now();
    for (let r = 0; contestants.length > 1; r++) {
      const order = r % 2 ? [...contestants].reverse() : [...contestants];
      const row = {};
      for (const c of order) {
        const res = await runOrDrop(c, c.q);
        if (!res) continue;
        row[c.id] = { ms: mean(res.ms), cpuMs: mean(res.cpuMs) };
        if (c.settle) await sleep(100);
      }
      rounds.push(row);
      const elapsed = (now() - start) / 1e3;
      if (rounds.length >= maxRounds) break;
      if (rounds.length >= minRounds && elapsed >= minTime) break;
      if (rounds.length >= 3 && elapsed >= maxTime) break;
    }

    if (contestants.length < 2 || !rounds.length) return;   // every PyTorch peer failed (rows say so)
    const q = Object.fromEntries(contestants.map((c) => [c.id, c.q]));
    const sum = (id) => summarise(rounds.map((r) => r[id].ms), rounds.map((r) => r[id].cpuMs), cfg, clock);
    const ours = { ...sum("ours"), steps: rounds.length * q.ours, rounds: rounds.length, stepsPerRound: q.ours };
    // One-hot input: PyTorch's layer-0 input product and its weight gradient, 4·n·d FLOP per
    // token and direction, that rnn-wasm does as a gather and a scatter (none with an embedding).
    const extraFlop = cfg.embeddingSize !== undefined ? 0 : (4 * cfg.n * cfg.d * dirsOf(cfg)) / flopPerToken(cfg);
    entry.torch = { ours, losses: check, rounds: rounds.length, order: "forward in even rounds, reverse in odd rounds", oneHotExtraFlop: extraFlop, perRound: rounds };
    console.log(`  ${"rnn-wasm (interleaved)".padEnd(24)} ${fmtRate(ours.tokensPerS.median).padStart(8)} tokens/s  (${fmtRate(ours.tokensPerS.min)}–${fmtRate(ours.tokensPerS.max)}, ${rounds.length} rounds × ${q.ours} steps)`);
    if (q["ours-fma"]) {
      const fma = { ...sum("ours-fma"), steps: rounds.length * q["ours-fma"], ratios: {} };
      for (const p of live) {
        if (!rounds.every((r) => r[p.id])) continue;
        const ratios = rounds.map((r) => r[p.id].ms / r["ours-fma"].ms);
        fma.ratios[p.id] = { median: median(ratios), q1: quantile(ratios, 0.25), q3: quantile(ratios, 0.75) };
      }
      const strict = rounds.map((r) => r.ours.ms / r["ours-fma"].ms);
      fma.overStrict = { median: median(strict), q1: quantile(strict, 0.25), q3: quantile(strict, 0.75) };
      entry.torch.fma = fma;
      console.log(`  ${"rnn-wasm FMA".padEnd(24)} ${fmtRate(fma.tokensPerS.median).padStart(8)} tokens/s  FMA ÷ strict ${fma.overStrict.median.toFixed(2)}×` +
        Object.entries(fma.ratios).map(([id, r]) => `; FMA ÷ ${id} ${r.median.toFixed(2)}× (quartiles ${r.q1.toFixed(2)}–${r.q3.toFixed(2)})`).join(""));
    }
    for (const p of live) {
      if (entry.results[p.id]?.error) continue;
      const ratios = rounds.map((r) => r[p.id].ms / r.ours.ms);   // per round: rnn-wasm tokens/s ÷ PyTorch tokens/s
      const s = sum(p.id);
      const c = check.peers[p.id];
      entry.results[p.id] = {
        ...s, steps: rounds.length * q[p.id], rounds: rounds.length, stepsPerRound: q[p.id],
        cold: false, limited: false, initialLoss: c.losses[0], secondLoss: c.losses[1], lossRelDiff: c.relDiff,
        interleaved: { oursTokensPerS: ours.tokensPerS.median, ratioMedian: median(ratios), ratioQ1: quantile(ratios, 0.25), ratioQ3: quantile(ratios, 0.75) },
        threads: p.info.threads, blas: blasLabel(p.info),
        note: `${p.info.threads} thread${p.info.threads === 1 ? "" : "s"}, ${blasLabel(p.info)}; ${extraFlop ? `one-hot input (+${(100 * extraFlop).toFixed(0)}% FLOP not counted)` : c.input}; interleaved with rnn-wasm (${rounds.length} rounds)`,
      };
      entry.ratios[p.id] = median(ratios);
      const r = entry.results[p.id];
      console.log(`  ${p.label.padEnd(24)} ${fmtRate(r.tokensPerS.median).padStart(8)} tokens/s  (${fmtRate(r.tokensPerS.min)}–${fmtRate(r.tokensPerS.max)}, ${rounds.length} rounds × ${q[p.id]} steps)  rnn-wasm ÷ PyTorch ${entry.ratios[p.id].toFixed(2)}× (quartiles ${r.interleaved.ratioQ1.toFixed(2)}–${r.interleaved.ratioQ3.toFixed(2)})  [${r.note.split(";")[0]}]`);
    }
  } catch (e) {
    for (const id of ids) if (!entry.results[id]) entry.results[id] = { error: String(e.message ?? e) };
    console.log(`  PyTorch failed: ${e.message}`);
  } finally {
    model?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ── data-parallel training: fitAsync with 1 and 2 workers, interleaved ───────────────────

/**
 * fitAsync at config M on this thread, with `workers: 1` and with `workers: 2`, round by round
 * in alternating order. In a round each contestant runs one fitAsync call of 1 + q batches of
 * B sequences of T tokens (SGD, no shuffle); its figure is q·B·T tokens over the time from the
 * first batch's onBatch to the last (so the steady state: posting parameters and shards,
 * gradients back, the sum, the update), and the time to the first onBatch less one step is its
 * start-up (spawning workers, instantiating the module in each). Ratios: medians of per-round
 * ratios, quartiles beside them.
 */
async function benchWorkers(opts) {
  const cfg = CONFIGS.M;
  const q = opts.check ? 1 : opts.quick ? 2 : 4;
  const minRounds = opts.check ? 1 : opts.quick ? 3 : 9;
  const { inputs, targets } = makeBatch({ ...cfg, B: cfg.B * (q + 1) }, 7);
  const data = { inputs, targets };
  const tokensPerStep = cfg.B * cfg.T;
  const contestants = [
    { id: "thread", label: "fitAsync, no workers", workers: undefined },
    { id: "w1", label: "fitAsync, workers: 1", workers: 1 },
    { id: "w2", label: "fitAsync, workers: 2", workers: 2 },
  ];
  const one = async (c) => {
    const model = await RNN.create(modelConfig(cfg));
    try {
      const at = [];
      const t0 = now();
      await model.fitAsync(data, {
        epochs: 1, batchSize: cfg.B, shuffle: false, buckets: false, optimizer: { type: "sgd", lr: LR },
        ...(c.workers ? { workers: c.workers } : {}), onBatch: () => at.push(now()),
      });
      const stepMs = (at[at.length - 1] - at[0]) / q;
      return { tokensPerS: (q * tokensPerStep) / ((at[at.length - 1] - at[0]) / 1e3), stepMs, startupMs: Math.max(0, at[0] - t0 - stepMs) };
    } finally {
      model.dispose();
    }
  };
  for (const c of contestants) await one(c);                      // warm-up: JIT, page faults
  const rounds = [];
  const start = now();
  for (let r = 0; ; r++) {
    const row = {};
    for (const c of r % 2 ? [...contestants].reverse() : contestants) row[c.id] = await one(c);
    rounds.push(row);
    if (rounds.length >= minRounds && (now() - start) / 1e3 >= (opts.check ? 0 : opts.quick ? 2 : 8)) break;
    if (rounds.length >= 41) break;
  }
  const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75) });
  const results = Object.fromEntries(contestants.map((c) => [c.id, {
    label: c.label, tokensPerS: stats(rounds.map((r) => r[c.id].tokensPerS)), stepMs: stats(rounds.map((r) => r[c.id].stepMs)),
    startupMs: stats(rounds.map((r) => r[c.id].startupMs)),
  }]));
  const ratio = (a, b) => stats(rounds.map((r) => r[a].tokensPerS / r[b].tokensPerS));
  return {
    config: "M", ...cfg, cores: cpus().length, stepsPerRound: q, rounds: rounds.length, order: "forward in even rounds, reverse in odd rounds",
    results, ratios: { w2OverW1: ratio("w2", "w1"), w2OverThread: ratio("w2", "thread"), w1OverThread: ratio("w1", "thread") }, perRound: rounds,
  };
}

// ── our step, phase by phase (raw ABI of the engine) ─────────────────────────────────────

/**
 * A one-layer, one-direction model through the raw ABI: ids input, many-to-many, tanh,
 * softmax cross-entropy, the bench's seed. ABI 5 (issues 12, 14) added layers, directions,
 * embedding size, dropout, pooling and the input and output dropouts before the seed; an
 * export's length is its parameter count (model_reserve's extra F, ids a step, is ignored by
 * older modules).
 */
function rawCreate(ex, n, d, k) {
  return (ex.model_create.length >= 16
    ? ex.model_create(n, d, k, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, SEED, 0)
    : ex.model_create.length >= 13
    ? ex.model_create(n, d, k, 0, 0, 0, 0, 1, 1, 0, 0, SEED, 0)
    : ex.model_create(n, d, k, 0, 0, 0, 0, SEED, 0)) >>> 0;
}

/**
 * Where our step's time goes. Drives the engine's raw exports (engine.exports, see
 * dist/wasm.d.ts) on a model of the same config and seed: forward (model_predict: forward
 * and softmax), model_gradients (zero, forward, loss, BPTT), model_train_step (+ SGD), and
 * the wrapper's trainStep (+ validation and writing the batch). The raw ABI is internal and
 * may change; a mismatch is reported, not fatal.
 */
async function breakdown(cfg, opts, clock) {
  const engine = await init();
  const ex = engine.exports;
  const { n, d, k, T, B } = cfg;
  const p = rawCreate(ex, n, d, k);
  try {
    ex.model_reserve(p, T, B, 1);
    const batch = makeBatch(cfg);
    const mem = ex.memory.buffer;
    const X = new Int32Array(mem, ex.model_inputs(p) >>> 0, T * B);
    const Y = new Int32Array(mem, ex.model_targets(p) >>> 0, T * B);
    new Int32Array(mem, ex.model_lengths(p) >>> 0, B).fill(T);
    for (let t = 0; t < T; t++) for (let i = 0; i < B; i++) { X[t * B + i] = batch.inputs[i][t]; Y[t * B + i] = batch.targets[i][t]; }
    const model = await RNN.create(modelConfig(cfg), { engine });
    const wrapperLoss = model.computeGradients(batch).loss;
    const rawLoss = ex.model_gradients(p, T, B, 0);
    if (Math.abs(rawLoss - wrapperLoss) > 1e-6 * Math.abs(wrapperLoss)) throw new Error(`raw ABI loss ${rawLoss} ≠ wrapper loss ${wrapperLoss}: the ABI changed`);
    // The four calls are interleaved, one of each per round, and the phases are medians of
    // per-round differences: on a shared machine all four then see the same load.
    const calls = [
      () => ex.model_predict(p, T, B, 0),
      () => ex.model_gradients(p, T, B, 0),
      () => ex.model_train_step(p, T, B, 0, 0, 0, LR, 0, 0, 0, 0, 0, 0),
      () => model.trainStep(batch, { optimizer: { type: "sgd", lr: LR } }),
    ];
    for (let w = 0; w < 2; w++) for (const f of calls) f();
    const rounds = [];
    const start = now();
    while (rounds.length < 10 || (now() - start < (opts.quick ? 200 : 600) && rounds.length < 200)) {
      rounds.push(calls.map((f) => { const t0 = now(); f(); return now() - t0; }));
    }
    model.dispose();
    const forward = median(rounds.map((r) => r[0]));
    const gradients = median(rounds.map((r) => r[1]));
    const trainRaw = median(rounds.map((r) => r[2]));
    const trainWrapped = median(rounds.map((r) => r[3]));
    const lossAndBackward = median(rounds.map((r) => r[1] - r[0]));
    const update = median(rounds.map((r) => r[2] - r[1]));
    const wrapper = median(rounds.map((r) => r[3] - r[2]));
    const tokens = T * B;
    const fwdFlop = tokens * (2 * d * d + 2 * d * k), bwdFlop = tokens * (4 * d * d + 4 * d * k);
    const gf = (flop, ms) => flop / (ms / 1e3) / 1e9;
    return {
      rounds: rounds.length,
      ms: { forward, lossAndBackward, update, wrapper, total: trainWrapped, rawTrainStep: trainRaw },
      gflops: { forward: gf(fwdFlop, forward), backward: gf(bwdFlop, lossAndBackward), rawStep: gf(fwdFlop + bwdFlop, trainRaw) },
      peakFraction: { forward: gf(fwdFlop, forward) / clock.peakGflops, backward: gf(bwdFlop, lossAndBackward) / clock.peakGflops, rawStep: gf(fwdFlop + bwdFlop, trainRaw) / clock.peakGflops },
    };
  } finally {
    ex.model_free(p);
  }
}

// ── inference ────────────────────────────────────────────────────────────────────────────

/** Median/min/max of per-unit µs over rounds of `perRound` calls of fn. */
function timeRounds(fn, { perRound, rounds, warm }) {
  for (let i = 0; i < warm; i++) fn();
  const us = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    for (let i = 0; i < perRound; i++) fn();
    us.push(((now() - t0) * 1e3) / perRound);
  }
  return { median: median(us), min: Math.min(...us), max: Math.max(...us), rounds, perRound };
}

/**
 * Streaming: batch 1, one token per stepper.step(tok) (the streaming API: the state carried
 * in the stepper, the output copied out), at d = 128 (n = k = 64, as S). And one predict()
 * of a 32-token sequence. Both through the public API, and (diagnostic) the same work as raw
 * model_predict calls, the kernel's floor.
 */
async function inference(opts) {
  const cfg = { n: 64, d: 128, k: 64 };
  const model = await RNN.create(modelConfig(cfg));
  const tokens = makeBatch({ ...cfg, T: 4096, B: 1 }).inputs[0];
  let pos = 0;
  const stepper = model.stepper();
  const streamStep = () => stepper.step(tokens[pos++ & 4095]);
  const rounds = opts.quick ? 7 : 21;
  const streaming = timeRounds(streamStep, { perRound: 1000, rounds, warm: 3000 });
  const seq32 = tokens.slice(0, 32);
  const forward32 = timeRounds(() => model.predict([seq32]), { perRound: 100, rounds, warm: 300 });
  model.dispose();

  let raw = null;
  try {
    const engine = await init();
    const ex = engine.exports;
    const p = rawCreate(ex, cfg.n, cfg.d, cfg.k);
    ex.model_reserve(p, 32, 1, 1);
    const mem = ex.memory.buffer;
    const X = new Int32Array(mem, ex.model_inputs(p) >>> 0, 32);
    const len = new Int32Array(mem, ex.model_lengths(p) >>> 0, 1);
    // The state carried from step to step: final state → h0 (ABI 5), or states[1] → states[0] (ABI 4).
    let carry;
    if (ex.model_h0) {
      const H0 = new Float32Array(mem, ex.model_h0(p) >>> 0, cfg.d), HN = new Float32Array(mem, ex.model_final(p) >>> 0, cfg.d);
      carry = () => H0.set(HN);
    } else {
      const H = new Float32Array(mem, ex.model_states(p) >>> 0, 2 * cfg.d);
      carry = () => H.copyWithin(0, cfg.d, 2 * cfg.d);
    }
    X.set(seq32);
    len[0] = 1;
    const streamRaw = timeRounds(() => { X[0] = tokens[pos++ & 4095]; ex.model_predict(p, 1, 1, 1); carry(); }, { perRound: 1000, rounds, warm: 3000 });
    X.set(seq32);
    len[0] = 32;
    const fwdRaw = timeRounds(() => ex.model_predict(p, 32, 1, 0), { perRound: 100, rounds, warm: 300 });
    ex.model_free(p);
    raw = { streamingUs: streamRaw, forward32Us: fwdRaw };
  } catch (e) {
    raw = { error: String(e.message ?? e) };
  }
  return { config: cfg, streamingUsPerToken: streaming, forward32Us: forward32, raw };
}

// ── GEMM ─────────────────────────────────────────────────────────────────────────────────

/**
 * Kernel-level GEMM timing at 256³: the kernels of assembly/gemm.ts compiled into a
 * bench-only module with the same compiler and release options (bench/gemm.js). Returns rows
 * { kernel, form, size, medianUs, bestUs, gflops, bestGflops, source }.
 */
async function kernelGemm(opts, size = 256) {
  const mod = buildKernelModule();
  const rows = timeKernels(mod, { size, rounds: opts.quick ? 7 : 15 }).map((r) => ({ ...r, source: "assembly/gemm.ts built by bench/gemm.js" }));
  return { source: "assembly/gemm.ts compiled into a bench-only module (bench/gemm.js)", rows, skipped: mod.skipped, ascFlags: mod.flags.join(" ") };
}

/**
 * The same product size through the public engine: model_predict at T = 1, B = 256 with
 * n = d = k = 256 and h0 given runs two 256³ products (s·Wᵀ and s·Vᵀ) plus the transposes,
 * tanh and softmax; counted as 2 × 2·256³ FLOP, it bounds the kernel from below.
 */
async function gemmViaPublicEngine(opts, size = 256) {
  const { exports: ex } = await init();
  const p = rawCreate(ex, size, size, size);
  try {
    ex.model_reserve(p, 1, size, 1);
    const mem = ex.memory.buffer;
    new Int32Array(mem, ex.model_inputs(p) >>> 0, size).forEach((_, i, a) => { a[i] = i; });
    new Int32Array(mem, ex.model_lengths(p) >>> 0, size).fill(1);
    const H0 = new Float32Array(mem, (ex.model_h0 ? ex.model_h0(p) : ex.model_states(p)) >>> 0, size * size);
    for (let i = 0; i < H0.length; i++) H0[i] = ((i * 7) % 13 - 6) * 0.05;
    const t = timeRounds(() => ex.model_predict(p, 1, size, 1), { perRound: 5, rounds: opts.quick ? 7 : 15, warm: 10 });
    const flop = 2 * 2 * size ** 3;
    return { what: `model_predict(T=1, B=${size}), n=d=k=${size}, h0 given: 2 products of ${size}³ + transposes + tanh + softmax`, medianUs: t.median, bestUs: t.min, gflops: flop / (t.median / 1e6) / 1e9, bestGflops: flop / (t.min / 1e6) / 1e9 };
  } finally {
    ex.model_free(p);
  }
}

// ── main ─────────────────────────────────────────────────────────────────────────────────

/** What the report says about the PyTorch peer (null when it was not selected). */
function torchMeta(torch) {
  if (!torch) return null;
  if (!torch.available) return { available: false, reason: torch.reason, tried: torch.tried };
  const i = torch.peers[0].info;
  return {
    available: true, python: torch.python, pythonVersion: i.pythonVersion, version: i.torch, numpy: i.numpy,
    blas: i.blas, blasLabel: blasLabel(i), ldLibraryPath: torch.ldLibraryPath ?? null, safetensorsReader: i.safetensors,
    threads: Object.fromEntries(torch.peers.map((p) => [p.id, { threads: p.info.threads, env: p.info.env, blasThreads: p.info.blas.threads ?? null }])),
    gemm256Gflops: torch.gemm ?? null,
  };
}

export function fmtRate(x) {
  if (!Number.isFinite(x)) return "—";
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(0)}k`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

/** The code measured: commit, whether assembly/ or src/ differ from it, and when dist/ was built. */
function codeVersion() {
  const root = join(benchDir, "..");
  const out = {};
  try {
    const git = (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    out.commit = git("rev-parse", "--short", "HEAD");
    out.uncommittedChanges = git("status", "--porcelain", "--", "assembly", "src").split("\n").filter(Boolean).length;
  } catch { /* not a git checkout */ }
  try { out.distBuilt = statSync(join(root, "dist", "rnn.wasm")).mtime.toISOString(); } catch { /* no dist */ }
  return out;
}

function measureClock(label) {
  const c = measureClockGHz();
  console.log(`clock (${label}): ${c.ghz.toFixed(3)} GHz by dependent adds; i32.mul chain ${c.mulChainRatio}× slower (expect 3)${plausibleClock(c.ghz) ? "" : "  WARNING: implausible clock"}`);
  return c;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = now();
  const impls = IMPLS.filter((m) => opts.only === null || opts.only.includes(m.group));
  console.log(`rnn-wasm benchmark — ${opts.quick ? "quick" : "full"} run: configs ${opts.configs.join(", ")}; ${impls.map((m) => m.label).join(", ")}`);
  console.log(`FLOP per step = B·T·(6d² + 6dk) (deep: B·T·(Σ_ℓ D·(6d² + 6d·m_ℓ) + 6·D·d·k)); peak = 16 FLOP/cycle × measured clock; budget ${opts.budget} s per measurement, skip a peer above ${opts.maxStep} s/step (estimated)`);

  const clockStart = measureClock("start");
  const clock = { ghz: clockStart.ghz, peakGflops: 16 * clockStart.ghz, start: clockStart };

  let tfInfo = null;
  if (impls.some((m) => m.group === "tfjs")) {
    const { wasm } = await tfjsPeers();
    tfInfo = wasm;
    console.log(`TF.js ${wasm.version}: wasm backend loaded ${wasm.binary} (SIMD ${wasm.simd}, threads ${wasm.threads})`);
  }

  let torch = null;
  if (impls.some((m) => m.group === "torch")) {
    torch = await startTorch({ log: (s) => console.log(s) });
    if (torch.available) {
      const i = torch.peers[0].info;
      console.log(`PyTorch ${i.torch} (Python ${i.pythonVersion}, ${torch.python}); BLAS: ${i.blas.name}${i.blas.library ? ` in ${i.blas.library}` : ""}, found by ${i.blas.method}; threads ${torch.peers.map((p) => `${p.id}: ${p.info.threads}`).join(", ")}`);
    } else {
      console.log(`PyTorch: not installed (${torch.reason}); its rows say so${torch.tried.length ? `. Tried: ${torch.tried.join("; ")}` : ""}`);
    }
  }

  const configs = [];
  const history = new Map();
  try {
    for (const name of opts.configs) configs.push(await benchConfig(name, CONFIGS[name], impls, opts, clock, history, torch));
    if (torch?.available && opts.gemm) {
      // The same 256³ product through torch.mm, beside rnn-wasm's GEMM rows.
      torch.gemm = {};
      for (const p of torch.peers) {
        torch.gemm[p.id] = (await p.peer.request({ op: "gemm", size: 256, reps: opts.quick ? 11 : 31 })).gflops;
        if (p.threads !== "1") await sleep(100);
      }
      console.log(`GEMM 256³ via torch.mm: ${torch.peers.map((p) => `${p.label} ${torch.gemm[p.id].toFixed(1)} GFLOP/s`).join(", ")}`);
    }
  } finally {
    for (const p of torch?.peers ?? []) p.peer.close();
  }

  const extra = {};
  if (impls.some((m) => m.id === "ours")) {
    if (opts.breakdown) {
      extra.breakdown = {};
      // One-layer configs only: the phases are timed through the raw ABI of a one-layer model.
      for (const name of opts.configs.filter((c) => !isDeep(CONFIGS[c]))) {
        try {
          extra.breakdown[name] = await breakdown(CONFIGS[name], opts, clock);
          const b = extra.breakdown[name];
          console.log(`breakdown ${name}: forward ${b.ms.forward.toFixed(2)} ms (${b.gflops.forward.toFixed(1)} GFLOP/s), loss+BPTT ${b.ms.lossAndBackward.toFixed(2)} ms (${b.gflops.backward.toFixed(1)} GFLOP/s), SGD ${b.ms.update.toFixed(2)} ms, wrapper ${b.ms.wrapper.toFixed(2)} ms`);
        } catch (e) {
          extra.breakdown[name] = { error: String(e.message ?? e) };
          console.log(`breakdown ${name}: n/a (${e.message})`);
        }
      }
    }
    if (opts.workers) {
      try {
        const w = extra.workers = await benchWorkers(opts);
        for (const r of Object.values(w.results)) console.log(`workers M: ${r.label.padEnd(22)} ${fmtRate(r.tokensPerS.median).padStart(8)} tokens/s (${fmtRate(r.tokensPerS.min)}–${fmtRate(r.tokensPerS.max)}), start-up ${r.startupMs.median.toFixed(0)} ms`);
        console.log(`workers M: 2 workers ÷ 1 worker ${w.ratios.w2OverW1.median.toFixed(2)}× (quartiles ${w.ratios.w2OverW1.q1.toFixed(2)}–${w.ratios.w2OverW1.q3.toFixed(2)}), ÷ no workers ${w.ratios.w2OverThread.median.toFixed(2)}×; ${w.rounds} rounds × ${w.stepsPerRound} steps, ${w.cores} cores`);
      } catch (e) {
        extra.workers = { error: String(e.message ?? e) };
        console.log(`workers M: n/a (${e.message})`);
      }
    }
    if (opts.inference) {
      extra.inference = await inference(opts);
      const inf = extra.inference;
      console.log(`inference d=128: streaming ${inf.streamingUsPerToken.median.toFixed(2)} µs/token (raw ${inf.raw.streamingUs?.median.toFixed(2) ?? "n/a"}), 32-token forward ${inf.forward32Us.median.toFixed(1)} µs (raw ${inf.raw.forward32Us?.median.toFixed(1) ?? "n/a"})`);
    }
    if (opts.gemm) {
      try {
        extra.gemm = await kernelGemm(opts);
        for (const r of extra.gemm.rows) console.log(`GEMM 256³ ${r.kernel} ${r.form}: ${r.gflops.toFixed(2)} GFLOP/s median, ${r.bestGflops.toFixed(2)} best`);
      } catch (e) {
        extra.gemm = { error: String(e.message ?? e), rows: [] };
        console.log(`GEMM 256³: n/a (${e.message})`);
      }
      try {
        extra.gemm.publicEngine = await gemmViaPublicEngine(opts);
        console.log(`GEMM 256³ via model_predict: ${extra.gemm.publicEngine.gflops.toFixed(2)} GFLOP/s median`);
      } catch (e) {
        extra.gemm.publicEngine = { error: String(e.message ?? e) };
      }
    }
  }

  const clockEnd = measureClock("end");
  // The peak uses the faster of the two clock readings (a conservative % of peak).
  clock.end = clockEnd;
  clock.ghz = Math.max(clockStart.ghz, clockEnd.ghz);
  clock.peakGflops = 16 * clock.ghz;
  for (const c of configs) {
    for (const r of [...Object.values(c.results), c.torch?.ours].filter(Boolean)) {
      if (!r.gflops) continue;
      r.peakFraction = r.gflops / clock.peakGflops;
      r.cpu.peakFraction = r.cpu.gflops / clock.peakGflops;
    }
  }
  for (const b of Object.values(extra.breakdown ?? {})) if (b.gflops) for (const key of Object.keys(b.gflops)) b.peakFraction[key] = b.gflops[key] / clock.peakGflops;

  const results = {
    meta: {
      date: new Date().toISOString(),
      mode: opts.quick ? "quick" : "full",
      complete: opts.full,
      node: process.version, v8: process.versions.v8, platform: `${process.platform} ${process.arch}`,
      cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length,
      code: codeVersion(),
      tfjs: tfInfo,
      torch: torchMeta(torch),
      clock: { ghz: clock.ghz, peakGflops: clock.peakGflops, start: clockStart, end: clockEnd, plausible: plausibleClock(clock.ghz) },
      flopFormula: "FLOP per step = B·T·(6d² + 6dk); deep and bidirectional: B·T·(Σ_ℓ D·(6d² + 6d·m_ℓ) + 6·D·d·k), m_0 = e with an embedding (0 for ids without one), m_ℓ = D·d above",
      peakFormula: "peak = 16 FLOP/cycle × measured GHz (f32x4 mul + f32x4 add on two ports; wasm SIMD has no FMA)",
      policy: { warmup: opts.warmup, minSteps: opts.minSteps, minTimeS: opts.minTime, budgetS: opts.budget, maxStepS: opts.maxStep, lr: LR, seed: SEED },
      impls: Object.fromEntries(impls.map((m) => [m.id, m.label])),
      seconds: (now() - started) / 1e3,
    },
    configs,
    ...extra,
  };
  const md = renderMarkdown(results);
  const svg = renderSvg(results);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(join(outDir, "results.md"), md);
  writeFileSync(join(outDir, "chart.svg"), svg);
  if (opts.full) {
    writeFileSync(join(benchDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
    writeFileSync(join(benchDir, "results.md"), md);
    writeFileSync(join(benchDir, "chart.svg"), svg);
  }
  if (!opts.check) console.log(`\n${md}`);
  console.log(`wrote bench/out/results.json, results.md, chart.svg${opts.full ? " (and bench/results.json, results.md, chart.svg: a full run)" : ""} in ${results.meta.seconds.toFixed(0)} s`);
  if (opts.check) {
    const problems = [];
    for (const c of configs) {
      for (const [id, r] of Object.entries(c.results)) {
        if (r.error) problems.push(`${c.name} ${id}: ${r.error}`);
        else if (!r.skipped && !r.unavailable && !r.notApplicable && !(r.tokensPerS?.median > 0)) problems.push(`${c.name} ${id}: no timing`);
        if (r.lossRelDiff && !(Math.max(...r.lossRelDiff) <= 1e-5)) problems.push(`${c.name} ${id}: losses differ from rnn-wasm's by ${Math.max(...r.lossRelDiff).toExponential(1)} (relative)`);
      }
    }
    if (results.workers?.error) problems.push(`workers: ${results.workers.error}`);
    for (const c of configs) {
      const s = c.sanity;
      if (s?.refLoss !== undefined && !(s.relLossDiff <= 1e-4)) problems.push(`${c.name}: rnn-wasm's loss differs from the f64 reference's by ${s.relLossDiff.toExponential(1)} (relative)`);
    }
    const torchState = results.meta.torch ? (results.meta.torch.available ? "PyTorch measured" : `PyTorch not installed (${results.meta.torch.reason})`) : "PyTorch not selected";
    if (problems.length) {
      console.log(`check: FAILED (${torchState})\n  ${problems.join("\n  ")}`);
      process.exitCode = 1;
    } else {
      console.log(`check: OK — ${configs.map((c) => Object.keys(c.results).length).reduce((a, b) => a + b, 0)} rows, ${torchState}`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
