// Kernel-level GEMM timing at M = N = K (256³ by default), without touching the library.
//
// rnn.wasm exports only the model ABI (assembly/index.ts), not its GEMM kernels. Until it
// does (see kernelGemm in run.js, the hook that prefers such an export), this file builds a
// bench-only module from the project's own kernel source: it reads the exported
// f32_gemm* functions of assembly/gemm.ts (any but `_ref` ones), and, from their parameter
// NAMES, writes a call for each on square operands of side S (every leading dimension and
// stride = S, a valid layout for every product form):
//
//   C, ldc               the output, S
//   A, lda               A·B (or Aᵀ·B for a `_tn` kernel, A·Bᵀ for `_nt`), S
//   A, rsA, csA          strided A: timed twice, as A·B (rsA = S, csA = 1) and Aᵀ·B (1, S)
//   B, ldb               B row-major, S
//   Bp                   B packed once outside the timed loop with f32_pack_b (needs it exported)
//   M, N, K              S
//   scratch              f32_gemm_scratch_floats(S) floats if that is exported, else 4·S² floats
//
// A kernel with any other parameter is skipped (and listed as such). The entry is compiled
// with the repository's AssemblyScript and the release options of asconfig.json; the
// generated entry and module live in bench/out/ (git-ignored). The kernel source changes as
// it is tuned: if it does not compile at the moment, the caller reports why.
//
// The product C (M×N) += op(A)·op(B) is 2·M·N·K FLOP.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, "bench", "out");
const EXPORTED = /export\s+function\s+(\w+)\s*\(([^)]*)\)/g;
const KNOWN = new Set(["C", "ldc", "A", "lda", "rsA", "csA", "B", "ldb", "Bp", "M", "N", "K", "scratch"]);

/** Exported functions of assembly/gemm.ts: name → parameter names. */
function exportedFunctions() {
  const src = readFileSync(join(root, "assembly", "gemm.ts"), "utf8");
  const fns = new Map();
  for (const m of src.matchAll(EXPORTED)) {
    fns.set(m[1], m[2].split(",").map((p) => p.trim().split(":")[0].trim()).filter(Boolean));
  }
  return fns;
}

/** The timed calls: { id, form, kernel, call } for every usable kernel; and skipped kernels. */
function plan(fns) {
  const calls = [], skipped = [];
  const formOf = (name) => (name.endsWith("_tn") ? "Aᵀ·B" : name.endsWith("_nt") ? "A·Bᵀ" : "A·B");
  for (const [name, params] of fns) {
    if (!name.startsWith("f32_gemm") || name.endsWith("_ref") || !params.includes("C") || !params.includes("K")) continue;
    const unknown = params.filter((p) => !KNOWN.has(p));
    if (unknown.length || (params.includes("Bp") && !fns.has("f32_pack_b"))) {
      skipped.push(`${name}(${params.join(", ")})`);
      continue;
    }
    const strided = params.includes("rsA");
    const variants = strided ? [["A·B", "S", "1"], ["Aᵀ·B", "1", "S"]] : [[formOf(name), null, null]];
    for (const [form, rsA, csA] of variants) {
      const args = params.map((p) => ({ C: "C", A: "A", B: "B", Bp: "Bp", scratch: "scratch", rsA, csA }[p] ?? "S"));
      const id = `${name}${strided ? (rsA === "1" ? "_at" : "_a") : ""}`;
      calls.push({ id, kernel: name, form: form + (params.includes("Bp") ? " (B pre-packed)" : ""), call: `${name}(${args.join(", ")})` });
    }
  }
  return { calls, skipped };
}

/**
 * asc flags mirroring an asconfig.json target (release, or fma: release plus relaxed SIMD) and
 * the shared options; `enable` lists add up, as asc merges them.
 */
export function releaseFlags(target = "release") {
  const cfg = JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8"));
  const opts = { ...cfg.options, ...cfg.targets?.[target], enable: [...(cfg.options?.enable ?? []), ...(cfg.targets?.[target]?.enable ?? [])] };
  const flags = [];
  if (opts.optimizeLevel !== undefined) flags.push("--optimizeLevel", String(opts.optimizeLevel));
  if (opts.shrinkLevel !== undefined) flags.push("--shrinkLevel", String(opts.shrinkLevel));
  if (opts.converge) flags.push("--converge");
  if (opts.noAssert) flags.push("--noAssert");
  for (const feature of opts.enable ?? []) flags.push("--enable", feature);
  if (opts.runtime) flags.push("--runtime", opts.runtime);
  return flags;
}

