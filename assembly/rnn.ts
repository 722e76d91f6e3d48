// The Elman RNN over a padded batch: rnn_forward, the loss, rnn_backward (BPTT), side by side.
//
//   n input size   d hidden   k outputs   T steps   B sequences   (row r = t·B + i, time-major)
//
//   z_t = U x_t + W s_{t−1} + b     s_t = f1(z_t)     o_t = V s_t + c     ŷ_t = f2(o_t)
//
// The wrapper writes sequences sorted by length, longest first, so at step t the sequences
// still running are rows 0..b_t−1 (b_t = #{i : len_i > t}): the recurrence touches only
// those rows, as packed sequences do. A finished row carries its state unchanged, so
// H[T] holds every sequence's state at its true length (the final state), and no work or
// gradient ever comes from a padded step.
//
// Only the recurrence is sequential; the input projection, the output layer and the
// parameter gradients are single products over all T·B rows (DESIGN §4).

import { Model, INPUT_DENSE, TASK_MANY_TO_ONE, ACT_TANH, ACT_SIGMOID, LOSS_SOFTMAX_XENT, LOSS_SIGMOID_BCE } from "./layout";
import { f32_gemm, f32_gemm_packed, f32_pack_b, f32_pack_bt } from "./gemm";
import { f32_fill, f32_copy, f32_colsum_acc, f32_rows_set, f32_sumsq_f64, f32_add_acc } from "./simd";
import {
  f32_vtanh, f32_vtanh_backward, f32_vsigmoid, f32_vsigmoid_backward, f32_vrelu, f32_vrelu_backward,
} from "./activation";
import {
  softmax_xent_forward_backward, softmax_probs, sigmoid_bce_forward_backward, sigmoid_probs, mse_forward_backward,
} from "./loss";

