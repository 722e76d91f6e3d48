// The memory plan of one model: the only place sizes and offsets are decided. The wrapper
// (src/) reads every pointer through the model_* getters exported from index.ts.
//
// A model is three heap blocks (the AssemblyScript "minimal" runtime's TLSF allocator;
// blocks are 16-byte aligned and freed by model_free, so models come and go without growth):
//
// ╒═ header: Model, then L·D Cell records, then L Layer records ══════════════════════════╕
// │ sizes, kinds, pointers into the two blocks, optimizer step count and status, RNG    │
// │ Cell s = ℓ·D + r (layer ℓ, direction r; PyTorch's h_n order): its tensors' offsets  │
// │ Layer ℓ: what its cells read, and its output as the next layer or the head reads it │
// ╞═ parameter block (fixed for the model's life) ═══════════════════════════ f32 ═══════╡
// │ params  E (n,e) │ per cell: U (d,m_ℓ) W (d,d) b (d) │ V (k,D·d) │ c (k)   nparams │
// │ grads   same tensors, same order, same padding                      nparams floats │
// │ m       first moment (Adam) or momentum buffer (SGD), same layout   nparams floats │
// │ v       second moment (Adam), same layout                           nparams floats │
// │ packed  per cell Uᵀ │ Wᵀ │ W │ U, then Vᵀ │ V: B operands of f32_gemm_packed      │
// │ scratch a packed A block, an edge tile, one packed K-chunk of B (f32_gemm)         │
// ╞═ work block (planned for exactly the T × B of the last model_reserve) ═══════════════╡
// │ X        ids (T,B,F) i32, or features (T,B,n) f32: F ids a step (a feature bag),    │
// │          the bag's ids first, then −1 (F = 1: one id a step)                        │
// │ targets  per scored row: class id i32, or k f32 values; rows = T·B, or B (m2o)      │
// │ weights  (rows) f32: each scored row's loss weight ω ≥ 0 (read only when m.weighted) │
// │ lengths  (B) i32, sorted descending by the wrapper                                  │
// │ per cell H (T+1,B,d) states, Z (T,B,d) input projection / dz, dnext (B,d)          │
// │ Xe       (T,B,e): E's rows gathered for layer 0 (embedding only)                    │
// │ per layer out (T,B,D·d) or (B,D·d) [many-to-one top, last state]: [s→_t ; s←_t]   │
// │          (⊙ dropout), when D = 2 or a dropout applies to it (else out aliases the   │
// │          forward cell's H[1..T], or H[T]); mask (T,B,D·d): dropout keep-scales      │
// │ pooled   (B,D·d): many-to-one with mean or max pooling, the head's input;          │
// │          argmax (B,D·d) i32: the step each max came from (max pooling)              │
// │ inMask   (T,B,m_0): input dropout's keep-scales (embedding or dense input)          │
// │ outMask  (rows,D·d): output dropout's keep-scales on the head's input               │
// │ O, dO    (T,B,k), or (B,k) for many-to-one: logits, then outputs; their gradient    │
// │ h0, hN, dh0  (B,S), S = L·D·d: every slot's initial and final state and ∂L/∂h0,    │
// │          sequence-major (one model_reserve for L·D = 1 aliases H[0], H[T], dnext)   │
// │ gnorm    (T) f32: ‖∂L/∂s_t‖₂ over every cell's rows running at t; gnorm2 (T) f64   │
// │ (unused) the rest of the block's capacity, after a re-plan for a smaller T × B      │
// ╘══════════════════════════════════════════════════════════════════════════════════════╛
//
// A cell's states: the forward direction keeps H[0] = h0, H[t+1] = s→_t (past a sequence's
// end, carried); the reverse direction keeps H[t] = s←_t and H[T] = its h0, carried down
// through the padding, so that at its last real step a sequence reads its own h0.
//
// Every tensor starts on 16 bytes: each size is rounded up to a multiple of 4 floats and
// the padding lanes are kept zero (both blocks are zeroed when planned). Rows inside a
// tensor are not padded (d, n, k are used as they are; wasm loads need no alignment).
//
// One planner makes both the sizes and the pointers: walk_params and walk_work list the
// tensors of a block once, in order, each through tensor(). Sizing walks the list only
// totalling floats (in f64, exact to 2^53, so no request can wrap); planning walks the same
// list again at a block's address and also writes every pointer. A new tensor is one more
// line in a list; layers and directions are a loop over the cells.

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
export const POOL_LAST = 0;
export const POOL_MEAN = 1;
export const POOL_MAX = 2;

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
  L: i32 = 0;          // layers
  D: i32 = 0;          // directions: 1, or 2 (bidirectional)
  e: i32 = 0;          // embedding size (0: none)
  dropout: f32 = 0;    // p of the dropout after every layer but the last (0: none)
  pool: i32 = 0;       // POOL_*: what a many-to-one head reads
  inDrop: f32 = 0;     // p of the dropout on layer 0's input (embedding or dense; 0: none)
  outDrop: f32 = 0;    // p of the dropout on the head's input (0: none)
  cells: usize = 0;    // L·D Cell records (in the header's allocation)
  layers: usize = 0;   // L Layer records (after the cells)
  nparams: i32 = 0;    // floats in one copy of the parameters, padding included
  offE: i32 = 0;       // float offsets of E, V, c inside a copy (a cell has its U, W, b)
  offV: i32 = 0;
  offc: i32 = 0;
  params: usize = 0;   // parameter block: params | grads | m | v | packed | scratch
  grads: usize = 0;
  m: usize = 0;
  v: usize = 0;
  VTp: usize = 0;      // packed head weights (valid while packed != 0)
  Vp: usize = 0;
  scratch: usize = 0;
  packed: i32 = 0;     // 1 when the packed weights match params; any parameter write clears it
  work: usize = 0;     // work block (0 before the first model_reserve)
  workBytes: usize = 0; // its capacity in bytes
  T: i32 = 0;          // the shape it is planned for
  B: i32 = 0;
  F: i32 = 0;          // ids a step (ids input; 1 without feature bags)
  X: usize = 0;
  targets: usize = 0;
  lengths: usize = 0;
  Xe: usize = 0;
  O: usize = 0;
  dO: usize = 0;
  h0: usize = 0;
  hN: usize = 0;
  dh0: usize = 0;
  gnorm: usize = 0;
  gnorm2: usize = 0;
  pooled: usize = 0;
  argmax: usize = 0;
  inMask: usize = 0;
  outMask: usize = 0;
  weights: usize = 0;  // row weights of the loss (rows f32), in the work block
  weighted: i32 = 0;   // 1: the loss reads `weights`; 0: every row weighs 1 (the default)
}