/**
 * Build (bench/out/gemm_entry.wasm; with `fma`, gemm_entry_fma.wasm from asconfig.json's fma
 * target flags, so the kernels use relaxed_madd) and instantiate the bench-only module. The FMA
 * module needs an engine with relaxed SIMD (Node ≥ 22, or Node 20 with its flag).
 * @returns {{ exports: any, calls: { id, kernel, form }[], skipped: string[], flags: string[] }}
 */
export function buildKernelModule({ fma = false } = {}) {
  const fns = exportedFunctions();
  const { calls, skipped } = plan(fns);
  if (calls.length === 0) throw new Error(`no usable f32_gemm* kernel in assembly/gemm.ts (skipped: ${skipped.join("; ") || "none found"})`);
  const imports = [...new Set([...calls.map((c) => c.kernel),
    ...(calls.some((c) => c.call.includes("Bp")) ? ["f32_pack_b"] : []),
    ...(fns.has("f32_gemm_scratch_floats") ? ["f32_gemm_scratch_floats"] : [])])];
  const scratchFloats = fns.has("f32_gemm_scratch_floats") ? "<usize>f32_gemm_scratch_floats(size)" : "<usize>size * <usize>size * 4";
  mkdirSync(outDir, { recursive: true });
  const entry = join(outDir, "gemm_entry.ts");
  const wasm = join(outDir, fma ? "gemm_entry_fma.wasm" : "gemm_entry.wasm");
  writeFileSync(entry, [
    "// Generated by bench/gemm.js: times the project's GEMM kernels (assembly/gemm.ts). Do not edit.",
    `import { ${imports.join(", ")} } from "../../assembly/gemm";`,
    "let A: usize = 0, B: usize = 0, C: usize = 0, Bp: usize = 0, scratch: usize = 0, S: i32 = 0;",
    "/** Allocate the S×S operands, filled with small values (no denormals, no overflow). */",
    "export function setup(size: i32): void {",
    "  S = size;",
    "  const bytes = <usize>size * <usize>size * 4;",
    "  A = heap.alloc(bytes); B = heap.alloc(bytes); C = heap.alloc(bytes);",
    "  Bp = heap.alloc(bytes * 2); scratch = heap.alloc(" + scratchFloats + " * 4 + 64);",
    "  for (let i = 0; i < size * size; i++) {",
    "    store<f32>(A + (<usize>i << 2), <f32>((i * 7) % 13 - 6) * 0.01);",
    "    store<f32>(B + (<usize>i << 2), <f32>((i * 5) % 11 - 5) * 0.01);",
    "    store<f32>(C + (<usize>i << 2), 0);",
    "  }",
    ...(imports.includes("f32_pack_b") ? ["  f32_pack_b(Bp, B, S, S, S);"] : []),
    "}",
    ...calls.map((c) => `export function run_${c.id}(reps: i32): void { for (let r = 0; r < reps; r++) ${c.call}; }`),
    "",
  ].join("\n"));
  const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
  if (!existsSync(asc)) throw new Error("AssemblyScript is not installed (npm install)");
  const flags = releaseFlags(fma ? "fma" : "release");
  try {
    execFileSync(process.execPath, [asc, entry, "--outFile", wasm, ...flags], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const msg = String(e.stderr ?? e.message).split("\n").find((l) => /ERROR|error/.test(l)) ?? String(e.message);
    throw new Error(`compiling the kernel entry failed: ${msg.trim()}`);
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasm)), {
    env: { abort() { throw new Error("gemm entry aborted"); }, seed: () => 0 },
  });
  return { exports: instance.exports, calls: calls.map(({ id, kernel, form }) => ({ id, kernel, form })), skipped, flags };
}

/**
 * Time every kernel at size³: median and best seconds per product over `rounds` rounds.
 * @param {{ exports: any, calls: { id, kernel, form }[] }} mod
 */
export function timeKernels(mod, { size = 256, rounds = 15, minRoundMs = 40 } = {}) {
  const ex = mod.exports;
  ex.setup(size);
  const flop = 2 * size ** 3;
  const results = [];
  for (const { id, kernel, form } of mod.calls) {
    const run = ex[`run_${id}`];
    run(3);                                            // tier-up and warm caches
    let reps = 1;
    for (;;) {                                         // reps per round so a round lasts ≥ minRoundMs
      const t0 = performance.now(); run(reps);
      if (performance.now() - t0 >= minRoundMs || reps >= 1 << 16) break;
      reps *= 2;
    }
    const perProduct = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now(); run(reps);
      perProduct.push((performance.now() - t0) / 1e3 / reps);
    }
    perProduct.sort((a, b) => a - b);
    const median = perProduct[perProduct.length >> 1];
    results.push({ kernel, form, size, medianUs: median * 1e6, bestUs: perProduct[0] * 1e6, gflops: flop / median / 1e9, bestGflops: flop / perProduct[0] / 1e9 });
  }
  return results;
}
