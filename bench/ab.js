#!/usr/bin/env node
// npm run bench:ab -- REV — is this tree's rnn.wasm faster than the one built from git
// revision REV? On a shared machine two runs of `npm run bench` differ by ±20%, more than
// most kernel changes; this compares the two builds in ONE process, round by round, in
// alternating order, so that whatever the machine does hits both alike.
//
//   A = assembly/ as of REV (git archive), built with asconfig.json's release flags
//   B = dist/rnn.wasm (this tree; npm run build first)
//
// Workloads, through the raw ABI on the same seeded data: the batch-1 streaming step and the
// 32-token forward at d = 128 (n = k = 64), and the training steps of bench configs S and M.
// Prints per workload the median time of each build and the median of the per-round ratio
// A/B with its quartiles (> 1: B is faster). Bits are not compared here; the specs do that.
//
// Usage: node bench/ab.js REV [--rounds N] [--only stream,forward,S,M]
//
// --fma instead of REV: A = dist/rnn.wasm (strict), B = dist/rnn-fma.wasm (relaxed_madd in the
// GEMM micro-kernels), both from this tree, plus a kernel row: the 256³ product C += A·B with B
// pre-packed (f32_gemm_packed, the weight-product form) from bench/gemm.js's bench-only module,
// built with each target's flags. Needs relaxed SIMD: Node ≥ 22, or
//   node --experimental-wasm-relaxed-simd bench/ab.js --fma        (Node 20)

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { releaseFlags, buildKernelModule } from "./gemm.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const fma = args.includes("--fma");
const opt = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const rev = args.find((a, i) => !a.startsWith("--") && !["--rounds", "--only"].includes(args[i - 1]));
if (!rev && !fma) { console.error("usage: node bench/ab.js (REV | --fma) [--rounds N] [--only gemm,stream,forward,S,M]"); process.exit(2); }
const rounds = Number(opt("rounds", 31));
const only = opt("only", fma ? "gemm,stream,forward,S,M" : "stream,forward,S,M").split(",");
if (fma && !WebAssembly.validate(readFileSync(join(root, "dist", "rnn-fma.wasm")))) {
  console.error("this engine lacks relaxed SIMD: run with Node ≥ 22, or node --experimental-wasm-relaxed-simd bench/ab.js --fma");
  process.exit(2);
}

const load = async (file) => (await WebAssembly.instantiate(readFileSync(file), { env: { abort() { throw new Error("abort"); } } })).instance.exports;
let baseWasm;
if (fma) baseWasm = join(root, "dist", "rnn.wasm");
else {
  // A: the kernels of REV, compiled as the release target is.
  const dir = join(root, "bench", "out", "ab-base");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync("sh", ["-c", `git archive ${JSON.stringify(rev)} assembly | tar -x -C ${JSON.stringify(dir)}`], { cwd: root });
  baseWasm = join(dir, "rnn.wasm");
  execFileSync(process.execPath, [join(root, "node_modules", "assemblyscript", "bin", "asc.js"), join(dir, "assembly", "index.ts"), "--outFile", baseWasm, ...releaseFlags()], { cwd: root, stdio: "inherit" });
}
const builds = [await load(baseWasm), await load(join(root, "dist", fma ? "rnn-fma.wasm" : "rnn.wasm"))];
// The GEMM row (--fma only): the same kernel source built strict and FMA, C += A·B at 256³.
const GEMM = 256;
const kernels = fma && only.includes("gemm") ? [buildKernelModule(), buildKernelModule({ fma: true })].map((m) => m.exports) : [];
kernels.forEach((ex) => ex.setup(GEMM));

