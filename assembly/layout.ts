// The memory plan of one model: the only place sizes and offsets are decided. The wrapper
// (src/) reads every pointer through the model_* getters exported from index.ts.
//
// A model is three heap blocks (the AssemblyScript "minimal" runtime's TLSF allocator;
// blocks are 16-byte aligned and freed by model_free, so models come and go without growth):
//
// ╒═ header (Model, below) ══════════════════════════════════════════════════════════════╕
// │ sizes, kinds, pointers into the two blocks, optimizer step count, RNG state          │
// ╞═ parameter block (fixed for the model's life) ═══════════════════════════ f32 ═══════╡
// │ params  U (d,n) │ W (d,d) │ b (d) │ V (k,d) │ c (k)                  nparams floats │
// │ grads   same tensors, same order, same padding                      nparams floats │
// │ m       first moment (Adam) or momentum buffer (SGD), same layout   nparams floats │
// │ v       second moment (Adam), same layout                           nparams floats │
// │ packed  Uᵀ (dense only) │ Wᵀ │ W │ Vᵀ │ V: B operands packed for f32_gemm_packed  │
// │ scratch one packed K-chunk of B for f32_gemm, and a 4×8 edge tile                  │
// ╞═ work block (sized for Tcap × Bcap; replaced only when a bigger batch arrives) ══════╡
// │ X        ids (T,B) i32, or features (T,B,n) f32                                     │
// │ targets  per scored row: class id i32, or k f32 values; rows = T·B, or B (m2o)      │
// │ lengths  (B) i32, sorted descending by the wrapper                                  │
// │ H        (T+1,B,d): H[0] = h0, H[t+1] = s_t; past a sequence's end, carried         │
// │ Z        (T,B,d): input projection U x_t + b in the forward, dz in the backward     │
// │ O, dO    (T,B,k), or (B,k) for many-to-one: logits, then outputs; their gradient    │
// │ dnext    (B,d): ∂L/∂s carried back through time; ∂L/∂h0 once the backward is done  │
// │ gnorm    (T): ‖∂L/∂s_t‖₂ over the sequences running at t (BPTT introspection)      │
// ╘══════════════════════════════════════════════════════════════════════════════════════╛
//
// Every tensor starts on 16 bytes: each size is rounded up to a multiple of 4 floats and
// the padding lanes are kept zero. Rows inside a tensor are not padded (d, n, k are used
// as they are; wasm loads need no alignment).

import { pad4 } from "./simd";
import { NR, f32_packed_floats, f32_gemm_scratch_floats } from "./gemm";

export const INPUT_IDS = 0;
export const INPUT_DENSE = 1;
export const TASK_MANY_TO_MANY = 0;
export const TASK_MANY_TO_ONE = 1;
export const ACT_TANH = 0;
export const ACT_SIGMOID = 1;
export const ACT_RELU = 2;
export const LOSS_SOFTMAX_XENT = 0;
export const LOSS_SIGMOID_BCE = 1;
export const LOSS_MSE = 2;

/** The model header: a plain struct in linear memory (not garbage collected). */
@unmanaged export class Model {
  rng: u64 = 0;        // PCG32 state (8-byte aligned: first field)
  n: i32 = 0;          // input size: vocabulary or features per step
  d: i32 = 0;          // hidden size
  k: i32 = 0;          // output size
  input: i32 = 0;      // INPUT_*
  task: i32 = 0;       // TASK_*
  act: i32 = 0;        // ACT_*
  loss: i32 = 0;       // LOSS_*
  step: i32 = 0;       // optimizer steps taken (Adam's t)
  nparams: i32 = 0;    // floats in one copy of the parameters, padding included
  offU: i32 = 0;       // float offsets of each tensor inside a copy
  offW: i32 = 0;
  offb: i32 = 0;
  offV: i32 = 0;
  offc: i32 = 0;
  params: usize = 0;   // parameter block: params | grads | m | v | packed | scratch
  grads: usize = 0;
  m: usize = 0;
  v: usize = 0;
  UTp: usize = 0;      // packed weights (valid while packed != 0)
  WTp: usize = 0;
  Wp: usize = 0;
  VTp: usize = 0;
  Vp: usize = 0;
  scratch: usize = 0;
  packed: i32 = 0;     // 1 when the packed weights match params; any parameter write clears it
  work: usize = 0;     // work block, planned for Tcap × Bcap
  Tcap: i32 = 0;
  Bcap: i32 = 0;
  X: usize = 0;
  targets: usize = 0;
  lengths: usize = 0;
  H: usize = 0;
  Z: usize = 0;
  O: usize = 0;
  dO: usize = 0;
  dnext: usize = 0;
  gnorm: usize = 0;
}

