// The ABI of rnn.wasm: exactly the functions the wrapper (src/wasm.ts, RnnExports) calls.
// Pointers are byte offsets into the exported memory; the wrapper reads them with >>> 0.
// Sizes are validated by the wrapper before any call (the release build has no asserts).

import {
  Model, cell, MAX_BLOCK_BYTES, param_block_floats, plan_params, work_block_floats, model_work_floats, plan_work, header_bytes, link_header,
} from "./layout";
import { rnn_forward, rnn_loss, rnn_outputs, rnn_backward } from "./rnn";
import {
  OPT_SGD, OPT_ADAMW, sgd_update, sgd_update_finite, adam_update, adam_update_finite, grad_norm, clip_grad_norm, next_step,
} from "./optim";
import { f32_fill } from "./simd";
import { pcg32_seed, pcg32_next, f32_fill_uniform, f32_fill_normal } from "./rng";

/** The ABI's version: bump it (and ABI_VERSION in src/wasm.ts) when an export changes meaning or signature. */
export function abi_version(): i32 { return 5; }

/** Bytes of the parameter block, in f64 so that the wrapper can check any size before creating. */
export function model_param_bytes(n: i32, d: i32, k: i32, input: i32, L: i32, D: i32, e: i32): f64 {
  return 4 * param_block_floats(n, d, k, input, L, D, e);
}

/** Bytes of a work block for exactly T × B, in f64 (see model_param_bytes). */
export function model_work_bytes(
  n: i32, d: i32, k: i32, input: i32, task: i32, loss: i32, L: i32, D: i32, e: i32, dropout: f32, pool: i32, inDrop: f32, outDrop: f32,
  T: i32, B: i32, F: i32,
): f64 {
  return 4 * work_block_floats(n, d, k, input, task, loss, L, D, e, dropout, T, B, F, pool, inDrop, outDrop);
}

/**
 * Create a model of L layers (1..MAX_LAYERS) in D directions (1 or 2), with an embedding of
 * size e (ids only; 0: none), dropout p between layers, pooling `pool` (POOL_*: what a
 * many-to-one head reads) and dropout on layer 0's input and on the head's input (0: none):
 * header and parameter block,
 * parameters drawn in the tensor order (model_offset) from PCG32 seeded with
 * (seedHi·2³² + seedLo): E from N(0, 1) (nn.Embedding), every cell's U, W, b from
 * U(−1/√d, 1/√d) (nn.RNN), V, c from U(−1/√(D·d), 1/√(D·d)) (nn.Linear). Returns the header.
 */
export function model_create(
  n: i32, d: i32, k: i32, input: i32, task: i32, act: i32, loss: i32, L: i32, D: i32, e: i32, dropout: f32,
  pool: i32, inDrop: f32, outDrop: f32, seedLo: u32, seedHi: u32,
): usize {
  // The big block first: if memory cannot grow for it, the trap leaves nothing allocated.
  const bytes = <usize>(4 * param_block_floats(n, d, k, input, L, D, e));
  const block = heap.alloc(bytes);
  memory.fill(block, 0, bytes);
  const hbytes = header_bytes(L, D);
  const p = heap.alloc(hbytes);
  memory.fill(p, 0, hbytes);
  const m = changetype<Model>(p);
  m.n = n; m.d = d; m.k = k; m.input = input; m.task = task; m.act = act; m.loss = loss;
  m.e = e; m.dropout = dropout; m.pool = pool; m.inDrop = inDrop; m.outDrop = outDrop;
  link_header(m, L, D);
  plan_params(m, block);
  const state = changetype<usize>(m) + offsetof<Model>("rng");
  pcg32_seed(state, (<u64>seedHi << 32) | <u64>seedLo);
  if (e) f32_fill_normal(block + (<usize>m.offE << 2), n * e, state);
  const a: f32 = 1.0 / Mathf.sqrt(<f32>d);
  for (let s = 0; s < L * D; s++) {
    const c = cell(m, s);
    f32_fill_uniform(block + (<usize>c.offU << 2), d * c.m, -a, a, state);
    f32_fill_uniform(block + (<usize>c.offW << 2), d * d, -a, a, state);
    f32_fill_uniform(block + (<usize>c.offb << 2), d, -a, a, state);
  }
  const av: f32 = 1.0 / Mathf.sqrt(<f32>(D * d));
  f32_fill_uniform(block + (<usize>m.offV << 2), k * D * d, -av, av, state);
  f32_fill_uniform(block + (<usize>m.offc << 2), k, -av, av, state);
  return p;
}