/** One layer and direction: s = ℓ·D + r. */
@unmanaged export class Cell {
  layer: i32 = 0;
  rev: i32 = 0;        // 1: the reverse direction
  m: i32 = 0;          // its input size m_ℓ: e, n, or D·d
  offU: i32 = 0;       // float offsets of U (d,m), W (d,d), b (d) inside a copy
  offW: i32 = 0;
  offb: i32 = 0;
  UTp: usize = 0;      // packed Uᵀ (0: layer 0 reads ids, U x_t is a column gather)
  WTp: usize = 0;      // packed Wᵀ
  Wp: usize = 0;       // packed W
  Up: usize = 0;       // packed U, for ∂L/∂input (0: nothing below needs it)
  H: usize = 0;        // (T+1,B,d) states
  Z: usize = 0;        // (T,B,d) input projection + b; dz in the backward
  dnext: usize = 0;    // (B,d) ∂L/∂s carried back through time; ∂L/∂h0 at the end
}

/** One layer: what its cells read, and its output. */
@unmanaged export class Layer {
  input: usize = 0;    // (T,B,m): X (dense), Xe (embedding), the layer below's out; 0: ids (gather)
  out: usize = 0;      // (T,B,D·d) [s→_t ; s←_t] (⊙ mask), or (B,D·d) for a many-to-one top layer
  owned: i32 = 0;      // 1: out is its own tensor; 0: it aliases the forward cell's H + B·d (H + T·B·d: m2o top)
  mask: usize = 0;     // (T,B,D·d) dropout keep-scales, 0 or 1/(1−p) (0: no dropout after this layer)
}

// @ts-ignore: decorator
@inline export function cell(m: Model, s: i32): Cell {
  return changetype<Cell>(m.cells + <usize>s * offsetof<Cell>());
}

// @ts-ignore: decorator
@inline export function layer(m: Model, l: i32): Layer {
  return changetype<Layer>(m.layers + <usize>l * offsetof<Layer>());
}