// @ts-ignore: decorator
@inline function f32p(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** Sequences still running at step t: #{i : len_i > t} for lengths sorted descending. */
// @ts-ignore: decorator
@inline function running(lengths: usize, B: i32, t: i32): i32 {
  let bt = B;
  while (bt > 0 && load<i32>(lengths + (<usize>(bt - 1) << 2)) <= t) bt--;
  return bt;
}

/**
 * Whether the scored rows of a many-to-many batch are dense enough (Σ len ≥ ¾·T·B) to run
 * the output layer and dS = dO·V as one product over all T·B rows, padded rows included
 * (their states are carried values and their dO is zero, so they change nothing), rather
 * than one product per step over the running rows. One big product keeps the 4×8 tiles
 * full, which matters most at batch size 1, where each per-step product is a mat-vec.
 */
function one_product(lengths: usize, T: i32, B: i32): bool {
  let total: i64 = 0;
  for (let i = 0; i < B; i++) total += load<i32>(lengths + (<usize>i << 2));
  return total * 4 >= <i64>T * <i64>B * 3;
}

/**
 * Pack the weights as f32_gemm_packed wants them (Wᵀ, W, Vᵀ, V, and Uᵀ for dense input),
 * unless they already match the parameters (m.packed; cleared by every parameter write).
 */
export function rnn_pack_weights(m: Model): void {
  if (m.packed) return;
  const n = m.n, d = m.d, k = m.k;
  const U = f32p(m.params, m.offU), W = f32p(m.params, m.offW), V = f32p(m.params, m.offV);
  if (m.input == INPUT_DENSE) f32_pack_bt(m.UTp, U, n, n, d);   // Uᵀ: K = n, N = d
  f32_pack_bt(m.WTp, W, d, d, d);                               // Wᵀ: K = d, N = d
  f32_pack_b(m.Wp, W, d, d, d);                                 // W:  K = d, N = d
  f32_pack_bt(m.VTp, V, d, d, k);                               // Vᵀ: K = d, N = k
  f32_pack_b(m.Vp, V, d, k, d);                                 // V:  K = k, N = d
  m.packed = 1;
}

/**
 * Forward pass. Reads X, lengths, H[0] (if hasH0; otherwise sets it to zero) and the
 * parameters; writes Z (the input projection), H[1..T] and the logits O.
 * Saves for the backward: H (f1' comes from s_t itself) and O.
 */
export function rnn_forward(m: Model, T: i32, B: i32, hasH0: bool): void {
  const n = m.n, d = m.d, k = m.k;
  const U = f32p(m.params, m.offU), b = f32p(m.params, m.offb), c = f32p(m.params, m.offc);
  const H = m.H, Z = m.Z, X = m.X, lengths = m.lengths, scratch = m.scratch;
  const Bd = B * d;
  if (!hasH0) f32_fill(H, 0, Bd);
  rnn_pack_weights(m);

  // 1. Input projection for every step at once: Z = b + U x_t.
  f32_rows_set(Z, b, T * B, d);
  if (m.input == INPUT_DENSE) {
    f32_gemm_packed(Z, d, X, n, 1, m.UTp, T * B, d, n, scratch);   // Z (TB,d) += X (TB,n) · Uᵀ
  } else {
    // x_t one-hot: U x_t is column `id` of U (stride n).
    for (let r = 0; r < T * B; r++) {
      const id = load<i32>(X + (<usize>r << 2));
      const pz = f32p(Z, r * d);
      for (let j = 0; j < d; j++) {
        const p = pz + (<usize>j << 2);
        store<f32>(p, load<f32>(p) + load<f32>(f32p(U, j * n + id)));
      }
    }
  }

  // 2. The recurrence over the running rows: s_t = f1(Z_t + s_{t−1} · Wᵀ).
  for (let t = 0; t < T; t++) {
    const bt = running(lengths, B, t);
    const hp = f32p(H, t * Bd), hc = f32p(H, (t + 1) * Bd);
    f32_copy(hc, f32p(Z, t * Bd), bt * d);
    f32_gemm_packed(hc, d, hp, d, 1, m.WTp, bt, d, d, scratch);
    activate(m.act, hc, bt * d);
    f32_copy(f32p(hc, bt * d), f32p(hp, bt * d), (B - bt) * d);   // finished rows: carried
  }

  // 3. Outputs: o = V s + c, for the scored rows only.
  if (m.task == TASK_MANY_TO_ONE) {
    f32_rows_set(m.O, c, B, k);
    f32_gemm_packed(m.O, k, f32p(H, T * Bd), d, 1, m.VTp, B, k, d, scratch);
  } else if (one_product(lengths, T, B)) {
    f32_rows_set(m.O, c, T * B, k);
    f32_gemm_packed(m.O, k, f32p(H, Bd), d, 1, m.VTp, T * B, k, d, scratch);
  } else {
    for (let t = 0; t < T; t++) {
      const bt = running(lengths, B, t);
      const ot = f32p(m.O, t * B * k);
      f32_rows_set(ot, c, bt, k);
      f32_gemm_packed(ot, k, f32p(H, (t + 1) * Bd), d, 1, m.VTp, bt, k, d, scratch);
    }
  }
}

function activate(act: i32, h: usize, count: i32): void {
  if (act == ACT_TANH) f32_vtanh(h, h, count);
  else if (act == ACT_SIGMOID) f32_vsigmoid(h, h, count);
  else f32_vrelu(h, h, count);
}

function activate_backward(act: i32, dz: usize, dh: usize, h: usize, count: i32): void {
  if (act == ACT_TANH) f32_vtanh_backward(dz, dh, h, count);
  else if (act == ACT_SIGMOID) f32_vsigmoid_backward(dz, dh, h, count);
  else f32_vrelu_backward(dz, dh, h, count);
}

/** Loss and ∂L/∂o of `rows` rows; returns the unscaled sum Σ_r ω_r·loss_r (weights 0: every ω_r = 1). */
function loss_rows(m: Model, dO: usize, O: usize, targets: usize, weights: usize, rows: i32, scale: f32): f64 {
  if (m.loss == LOSS_SOFTMAX_XENT) return softmax_xent_forward_backward(dO, O, targets, rows, m.k, scale, weights);
  if (m.loss == LOSS_SIGMOID_BCE) return sigmoid_bce_forward_backward(dO, O, targets, rows, m.k, scale, weights);
  return mse_forward_backward(dO, O, targets, rows, m.k, scale, weights);
}

/**
 * L = (1/B) Σ_i Σ_{scored t} ω_it·loss(o_t^i, y_t^i); writes dO = ∂L/∂O (zero on unscored
 * rows and on rows of weight 0). ω is the work block's row weights when m.weighted, else 1.
 * Reads O and targets.
 */
export function rnn_loss(m: Model, T: i32, B: i32): f64 {
  const k = m.k;
  const scale: f32 = 1.0 / <f32>B;
  const weights = m.weighted ? m.weights : 0;
  if (m.task == TASK_MANY_TO_ONE) return loss_rows(m, m.dO, m.O, m.targets, weights, B, scale) / <f64>B;
  const tw = m.loss == LOSS_SOFTMAX_XENT ? 1 : k;       // target words per row
  let total: f64 = 0;
  for (let t = 0; t < T; t++) {
    const bt = running(m.lengths, B, t);
    const dot = f32p(m.dO, t * B * k);
    total += loss_rows(m, dot, f32p(m.O, t * B * k), f32p(m.targets, t * B * tw), weights ? f32p(weights, t * B) : 0, bt, scale);
    f32_fill(f32p(dot, bt * k), 0, (B - bt) * k);
  }
  return total / <f64>B;
}

/** ŷ = f2(o) in place over O's scored rows (softmax, sigmoid, or identity for MSE). */
export function rnn_outputs(m: Model, T: i32, B: i32): void {
  if (m.loss != LOSS_SOFTMAX_XENT && m.loss != LOSS_SIGMOID_BCE) return;
  const k = m.k;
  if (m.task == TASK_MANY_TO_ONE) {
    if (m.loss == LOSS_SOFTMAX_XENT) softmax_probs(m.O, m.O, B, k);
    else sigmoid_probs(m.O, m.O, B, k);
    return;
  }
  for (let t = 0; t < T; t++) {
    const bt = running(m.lengths, B, t);
    const ot = f32p(m.O, t * B * k);
    if (m.loss == LOSS_SOFTMAX_XENT) softmax_probs(ot, ot, bt, k);
    else sigmoid_probs(ot, ot, bt, k);
  }
}

/**
 * Backward pass through time. Accumulates (+=) into the gradient copy of every parameter;
 * overwrites Z with dz, dnext with ∂L/∂h0, and gnorm[t] with ‖∂L/∂s_t‖₂ (rows running at t). Needs H, dO, the parameters and
 * the packed weights; call rnn_forward and rnn_loss first.
 */
export function rnn_backward(m: Model, T: i32, B: i32): void {
  const n = m.n, d = m.d, k = m.k;
  const scratch = m.scratch;
  const dU = f32p(m.grads, m.offU), dW = f32p(m.grads, m.offW), db = f32p(m.grads, m.offb);
  const dV = f32p(m.grads, m.offV), dc = f32p(m.grads, m.offc);
  const H = m.H, Z = m.Z, dO = m.dO, dnext = m.dnext, lengths = m.lengths;
  const Bd = B * d;
  const m2o = m.task == TASK_MANY_TO_ONE;

  // Output layer: dV += dOᵀ · S, dc += Σ dO, over the scored rows in one product each.
  const rows = m2o ? B : T * B;
  const S = m2o ? f32p(H, T * Bd) : f32p(H, Bd);
  f32_gemm(dV, d, dO, 1, k, S, d, k, d, rows, scratch);   // A = dO stored rows×k, read transposed
  f32_colsum_acc(dc, dO, rows, k);

  // ∂L/∂s for the state after the last step: V-projection of dO for many-to-one, else 0.
  f32_fill(dnext, 0, Bd);
  if (m2o) f32_gemm_packed(dnext, d, dO, k, 1, m.Vp, B, d, k, scratch);

  // dS = dO · V for every step at once, into Z (each Z_t is then turned into dz_t in place),
  // when the batch is dense enough; otherwise per step inside the loop.
  const dSall = !m2o && one_product(lengths, T, B);
  if (dSall) {
    f32_fill(Z, 0, T * Bd);
    f32_gemm_packed(Z, d, dO, k, 1, m.Vp, T * B, d, k, scratch);
  }

  // Through time, t = T−1 … 0, over the rows running at t. A finished row's dnext is left
  // alone: its state was carried, so its gradient is too.
  let bt = 0;
  for (let t = T - 1; t >= 0; t--) {
    while (bt < B && load<i32>(lengths + (<usize>bt << 2)) > t) bt++;
    const dz = f32p(Z, t * Bd);
    if (dSall) f32_add_acc(dnext, dz, bt * d);                                             // + dS_t
    else if (!m2o) f32_gemm_packed(dnext, d, f32p(dO, t * B * k), k, 1, m.Vp, bt, d, k, scratch);   // + dO_t · V
    store<f32>(f32p(m.gnorm, t), <f32>Math.sqrt(f32_sumsq_f64(dnext, bt * d)));  // ‖∂L/∂s_t‖
    activate_backward(m.act, dz, dnext, f32p(H, (t + 1) * Bd), bt * d);    // dz = dh ⊙ f1'
    f32_fill(f32p(dz, bt * d), 0, (B - bt) * d);
    f32_fill(dnext, 0, bt * d);
    f32_gemm_packed(dnext, d, dz, d, 1, m.Wp, bt, d, d, scratch);          // dnext = dz · W
  }

  // Parameter gradients over all steps at once (dz is zero on padded rows).
  f32_gemm(dW, d, Z, 1, d, H, d, d, d, T * B, scratch);   // dW += Σ_t dz_tᵀ · s_{t−1}
  f32_colsum_acc(db, Z, T * B, d);                      // db += Σ dz
  if (m.input == INPUT_DENSE) {
    f32_gemm(dU, n, Z, 1, d, m.X, n, d, n, T * B, scratch);   // dU += dZᵀ · X
  } else {
    // Scatter-add dz into column `id` of dU.
    for (let r = 0; r < T * B; r++) {
      const id = load<i32>(m.X + (<usize>r << 2));
      const pz = f32p(Z, r * d);
      for (let j = 0; j < d; j++) {
        const p = f32p(dU, j * n + id);
        store<f32>(p, load<f32>(p) + load<f32>(pz + (<usize>j << 2)));
      }
    }
  }
}