/** Free a model's three blocks. */
export function model_free(p: usize): void {
  const m = changetype<Model>(p);
  if (m.work) heap.free(m.work);
  heap.free(m.params);
  heap.free(p);
}

/**
 * Plan the work block for exactly T × B, with F ids a step for ids input (F > 1: feature
 * bags; 1 otherwise), the shape of the next pass. Memory grows only to the largest block
 * ever asked for, never to max T × max B.
 *   −1  T × B needs more than MAX_BLOCK_BYTES: nothing changed
 *    0  already planned for T × B: nothing changed (the block keeps its contents)
 *    1  re-planned: every pointer into the work block may have moved, and the tensors of
 *       the new plan are zero (the old block's capacity, or a new block, allocated before
 *       the old one is freed: if memory cannot grow the allocation traps, and the model
 *       keeps its old block, plan and contents)
 */
export function model_reserve(p: usize, T: i32, B: i32, F: i32): i32 {
  const m = changetype<Model>(p);
  const bytes = 4 * model_work_floats(m, T, B, F);
  if (bytes > MAX_BLOCK_BYTES) return -1;
  const size = <usize>bytes;
  if (m.work && size <= m.workBytes) {
    if (T == m.T && B == m.B && F == m.F) return 0;
    memory.fill(m.work, 0, size);
    plan_work(m, m.work, T, B, F);
    return 1;
  }
  const block = heap.alloc(size);   // first: a trap here leaves the model as it was
  memory.fill(block, 0, size);
  if (m.work) heap.free(m.work);
  m.workBytes = size;
  plan_work(m, block, T, B, F);
  return 1;
}

// ── pointers and sizes for the wrapper's views ─────────────────────────────────────────
export function model_params(p: usize): usize { return changetype<Model>(p).params; }
export function model_grads(p: usize): usize { return changetype<Model>(p).grads; }
export function model_nparams(p: usize): i32 { return changetype<Model>(p).nparams; }
/** Parameter tensors: E (with an embedding), U, W, b per cell, V, c. */
export function model_tensor_count(p: usize): i32 {
  const m = changetype<Model>(p);
  return (m.e ? 1 : 0) + 3 * m.L * m.D + 2;
}
/** Float offset of tensor i inside one parameter copy, in the order E, (U, W, b) per cell s = ℓ·D + r, V, c. */
export function model_offset(p: usize, i: i32): i32 {
  const m = changetype<Model>(p);
  if (m.e) {
    if (i == 0) return m.offE;
    i--;
  }
  const cells = m.L * m.D;
  if (i < 3 * cells) {
    const c = cell(m, i / 3), j = i % 3;
    return j == 0 ? c.offU : j == 1 ? c.offW : c.offb;
  }
  return i == 3 * cells ? m.offV : m.offc;
}
/** Whether tensor i is a bias (b of a cell, or c): weight decay spares them by default. */
function tensor_is_bias(m: Model, i: i32): bool {
  if (m.e) {
    if (i == 0) return false;
    i--;
  }
  const cells = m.L * m.D;
  return i < 3 * cells ? i % 3 == 2 : i > 3 * cells;
}
/** X: ids (T, B, F) i32, each step's ids first and −1 after them, or features (T, B, n) f32. */
export function model_inputs(p: usize): usize { return changetype<Model>(p).X; }
export function model_targets(p: usize): usize { return changetype<Model>(p).targets; }
/** Row weights ω of the loss: (rows) f32, row r as the targets' row r (read only while model_set_weighted is on). */
export function model_weights(p: usize): usize { return changetype<Model>(p).weights; }
/**
 * Whether the loss reads the row weights: L = (1/B) Σ_r ω_r·loss_r, a row with ω_r = 0 not
 * computed (no loss, zero gradient, its target never read). Off (every ω_r = 1) by default.
 */