/** Bytes of a header with its cell and layer records. */
export function header_bytes(L: i32, D: i32): usize {
  return offsetof<Model>() + <usize>(L * D) * offsetof<Cell>() + <usize>L * offsetof<Layer>();
}

/** Point a header at its records (placed right after it). */
export function link_header(m: Model, L: i32, D: i32): void {
  m.L = L; m.D = D;
  m.cells = changetype<usize>(m) + offsetof<Model>();
  m.layers = m.cells + <usize>(L * D) * offsetof<Cell>();
}

/** The most layers a model may have (the wrapper's MAX_LAYERS). */
export const MAX_LAYERS = 64;

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
  const n = <f64>m.n, d = <f64>m.d, k = <f64>m.k, e = <f64>m.e, D = m.D, Dd = <f64>D * d;
  const cells = m.L * D;
  // One copy of the parameters (the tensor list: model_offset, PyTorch's state_dict order).
  m.offE = m.e ? offset(n * e) : 0;   // E (n,e)
  for (let s = 0; s < cells; s++) {
    const c = cell(m, s);
    c.layer = s / D;
    c.rev = s % D;
    c.m = c.layer > 0 ? D * m.d : m.e ? m.e : m.n;
    c.offU = offset(d * <f64>c.m);   // U (d,m)
    c.offW = offset(d * d);          // W (d,d)
    c.offb = offset(d);              // b (d)
  }
  m.offV = offset(k * Dd);           // V (k,D·d)
  m.offc = offset(k);                // c (k)
  const nparams = planFloats;
  m.nparams = planning ? <i32>nparams : 0;
  // Three more copies in the same layout, so the optimizer is one flat loop.
  m.params = planBase;
  m.grads = tensor(nparams);
  m.m = tensor(nparams);
  m.v = tensor(nparams);
  // f32_gemm_packed's B operands (K rows × N columns, in panels of NR).
  for (let s = 0; s < cells; s++) {
    const c = cell(m, s), mm = <f64>c.m;
    const gather = c.layer == 0 && m.input != INPUT_DENSE && !m.e;   // ids without embedding
    c.UTp = gather ? 0 : tensor(packedf(mm, d));                    // Uᵀ: K = m, N = d
    c.WTp = tensor(packedf(d, d));                                  // Wᵀ: K = d, N = d
    c.Wp = tensor(packedf(d, d));                                   // W:  K = d, N = d
    c.Up = c.layer > 0 || m.e ? tensor(packedf(d, mm)) : 0;         // U:  K = d, N = m
  }
  m.VTp = tensor(packedf(Dd, k));    // Vᵀ: K = D·d, N = k
  m.Vp = tensor(packedf(k, Dd));     // V:  K = k, N = D·d
  m.scratch = tensor(f32_gemm_scratch_floats(Math.max(Math.max(n, e), Math.max(Dd, k))));
}

/** The work block's tensors for T × B, in order. */
function walk_work(m: Model, T: f64, B: f64, F: f64): void {
  const n = <f64>m.n, d = <f64>m.d, k = <f64>m.k, D = m.D, Dd = <f64>D * d, L = m.L;
  const cells = L * D, m2o = m.task == TASK_MANY_TO_ONE;
  const rows = m2o ? B : T * B;                                      // scored rows
  m.X = tensor(m.input == INPUT_DENSE ? T * B * n : T * B * F);     // X (T,B,n) f32 or (T,B,F) i32
  m.targets = tensor(m.loss == LOSS_SOFTMAX_XENT ? rows : rows * k); // (rows) i32 or (rows,k) f32
  m.weights = tensor(rows);        // (rows) f32
  m.lengths = tensor(B);           // (B) i32
  for (let s = 0; s < cells; s++) {
    const c = cell(m, s);
    c.H = tensor((T + 1) * B * d); // (T+1,B,d)
    c.Z = tensor(T * B * d);       // (T,B,d)
    c.dnext = tensor(B * d);       // (B,d)
  }
  m.Xe = m.e ? tensor(T * B * <f64>m.e) : 0;   // (T,B,e)
  const Bbytes = <usize>(B * d) << 2;
  const pooling = m2o && m.pool != POOL_LAST;
  for (let l = 0; l < L; l++) {
    const ly = layer(m, l), top = l == L - 1;
    const dropped = m.dropout > 0 && !top;
    const last = top && m2o && !pooling;         // out is each sequence's last state, not a sequence
    const H = cell(m, l * D).H;
    ly.owned = D == 2 || dropped || (top && m.outDrop > 0 && !pooling) ? 1 : 0;
    ly.out = ly.owned ? tensor(last ? B * Dd : T * B * Dd) : last ? H + <usize>T * Bbytes : H + Bbytes;
    ly.mask = dropped ? tensor(T * B * Dd) : 0;
    ly.input = l > 0 ? layer(m, l - 1).out : m.e ? m.Xe : m.input == INPUT_DENSE ? m.X : 0;
  }
  m.pooled = pooling ? tensor(B * Dd) : 0;                        // (B,D·d)
  m.argmax = pooling && m.pool == POOL_MAX ? tensor(B * Dd) : 0;   // (B,D·d) i32
  m.inMask = m.inDrop > 0 ? tensor(T * B * <f64>(m.e ? m.e : m.n)) : 0;
  m.outMask = m.outDrop > 0 ? tensor(rows * Dd) : 0;
  m.O = tensor(rows * k);          // (rows,k)
  m.dO = tensor(rows * k);         // (rows,k)
  if (cells > 1) {
    const S = <f64>cells * d;
    m.h0 = tensor(B * S);          // (B,S)
    m.hN = tensor(B * S);
    m.dh0 = tensor(B * S);
  } else {
    const c = cell(m, 0);
    m.h0 = c.H;
    m.hN = c.H + <usize>T * Bbytes;
    m.dh0 = c.dnext;
  }
  m.gnorm = tensor(T);             // (T) f32
  m.gnorm2 = tensor(2 * T);        // (T) f64
}

