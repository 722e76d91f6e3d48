// The memory plan of one model: the only place sizes and offsets are decided. The wrapper
// (src/) reads every pointer through the model_* getters exported from index.ts.
//
// A model is three heap blocks (the AssemblyScript "minimal" runtime's TLSF allocator;
// blocks are 16-byte aligned and freed by model_free, so models come and go without growth):
//
// ╒═ header (Model, below) ══════════════════════════════════════════════════════════════╕
// │ sizes, kinds, pointers into the two blocks, optimizer step count and status, RNG    │
// ╞═ parameter block (fixed for the model's life) ═══════════════════════════ f32 ═══════╡
// │ params  U (d,n) │ W (d,d) │ b (d) │ V (k,d) │ c (k)                  nparams floats │
// │ grads   same tensors, same order, same padding                      nparams floats │
// │ m       first moment (Adam) or momentum buffer (SGD), same layout   nparams floats │
// │ v       second moment (Adam), same layout                           nparams floats │
// │ packed  Uᵀ (dense only) │ Wᵀ │ W │ Vᵀ │ V: B operands packed for f32_gemm_packed  │
// │ scratch a packed A block, a 4×8 edge tile, one packed K-chunk of B (f32_gemm)      │
// ╞═ work block (planned for exactly the T × B of the last model_reserve) ═══════════════╡
// │ X        ids (T,B) i32, or features (T,B,n) f32                                     │
// │ targets  per scored row: class id i32, or k f32 values; rows = T·B, or B (m2o)      │
// │ weights  (rows) f32: each scored row's loss weight ω ≥ 0 (read only when m.weighted) │
// │ lengths  (B) i32, sorted descending by the wrapper                                  │
// │ H        (T+1,B,d): H[0] = h0, H[t+1] = s_t; past a sequence's end, carried         │
// │ Z        (T,B,d): input projection U x_t + b in the forward, dz in the backward     │
// │ O, dO    (T,B,k), or (B,k) for many-to-one: logits, then outputs; their gradient    │
// │ dnext    (B,d): ∂L/∂s carried back through time; ∂L/∂h0 once the backward is done  │
// │ gnorm    (T): ‖∂L/∂s_t‖₂ over the sequences running at t (BPTT introspection)      │
// │ (unused) the rest of the block's capacity, after a re-plan for a smaller T × B      │
// ╘══════════════════════════════════════════════════════════════════════════════════════╛
//
// Every tensor starts on 16 bytes: each size is rounded up to a multiple of 4 floats and
// the padding lanes are kept zero (both blocks are zeroed when planned). Rows inside a
// tensor are not padded (d, n, k are used as they are; wasm loads need no alignment).
//
// One planner makes both the sizes and the pointers: walk_params and walk_work list the
// tensors of a block once, in order, each through tensor(). Sizing walks the list only
// totalling floats (in f64, exact to 2^53, so no request can wrap); planning walks the same
// list again at a block's address and also writes every pointer. A new tensor is one more
// line in a list; layers and directions (DESIGN §6) make the parameter list a loop over
// (layer, direction) entries, each with its U, W, b, and the work list one H and Z per layer.

import { NR, f32_gemm_scratch_floats } from "./gemm";

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

/** The largest block TLSF hands out (BLOCK_MAXSIZE, 2^30 less its overhead); src/model.ts has the same MAX_BLOCK_BYTES. */
export const MAX_BLOCK_BYTES: f64 = 1073741760; // 2^30 − 64

/** The model header: a plain struct in linear memory (not garbage collected). */
@unmanaged export class Model {
  rng: u64 = 0;        // PCG32 state (8-byte aligned: first field)
  gradNorm: f64 = 0;   // ‖g‖₂ before clipping, of the last model_train_step
  n: i32 = 0;          // input size: vocabulary or features per step
  d: i32 = 0;          // hidden size
  k: i32 = 0;          // output size
  input: i32 = 0;      // INPUT_*
  task: i32 = 0;       // TASK_*
  act: i32 = 0;        // ACT_*
  loss: i32 = 0;       // LOSS_*
  step: i32 = 0;       // optimizer steps taken (Adam's t), saturating at i32.MAX_VALUE
  status: i32 = 0;     // STEP_* of the last model_train_step (index.ts)
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
  work: usize = 0;     // work block (0 before the first model_reserve)
  workBytes: usize = 0; // its capacity in bytes
  T: i32 = 0;          // the shape it is planned for
  B: i32 = 0;
  X: usize = 0;
  targets: usize = 0;
  lengths: usize = 0;
  H: usize = 0;
  Z: usize = 0;
  O: usize = 0;
  dO: usize = 0;
  dnext: usize = 0;
  gnorm: usize = 0;
  weights: usize = 0;  // row weights of the loss (rows f32), in the work block
  weighted: i32 = 0;   // 1: the loss reads `weights`; 0: every row weighs 1 (the default)
}

// ── the planner ────────────────────────────────────────────────────────────────────────
// One walk at a time (wasm here is single-threaded): the block being walked and how many
// floats of it the tensors listed so far take.

let planBase: usize = 0;     // the block's address (planning only)
let planFloats: f64 = 0;     // floats taken so far, padding included
let planning = false;        // false: sizing (totals only; the header's pointers are junk)