export function model_set_weighted(p: usize, on: bool): void { changetype<Model>(p).weighted = on ? 1 : 0; }
export function model_lengths(p: usize): usize { return changetype<Model>(p).lengths; }
/** (B, S), S = L·D·d, sequence-major in slot order s = ℓ·D + r: the initial states, read by a pass with hasH0. */
export function model_h0(p: usize): usize { return changetype<Model>(p).h0; }
/** (B, S): every slot's state at each sequence's true length (reverse: at step 0), after a pass. */
export function model_final(p: usize): usize { return changetype<Model>(p).hN; }
/** Slot s's states, (T+1, B, d): forward, s_t at index t+1 (index 0: h0); reverse, s_t at index t (index T: h0). */
export function model_slot_states(p: usize, s: i32): usize { return cell(changetype<Model>(p), s).H; }
export function model_outputs(p: usize): usize { return changetype<Model>(p).O; }
/** ∂L/∂h0 (B, S) after model_gradients. */
export function model_dh0(p: usize): usize { return changetype<Model>(p).dh0; }
/** The host wrote parameters: the packed weights must be rebuilt before the next pass. */
export function model_params_written(p: usize): void { changetype<Model>(p).packed = 0; }
/** ‖∂L/∂s_t‖₂ for t = 0..T−1 (f32) after model_gradients. */
export function model_state_grad_norms(p: usize): usize { return changetype<Model>(p).gnorm; }
/** Optimizer state: m (Adam first moment / SGD momentum buffer) and v, same layout as params. */
export function model_moments(p: usize): usize { return changetype<Model>(p).m; }
/** Optimizer steps taken (Adam's t); it saturates at 2^31 − 1 instead of wrapping. */
export function model_step(p: usize): i32 { return changetype<Model>(p).step; }
export function model_set_step(p: usize, step: i32): void { changetype<Model>(p).step = step; }
/** ‖g‖₂ over all parameters before clipping, of the last model_train_step (f64). */
export function model_grad_norm(p: usize): f64 { return changetype<Model>(p).gradNorm; }
/** STEP_* (below): what the last model_train_step did with its update. */
export function model_step_status(p: usize): i32 { return changetype<Model>(p).status; }
/** Address of the 8-byte PCG32 state. */
export function model_rng(p: usize): usize { return p + offsetof<Model>("rng"); }
/** Next 32-bit output of the model's generator (sampling, shuffling). */
export function model_random(p: usize): u32 { return pcg32_next(model_rng(p)); }

// ── the step ───────────────────────────────────────────────────────────────────────────

/** Forward pass and outputs ŷ = f2(o) into O (inference). */
export function model_predict(p: usize, T: i32, B: i32, hasH0: bool): void {
  const m = changetype<Model>(p);
  rnn_forward(m, T, B, hasH0, false);
  rnn_outputs(m, T, B);
}

/** Zero the gradients, forward, loss, BPTT. Returns L; gradients land in the grads copy. */
export function model_gradients(p: usize, T: i32, B: i32, hasH0: bool): f64 {
  const m = changetype<Model>(p);
  f32_fill(m.grads, 0, m.nparams);
  rnn_forward(m, T, B, hasH0, true);
  const loss = rnn_loss(m, T, B);
  rnn_backward(m, T, B);
  return loss;
}

/** Forward and loss only (evaluation, no dropout): returns L; O keeps the logits, grads are untouched. */
export function model_loss(p: usize, T: i32, B: i32, hasH0: bool): f64 {
  const m = changetype<Model>(p);
  rnn_forward(m, T, B, hasH0, false);
  return rnn_loss(m, T, B);
}

// What model_train_step did (model_step_status; src/wasm.ts mirrors them).
const STEP_APPLIED = 0;            // the update was applied
const STEP_NONFINITE_LOSS = 1;     // not applied: the loss is NaN or ±Infinity
const STEP_NONFINITE_GRAD = 2;     // not applied: the gradient norm is NaN or ±Infinity
const STEP_NONFINITE_UPDATE = 3;   // not applied: a parameter or moment would become non-finite

/**
 * A whole training step in one call: gradients, global norm, clipping (if maxNorm > 0) and
 * one optimizer update (opt: OPT_SGD with a1 = momentum, or OPT_ADAM / OPT_ADAMW with
 * a1..a3 = β1, β2, ε), with weight decay wd on the weights U, W, V, and on the biases b, c
 * too when decayBiases (wd = 0: no decay). Returns L. The pre-clip norm is kept for model_grad_norm.
 * Unless allowNonFinite, the update is applied only if the loss and the norm are finite and
 * the update leaves every parameter and moment finite (a dry pass of the optimizer decides,
 * before anything is written); otherwise parameters, moments and step count stay as they
 * were (the gradients are kept, unclipped when the loss or norm is the reason).
 * model_step_status says which. With allowNonFinite the update is applied whatever it gives.
 */