// Sizing walks a header that is never a model (with room for the most cells and layers), so
// the sizes can be asked for before one exists, and a live model's pointers are never touched.
const sizing = changetype<Model>(memory.data(<i32>(offsetof<Model>() + 2 * MAX_LAYERS * offsetof<Cell>() + MAX_LAYERS * offsetof<Layer>()), 16));

function sizing_header(n: i32, d: i32, k: i32, input: i32, task: i32, loss: i32, L: i32, D: i32, e: i32, dropout: f32,
  pool: i32 = POOL_LAST, inDrop: f32 = 0, outDrop: f32 = 0): Model {
  sizing.n = n; sizing.d = d; sizing.k = k;
  sizing.input = input; sizing.task = task; sizing.loss = loss;
  sizing.e = e; sizing.dropout = dropout; sizing.pool = pool; sizing.inDrop = inDrop; sizing.outDrop = outDrop;
  link_header(sizing, L, D);
  return sizing;
}

/** Floats in the parameter block: 4 copies of the parameters, packed weights, GEMM scratch. */
export function param_block_floats(n: i32, d: i32, k: i32, input: i32, L: i32, D: i32, e: i32): f64 {
  begin(0, false);
  walk_params(sizing_header(n, d, k, input, 0, 0, L, D, e, 0));
  return planFloats;
}

/** Plan the parameter block at `block` (already allocated and zeroed, param_block_floats floats). */
export function plan_params(m: Model, block: usize): void {
  begin(block, true);
  walk_params(m);
  m.packed = 0;
}

/** Floats (4-byte words) in a work block for exactly T × B, given the model's kinds and sizes. */
export function work_block_floats(n: i32, d: i32, k: i32, input: i32, task: i32, loss: i32, L: i32, D: i32, e: i32, dropout: f32, T: i32, B: i32, F: i32,
  pool: i32 = POOL_LAST, inDrop: f32 = 0, outDrop: f32 = 0): f64 {
  begin(0, false);
  walk_work(sizing_header(n, d, k, input, task, loss, L, D, e, dropout, pool, inDrop, outDrop), <f64>T, <f64>B, <f64>F);
  return planFloats;
}

/** work_block_floats for a model's own kinds and sizes. */
export function model_work_floats(m: Model, T: i32, B: i32, F: i32): f64 {
  return work_block_floats(m.n, m.d, m.k, m.input, m.task, m.loss, m.L, m.D, m.e, m.dropout, T, B, F, m.pool, m.inDrop, m.outDrop);
}

/** Plan a work block of at least work_block_floats(…, T, B, F) floats at `block` for T × B (× F ids a step). */
export function plan_work(m: Model, block: usize, T: i32, B: i32, F: i32 = 1): void {
  begin(block, true);
  walk_work(m, <f64>T, <f64>B, <f64>F);
  m.work = block;
  m.T = T;
  m.B = B;
  m.F = F;
}