// Block sizes are computed in f64 (exact up to 2^53), so the wrapper can ask for the size of
// any configuration and refuse it before an i32 product could overflow.
// @ts-ignore: decorator
@inline function pad4f(x: f64): f64 {
  return Math.ceil(x / 4) * 4;
}

/** Floats of a K×N matrix packed in panels of NR columns (f32_packed_floats, in f64). */
// @ts-ignore: decorator
@inline function packedf(K: f64, N: f64): f64 {
  return Math.ceil(N / NR) * NR * K;
}

/** Floats in the parameter block: 4 copies of the parameters, packed weights, GEMM scratch. */
export function param_block_floats(n: f64, d: f64, k: f64, input: i32): f64 {
  const nparams = pad4f(d * n) + pad4f(d * d) + pad4f(d) + pad4f(k * d) + pad4f(k);
  return 4 * nparams
    + (input == INPUT_DENSE ? packedf(n, d) : 0)          // Uᵀ packed (K = n, N = d)
    + 2 * packedf(d, d)                                   // Wᵀ and W packed
    + packedf(d, k) + packedf(k, d)                       // Vᵀ (K = d, N = k) and V (K = k, N = d)
    + f32_gemm_scratch_floats(Math.max(n, Math.max(d, k)));  // GEMM scratch
}

/** Plan the parameter block at `block` (already allocated and zeroed). */
export function plan_params(m: Model, block: usize): void {
  const n = m.n, d = m.d, k = m.k;
  m.offU = 0;
  m.offW = m.offU + pad4(d * n);
  m.offb = m.offW + pad4(d * d);
  m.offV = m.offb + pad4(d);
  m.offc = m.offV + pad4(k * d);
  m.nparams = m.offc + pad4(k);
  const bytes = <usize>m.nparams << 2;
  m.params = block;
  m.grads = block + bytes;
  m.m = block + 2 * bytes;
  m.v = block + 3 * bytes;
  let p = block + 4 * bytes;
  if (m.input == INPUT_DENSE) {
    m.UTp = p;
    p += <usize>f32_packed_floats(n, d) << 2;
  }
  m.WTp = p; p += <usize>f32_packed_floats(d, d) << 2;
  m.Wp = p;  p += <usize>f32_packed_floats(d, d) << 2;
  m.VTp = p; p += <usize>f32_packed_floats(d, k) << 2;
  m.Vp = p;  p += <usize>f32_packed_floats(k, d) << 2;
  m.scratch = p;
  m.packed = 0;
}

/** Rows that carry targets and outputs: every (t, i) for many-to-many, one per sequence for many-to-one. */
export function scored_rows(task: i32, T: i32, B: i32): i32 {
  return task == TASK_MANY_TO_ONE ? B : T * B;
}

/** Floats (4-byte words) in a work block for T × B, given the model's kinds and sizes. */
export function work_block_words(n: f64, d: f64, k: f64, input: i32, task: i32, loss: i32, T: f64, B: f64): f64 {
  const rows = task == TASK_MANY_TO_ONE ? B : T * B;
  return pad4f(input == INPUT_DENSE ? T * B * n : T * B)  // X
    + pad4f(loss == LOSS_SOFTMAX_XENT ? rows : rows * k)  // targets
    + pad4f(B)                                            // lengths
    + pad4f((T + 1) * B * d)                              // H
    + pad4f(T * B * d)                                    // Z
    + 2 * pad4f(rows * k)                                 // O, dO
    + pad4f(B * d)                                        // dnext
    + pad4f(T);                                           // gnorm
}

/** Plan the work block at `block` for Tcap × Bcap. */
export function plan_work(m: Model, block: usize, T: i32, B: i32): void {
  const n = m.n, d = m.d, k = m.k;
  const rows = scored_rows(m.task, T, B);
  m.work = block;
  m.Tcap = T;
  m.Bcap = B;
  let p = block;
  m.X = p;       p += <usize>pad4(m.input == INPUT_DENSE ? T * B * n : T * B) << 2;
  m.targets = p; p += <usize>pad4(m.loss == LOSS_SOFTMAX_XENT ? rows : rows * k) << 2;
  m.lengths = p; p += <usize>pad4(B) << 2;
  m.H = p;       p += <usize>pad4((T + 1) * B * d) << 2;
  m.Z = p;       p += <usize>pad4(T * B * d) << 2;
  m.O = p;       p += <usize>pad4(rows * k) << 2;
  m.dO = p;      p += <usize>pad4(rows * k) << 2;
  m.dnext = p;   p += <usize>pad4(B * d) << 2;
  m.gnorm = p;
}