export function model_train_step(
  p: usize, T: i32, B: i32, hasH0: bool, maxNorm: f32, opt: i32, lr: f32, a1: f32, a2: f32, a3: f32,
  wd: f32, decayBiases: bool, allowNonFinite: bool,
): f64 {
  return model_apply_gradients(p, model_gradients(p, T, B, hasH0), maxNorm, opt, lr, a1, a2, a3, wd, decayBiases, allowNonFinite);
}

/**
 * The second half of model_train_step: the global norm, clipping and one optimizer update
 * from the gradients the grads copy holds now (from model_gradients, or summed there by the
 * host from several replicas: data-parallel training), with `loss` the batch's loss for the
 * non-finite rule. Returns `loss`; model_step_status and model_grad_norm say what it did.
 */
export function model_apply_gradients(
  p: usize, loss: f64, maxNorm: f32, opt: i32, lr: f32, a1: f32, a2: f32, a3: f32,
  wd: f32, decayBiases: bool, allowNonFinite: bool,
): f64 {
  const m = changetype<Model>(p);
  const norm = grad_norm(m.grads, m.nparams);
  m.gradNorm = norm;
  if (!allowNonFinite) {
    if (!isFinite(loss)) { m.status = STEP_NONFINITE_LOSS; return loss; }
    if (!isFinite(norm)) { m.status = STEP_NONFINITE_GRAD; return loss; }
  }
  if (maxNorm > 0) clip_grad_norm(m.grads, m.nparams, maxNorm, norm);
  const t = next_step(m.step);
  if (!allowNonFinite && !update(m, opt, lr, a1, a2, a3, t, wd, decayBiases, true)) { m.status = STEP_NONFINITE_UPDATE; return loss; }
  update(m, opt, lr, a1, a2, a3, t, wd, decayBiases, false);
  m.step = t;
  m.status = STEP_APPLIED;
  return loss;
}

/**
 * One optimizer update from the current gradients, as step t; with `dry`, its dry pass
 * instead (writes nothing; true if every parameter and moment it would write is finite).
 * Without decay, or with it on every tensor, one loop over the whole block. Otherwise one
 * loop per run of adjacent tensors of one kind in the layout (weights wd, biases 0; for one
 * layer: U and W, then b, V, c). Either way every float is visited once.
 */
function update(m: Model, opt: i32, lr: f32, a1: f32, a2: f32, a3: f32, t: i32, wd: f32, decayBiases: bool, dry: bool): bool {
  if (!dry) m.packed = 0;
  if (wd == 0 || decayBiases) return update_range(m, 0, m.nparams, opt, lr, a1, a2, a3, t, wd, dry);
  const p = changetype<usize>(m), count = model_tensor_count(p);
  let ok = true, from = 0;
  for (let i = 0; i < count; i++) {
    const bias = tensor_is_bias(m, i);
    if (i + 1 < count && tensor_is_bias(m, i + 1) == bias) continue;   // the run goes on
    const to = i + 1 < count ? model_offset(p, i + 1) : m.nparams;
    ok = update_range(m, from, to, opt, lr, a1, a2, a3, t, bias ? 0 : wd, dry) && ok;
    from = to;
  }
  return ok;
}

/** update() on the floats from..to−1 of each copy (params, grads, m, v) with decay wd. */
function update_range(m: Model, from: i32, to: i32, opt: i32, lr: f32, a1: f32, a2: f32, a3: f32, t: i32, wd: f32, dry: bool): bool {
  const o = <usize>from << 2, n = to - from;
  if (opt == OPT_SGD) {
    if (dry) return sgd_update_finite(m.params + o, m.grads + o, m.m + o, n, lr, a1, wd);
    sgd_update(m.params + o, m.grads + o, m.m + o, n, lr, a1, wd);
    return true;
  }
  const decoupled = opt == OPT_ADAMW;
  if (dry) return adam_update_finite(m.params + o, m.grads + o, m.m + o, m.v + o, n, lr, a1, a2, a3, t, wd, decoupled);
  adam_update(m.params + o, m.grads + o, m.m + o, m.v + o, n, lr, a1, a2, a3, t, wd, decoupled);
  return true;
}