let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
/** A model of sizes [n, d, k] with a T × B batch of ids and class targets written in. */
function setup(ex, [n, d, k, T, B]) {
  // ABI 5 (issue 12) put layers, directions, embedding size, dropout, pooling and the input and
  // output dropouts before the seed (and F, ids a step, after model_reserve's B): a
  // revision before it and this tree take different argument lists (an export's length is
  // its parameter count). Both get a one-layer, one-direction model.
  const p = (ex.model_create.length >= 16 ? ex.model_create(n, d, k, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1234, 0)
    : ex.model_create.length >= 13 ? ex.model_create(n, d, k, 0, 0, 0, 0, 1, 1, 0, 0, 1234, 0) : ex.model_create(n, d, k, 0, 0, 0, 0, 1234, 0)) >>> 0;
  ex.model_reserve(p, T, B, 1);
  const buf = ex.memory.buffer;
  const X = new Int32Array(buf, ex.model_inputs(p) >>> 0, T * B), Y = new Int32Array(buf, ex.model_targets(p) >>> 0, T * B);
  seed = 7;
  for (let i = 0; i < T * B; i++) { X[i] = rnd() % n; Y[i] = rnd() % k; }
  new Int32Array(buf, ex.model_lengths(p) >>> 0, B).fill(T);
  return p;
}
const WORK = [
  ["gemm", `GEMM ${GEMM}³ C += A·B, B pre-packed`, null, 20, (ex, p, j) => kernels[j].run_f32_gemm_packed_a(1)],
  ["stream", "streaming step, d = 128 (T = 1, B = 1)", [64, 128, 64, 1, 1], 20000, (ex, p) => ex.model_predict(p, 1, 1, 1)],
  ["forward", "32-token forward, d = 128 (B = 1)", [64, 128, 64, 32, 1], 1000, (ex, p) => ex.model_predict(p, 32, 1, 0)],
  ["S", "training step S (64, 128, 64, 32, 32)", [64, 128, 64, 32, 32], 20, (ex, p) => ex.model_train_step(p, 32, 32, 0, 0, 0, 0.001, 0, 0, 0, 0, 0, 0)],
  ["M", "training step M (256, 256, 256, 64, 64)", [256, 256, 256, 64, 64], 2, (ex, p) => ex.model_train_step(p, 64, 64, 0, 0, 0, 0.001, 0, 0, 0, 0, 0, 0)],
];
const sorted = (a) => [...a].sort((x, y) => x - y);
const at = (a, q) => sorted(a)[Math.floor(q * (a.length - 1))];
const fmt = (ms) => (ms < 1 ? `${(ms * 1e3).toFixed(2)} µs` : `${ms.toFixed(2)} ms`);

console.log(fma ? `A = dist/rnn.wasm (strict), B = dist/rnn-fma.wasm (relaxed_madd); Node ${process.versions.node}; ${rounds} interleaved rounds`
  : `A = assembly/ at ${rev}, B = dist/rnn.wasm; ${rounds} interleaved rounds`);
for (const [id, label, cfg, reps, run] of WORK) {
  if (!only.includes(id) || (id === "gemm" && !fma)) continue;
  const ptrs = builds.map((ex) => (cfg ? setup(ex, cfg) : 0));
  builds.forEach((ex, j) => { for (let r = 0; r < 2 * reps; r++) run(ex, ptrs[j], j); });   // warm up
  const t = [[], []], ratio = [];
  for (let r = 0; r < rounds; r++) {
    const ms = [0, 0];
    for (const j of r % 2 ? [1, 0] : [0, 1]) {
      const t0 = performance.now();
      for (let q = 0; q < reps; q++) run(builds[j], ptrs[j], j);
      ms[j] = (performance.now() - t0) / reps;
    }
    t[0].push(ms[0]); t[1].push(ms[1]); ratio.push(ms[0] / ms[1]);
  }
  const gf = id === "gemm" ? ` (${t.map((x) => (2 * GEMM ** 3 / (at(x, 0.5) * 1e6)).toFixed(1)).join(" vs ")} GFLOP/s)` : "";
  console.log(`${label.padEnd(42)} A ${fmt(at(t[0], 0.5)).padStart(10)}  B ${fmt(at(t[1], 0.5)).padStart(10)}  A/B ${at(ratio, 0.5).toFixed(3)} (quartiles ${at(ratio, 0.25).toFixed(3)}–${at(ratio, 0.75).toFixed(3)})${gf}`);
}