/** Round a float count up to a multiple of 4 (16 bytes), in f64. */
// @ts-ignore: decorator
@inline function pad4f(x: f64): f64 {
  return Math.ceil(x / 4) * 4;
}

/** Floats of a K×N matrix packed in panels of NR columns (f32_packed_floats, in f64). */
// @ts-ignore: decorator
@inline function packedf(K: f64, N: f64): f64 {
  return Math.ceil(N / NR) * NR * K;
}

/** The next tensor of the block: `floats` floats rounded up to 4. Its address when planning (0 when sizing). */
function tensor(floats: f64): usize {
  const at = planFloats;
  planFloats += pad4f(floats);
  return planning ? planBase + (<usize>at << 2) : 0;
}

/** Its float offset from the block's start instead (inside one parameter copy). */
function offset(floats: f64): i32 {
  const at = planFloats;
  planFloats += pad4f(floats);
  return planning ? <i32>at : 0;
}

function begin(block: usize, plan: bool): void {
  planBase = block;
  planFloats = 0;
  planning = plan;
}

/** The parameter block's tensors, in order. */
function walk_params(m: Model): void {
  const n = <f64>m.n, d = <f64>m.d, k = <f64>m.k;
  // One copy of the parameters (the tensor list: model_offset, PyTorch's order). The
  // optimizer's weight decay (index.ts, update) reads U and W as one range [offU, offb).
  m.offU = offset(d * n);          // U (d,n)
  m.offW = offset(d * d);          // W (d,d)
  m.offb = offset(d);              // b (d)
  m.offV = offset(k * d);          // V (k,d)
  m.offc = offset(k);              // c (k)
  const nparams = planFloats;
  m.nparams = planning ? <i32>nparams : 0;
  // Three more copies in the same layout, so the optimizer is one flat loop.
  m.params = planBase;
  m.grads = tensor(nparams);
  m.m = tensor(nparams);
  m.v = tensor(nparams);
  // f32_gemm_packed's B operands (K rows × N columns, in panels of NR).
  m.UTp = m.input == INPUT_DENSE ? tensor(packedf(n, d)) : 0;   // Uᵀ: K = n, N = d
  m.WTp = tensor(packedf(d, d));   // Wᵀ: K = d, N = d
  m.Wp = tensor(packedf(d, d));    // W:  K = d, N = d
  m.VTp = tensor(packedf(d, k));   // Vᵀ: K = d, N = k
  m.Vp = tensor(packedf(k, d));    // V:  K = k, N = d
  m.scratch = tensor(f32_gemm_scratch_floats(Math.max(n, Math.max(d, k))));
}

/** The work block's tensors for T × B, in order. */
function walk_work(m: Model, T: f64, B: f64): void {
  const n = <f64>m.n, d = <f64>m.d, k = <f64>m.k;
  const rows = m.task == TASK_MANY_TO_ONE ? B : T * B;                // scored rows
  m.X = tensor(m.input == INPUT_DENSE ? T * B * n : T * B);         // X (T,B,n) f32 or (T,B) i32
  m.targets = tensor(m.loss == LOSS_SOFTMAX_XENT ? rows : rows * k); // (rows) i32 or (rows,k) f32
  m.weights = tensor(rows);        // (rows) f32
  m.lengths = tensor(B);           // (B) i32
  m.H = tensor((T + 1) * B * d);   // (T+1,B,d)
  m.Z = tensor(T * B * d);         // (T,B,d)
  m.O = tensor(rows * k);          // (rows,k)
  m.dO = tensor(rows * k);         // (rows,k)
  m.dnext = tensor(B * d);         // (B,d)
  m.gnorm = tensor(T);             // (T)
}

// Sizing walks a header that is never a model, so the sizes can be asked for before one exists.
const sizing = changetype<Model>(memory.data(offsetof<Model>(), 16));

function sizing_header(n: i32, d: i32, k: i32, input: i32, task: i32, loss: i32): Model {
  sizing.n = n; sizing.d = d; sizing.k = k;
  sizing.input = input; sizing.task = task; sizing.loss = loss;
  return sizing;
}

/** Floats in the parameter block: 4 copies of the parameters, packed weights, GEMM scratch. */
export function param_block_floats(n: i32, d: i32, k: i32, input: i32): f64 {
  begin(0, false);
  walk_params(sizing_header(n, d, k, input, 0, 0));
  return planFloats;
}

/** Plan the parameter block at `block` (already allocated and zeroed, param_block_floats floats). */
export function plan_params(m: Model, block: usize): void {
  begin(block, true);
  walk_params(m);
  m.packed = 0;
}

/** Floats (4-byte words) in a work block for exactly T × B, given the model's kinds and sizes. */
export function work_block_floats(n: i32, d: i32, k: i32, input: i32, task: i32, loss: i32, T: i32, B: i32): f64 {
  begin(0, false);
  walk_work(sizing_header(n, d, k, input, task, loss), <f64>T, <f64>B);
  return planFloats;
}

/** Plan a work block of at least work_block_floats(…, T, B) floats at `block` for T × B. */
export function plan_work(m: Model, block: usize, T: i32, B: i32): void {
  begin(block, true);
  walk_work(m, <f64>T, <f64>B);
  m.work = block;
  m.T = T;
  m.B = B;
}

