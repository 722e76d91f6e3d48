// The Elman RNN over a padded batch: rnn_forward, the loss, rnn_backward (BPTT), side by side.
//
//   n input size   d hidden   k outputs   T steps   B sequences   (row r = t·B + i, time-major)
//   L layers, D directions (cell s = ℓ·D + r), e embedding size, m_ℓ a layer's input size
//
//   forward cell    z_t = U x_t + W s_{t−1} + b    s_t = f1(z_t)    t = 0 .. len_i − 1
//   reverse cell    z_t = U x_t + W s_{t+1} + b    s_t = f1(z_t)    t = len_i − 1 .. 0
//   layer output    y_t = [s→_t ; s←_t] (⊙ dropout mask between layers, training only)
//   head            o_t = V y_t + c (top layer), ŷ_t = f2(o_t); many-to-one: y = [s→_{len−1} ; s←_0]
//
// The wrapper writes sequences sorted by length, longest first, so at step t the sequences
// still running are rows 0..b_t−1 (b_t = #{i : len_i > t}): the recurrence touches only
// those rows, as packed sequences do. A finished row carries its state unchanged: the
// forward cell's H[T] holds every sequence's state at its true length, and the reverse
// cell, carrying its h0 down through the padding, starts each sequence at its own last real
// step. No work or gradient ever comes from a padded step.
//
// Only the recurrences are sequential; each cell's input projection, the output layer and
// the parameter gradients are single products over all T·B rows (DESIGN §4). The cell
// (cell_forward, cell_backward, cell_grads) is kept apart from the layer and direction
// plumbing (the rest), so another cell would be an addition.

import {
  Model, Cell, cell, layer, INPUT_DENSE, TASK_MANY_TO_ONE, ACT_TANH, ACT_SIGMOID, LOSS_SOFTMAX_XENT, LOSS_SIGMOID_BCE,
} from "./layout";
import { f32_gemm, f32_gemm_packed, f32_pack_b, f32_pack_bt } from "./gemm";
import { f32_fill, f32_copy, f32_colsum_acc, f32_rows_set, f32_sumsq_f64, f32_add_acc, f32_mul_acc } from "./simd";
import {
  f32_vtanh, f32_vtanh_backward, f32_vsigmoid, f32_vsigmoid_backward, f32_vrelu, f32_vrelu_backward,
} from "./activation";
import {
  softmax_xent_forward_backward, softmax_probs, sigmoid_bce_forward_backward, sigmoid_probs, mse_forward_backward,
} from "./loss";
import { pcg32_uniform } from "./rng";

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
 * (One direction only: a bidirectional head is always one product.)
 */
function one_product(lengths: usize, T: i32, B: i32): bool {
  let total: i64 = 0;
  for (let i = 0; i < B; i++) total += load<i32>(lengths + (<usize>i << 2));
  return total * 4 >= <i64>T * <i64>B * 3;
}

/**
 * Pack the weights as f32_gemm_packed wants them (per cell Uᵀ, Wᵀ, W, U; then Vᵀ, V),
 * unless they already match the parameters (m.packed; cleared by every parameter write).
 */
export function rnn_pack_weights(m: Model): void {
  if (m.packed) return;
  const d = m.d, k = m.k, Dd = m.D * d;
  for (let s = 0; s < m.L * m.D; s++) {
    const c = cell(m, s), mm = c.m;
    const U = f32p(m.params, c.offU), W = f32p(m.params, c.offW);
    if (c.UTp) f32_pack_bt(c.UTp, U, mm, mm, d);   // Uᵀ: K = m, N = d
    f32_pack_bt(c.WTp, W, d, d, d);                // Wᵀ: K = d, N = d
    f32_pack_b(c.Wp, W, d, d, d);                  // W:  K = d, N = d
    if (c.Up) f32_pack_b(c.Up, U, mm, d, mm);      // U:  K = d, N = m
  }
  const V = f32p(m.params, m.offV);
  f32_pack_bt(m.VTp, V, Dd, Dd, k);                // Vᵀ: K = D·d, N = k
  f32_pack_b(m.Vp, V, Dd, k, Dd);                  // V:  K = k, N = D·d
  m.packed = 1;
}

// ── the cell ───────────────────────────────────────────────────────────────────────────

/**
 * One cell over the batch: Z = b + U x_t for every step at once (a column gather for ids,
 * else one product with the layer's input), then the recurrence over the running rows.
 * Expects the cell's h0 in place (H[0] forward, H[T] reverse).
 */
function cell_forward(m: Model, c: Cell, input: usize, T: i32, B: i32): void {
  const d = m.d, mm = c.m, Bd = B * d;
  const H = c.H, Z = c.Z, lengths = m.lengths, scratch = m.scratch;
  f32_rows_set(Z, f32p(m.params, c.offb), T * B, d);
  if (input) {
    f32_gemm_packed(Z, d, input, mm, 1, c.UTp, T * B, d, mm, scratch);   // Z (TB,d) += input (TB,m) · Uᵀ
  } else {
    // x_t one-hot (multi-hot for a bag): U x_t is column `id` of U (stride n), summed over the bag.
    const U = f32p(m.params, c.offU), X = m.X, F = m.F;
    for (let r = 0; r < T * B; r++) {
      const pz = f32p(Z, r * d);
      for (let f = 0; f < F; f++) {
        const id = load<i32>(X + (<usize>(r * F + f) << 2));
        if (id < 0) break;
        for (let j = 0; j < d; j++) {
          const p = pz + (<usize>j << 2);
          store<f32>(p, load<f32>(p) + load<f32>(f32p(U, j * mm + id)));
        }
      }
    }
  }
  // The recurrence: s_t = f1(Z_t + s_prev · Wᵀ); finished rows carry their state.
  if (!c.rev) {
    for (let t = 0; t < T; t++) {
      const bt = running(lengths, B, t);
      step_forward(m, c, f32p(H, (t + 1) * Bd), f32p(H, t * Bd), f32p(Z, t * Bd), bt, B);
    }
  } else {
    for (let t = T - 1; t >= 0; t--) {
      const bt = running(lengths, B, t);
      step_forward(m, c, f32p(H, t * Bd), f32p(H, (t + 1) * Bd), f32p(Z, t * Bd), bt, B);
    }
  }
}

// @ts-ignore: decorator
@inline function step_forward(m: Model, c: Cell, hc: usize, hp: usize, zt: usize, bt: i32, B: i32): void {
  const d = m.d;
  f32_copy(hc, zt, bt * d);
  f32_gemm_packed(hc, d, hp, d, 1, c.WTp, bt, d, d, m.scratch);
  activate(m.act, hc, bt * d);
  f32_copy(f32p(hc, bt * d), f32p(hp, bt * d), (B - bt) * d);   // finished rows: carried
}

/**
 * BPTT through one cell. On entry Z holds ∂L/∂s_t from above for every step (when
 * `incoming`) and dnext the gradient entering at the cell's last state; per-step (forward
 * cell of a sparse many-to-many head only) adds dO_t·V at each step instead. Overwrites Z
 * with dz and leaves ∂L/∂h0 in dnext; adds ‖∂L/∂s_t‖² into gnorm2[t].
 */
function cell_backward(m: Model, c: Cell, T: i32, B: i32, incoming: bool, perStep: bool): void {
  const d = m.d, k = m.k, Bd = B * d;
  const H = c.H, Z = c.Z, dnext = c.dnext, lengths = m.lengths;
  if (!c.rev) {
    // t = T−1 … 0; a finished row's dnext is left alone: its state was carried, so its gradient is too.
    let bt = 0;
    for (let t = T - 1; t >= 0; t--) {
      while (bt < B && load<i32>(lengths + (<usize>bt << 2)) > t) bt++;
      const dz = f32p(Z, t * Bd);
      if (incoming) f32_add_acc(dnext, dz, bt * d);                                                 // + dS_t
      else if (perStep) f32_gemm_packed(dnext, d, f32p(m.dO, t * B * k), k, 1, m.Vp, bt, d, k, m.scratch);   // + dO_t · V
      step_backward(m, c, dz, f32p(H, (t + 1) * Bd), t, bt, B);
    }
  } else {
    // t = 0 … T−1 (the reverse cell's steps backwards).
    for (let t = 0; t < T; t++) {
      const bt = running(lengths, B, t);
      const dz = f32p(Z, t * Bd);
      if (incoming) f32_add_acc(dnext, dz, bt * d);
      step_backward(m, c, dz, f32p(H, t * Bd), t, bt, B);
    }
  }
}

// @ts-ignore: decorator
@inline function step_backward(m: Model, c: Cell, dz: usize, h: usize, t: i32, bt: i32, B: i32): void {
  const d = m.d, dnext = c.dnext;
  const g = f32p(m.gnorm2, 2 * t);
  store<f64>(g, load<f64>(g) + f32_sumsq_f64(dnext, bt * d));   // ‖∂L/∂s_t‖²
  activate_backward(m.act, dz, dnext, h, bt * d);               // dz = dh ⊙ f1'
  f32_fill(f32p(dz, bt * d), 0, (B - bt) * d);
  f32_fill(dnext, 0, bt * d);
  f32_gemm_packed(dnext, d, dz, d, 1, c.Wp, bt, d, d, m.scratch);   // dnext = dz · W
}

/** A cell's parameter gradients over all steps at once (dz is zero on padded rows). */
function cell_grads(m: Model, c: Cell, input: usize, T: i32, B: i32): void {
  const d = m.d, mm = c.m, Bd = B * d, scratch = m.scratch, Z = c.Z;
  const dU = f32p(m.grads, c.offU), dW = f32p(m.grads, c.offW), db = f32p(m.grads, c.offb);
  const prev = c.rev ? f32p(c.H, Bd) : c.H;                       // s_{t−1} forward, s_{t+1} reverse
  f32_gemm(dW, d, Z, 1, d, prev, d, d, d, T * B, scratch);        // dW += Σ_t dz_tᵀ · s_prev
  f32_colsum_acc(db, Z, T * B, d);                                // db += Σ dz
  if (input) {
    f32_gemm(dU, mm, Z, 1, d, input, mm, d, mm, T * B, scratch);  // dU += dZᵀ · input
  } else {
    // Scatter-add dz into column `id` of dU, for each id of the step.
    const F = m.F;
    for (let r = 0; r < T * B; r++) {
      const pz = f32p(Z, r * d);
      for (let f = 0; f < F; f++) {
        const id = load<i32>(m.X + (<usize>(r * F + f) << 2));
        if (id < 0) break;
        for (let j = 0; j < d; j++) {
          const p = f32p(dU, j * mm + id);
          store<f32>(p, load<f32>(p) + load<f32>(pz + (<usize>j << 2)));
        }
      }
    }
  }
}

// ── layers and directions ──────────────────────────────────────────────────────────────

/** out rows (Dd wide) ← the cells' rows: forward from F, reverse from R (row stride d). */
function interleave(out: usize, F: usize, R: usize, rows: i32, d: i32, D: i32): void {
  const Dd = D * d;
  for (let r = 0; r < rows; r++) {
    f32_copy(f32p(out, r * Dd), f32p(F, r * d), d);
    if (D == 2) f32_copy(f32p(out, r * Dd + d), f32p(R, r * d), d);
  }
}

/** The inverse: the cells' rows ← out's halves. */
function split(F: usize, R: usize, out: usize, rows: i32, d: i32, D: i32): void {
  const Dd = D * d;
  for (let r = 0; r < rows; r++) {
    f32_copy(f32p(F, r * d), f32p(out, r * Dd), d);
    if (D == 2) f32_copy(f32p(R, r * d), f32p(out, r * Dd + d), d);
  }
}

/**
 * Forward pass. Reads X, lengths, the initial states (h0, if hasH0; otherwise zeros) and
 * the parameters; writes every cell's Z and H, every layer's out, the logits O and the
 * final states hN. With `train`, draws the dropout masks from the model's generator first.
 */
export function rnn_forward(m: Model, T: i32, B: i32, hasH0: bool, train: bool): void {
  const d = m.d, k = m.k, D = m.D, L = m.L, Dd = D * d, Bd = B * d, cells = L * D, S = cells * d;
  const c0 = m.params + (<usize>m.offc << 2);
  const scratch = m.scratch, lengths = m.lengths;
  rnn_pack_weights(m);

  // Initial states: H[0] forward, H[T] reverse (one cell: h0 is H[0] itself).
  for (let s = 0; s < cells; s++) {
    const c = cell(m, s);
    const at = c.rev ? f32p(c.H, T * Bd) : c.H;
    if (!hasH0) f32_fill(at, 0, Bd);
    else if (cells > 1) for (let i = 0; i < B; i++) f32_copy(f32p(at, i * d), f32p(m.h0, i * S + s * d), d);
  }
  // The embedding: Xe row r = E[id_r] (a bag: the sum of its ids' rows, in order).
  if (m.e) {
    const e = m.e, E = f32p(m.params, m.offE), F = m.F;
    for (let r = 0; r < T * B; r++) {
      const x = f32p(m.Xe, r * e), ids = m.X + (<usize>(r * F) << 2);
      f32_copy(x, f32p(E, load<i32>(ids) * e), e);
      for (let f = 1; f < F; f++) {
        const id = load<i32>(ids + (<usize>f << 2));
        if (id < 0) break;
        f32_add_acc(x, f32p(E, id * e), e);
      }
    }
  }
  // Dropout masks, in the order boundary ℓ, row r, feature j: keep iff u ≥ p, kept = 1/(1−p).
  if (train && m.dropout > 0) {
    const p = m.dropout, keep: f32 = <f32>1 / (<f32>1 - p), rng = changetype<usize>(m) + offsetof<Model>("rng");
    for (let l = 0; l < L - 1; l++) {
      const mask = layer(m, l).mask;
      for (let j = 0; j < T * B * Dd; j++) store<f32>(f32p(mask, j), pcg32_uniform(rng) >= p ? keep : 0);
    }
  }

  for (let l = 0; l < L; l++) {
    const ly = layer(m, l);
    for (let r = 0; r < D; r++) cell_forward(m, cell(m, l * D + r), ly.input, T, B);
    if (!ly.owned) continue;
    const F = cell(m, l * D), R = D == 2 ? cell(m, l * D + 1) : F;
    if (l == L - 1 && m.task == TASK_MANY_TO_ONE) {
      interleave(ly.out, f32p(F.H, T * Bd), R.H, B, d, D);             // [s→_{len−1} ; s←_0]
    } else {
      interleave(ly.out, f32p(F.H, Bd), R.H, T * B, d, D);             // [s→_t ; s←_t]
      if (train && ly.mask) f32_mul_acc(ly.out, ly.mask, T * B * Dd);
    }
  }

  // Outputs: o = V y + c, for the scored rows only.
  const Y = layer(m, L - 1).out;
  if (m.task == TASK_MANY_TO_ONE) {
    f32_rows_set(m.O, c0, B, k);
    f32_gemm_packed(m.O, k, Y, Dd, 1, m.VTp, B, k, Dd, scratch);
  } else if (D == 2 || one_product(lengths, T, B)) {
    f32_rows_set(m.O, c0, T * B, k);
    f32_gemm_packed(m.O, k, Y, Dd, 1, m.VTp, T * B, k, Dd, scratch);
  } else {
    for (let t = 0; t < T; t++) {
      const bt = running(lengths, B, t);
      const ot = f32p(m.O, t * B * k);
      f32_rows_set(ot, c0, bt, k);
      f32_gemm_packed(ot, k, f32p(Y, t * Bd), d, 1, m.VTp, bt, k, d, scratch);
    }
  }

  // Final states, sequence-major: forward H[T], reverse H[0] (one cell: hN is H[T] itself).
  if (cells > 1) {
    for (let s = 0; s < cells; s++) {
      const c = cell(m, s);
      const from = c.rev ? c.H : f32p(c.H, T * Bd);
      for (let i = 0; i < B; i++) f32_copy(f32p(m.hN, i * S + s * d), f32p(from, i * d), d);
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
 * overwrites each cell's Z with dz, each owned layer output (and Xe) with its gradient,
 * dh0 with ∂L/∂h0, and gnorm[t] with ‖∂L/∂s_t‖₂ over every cell's rows running at t. Needs
 * the forward pass's states and masks, dO, the parameters and the packed weights; call
 * rnn_forward (with train) and rnn_loss first.
 */
export function rnn_backward(m: Model, T: i32, B: i32): void {
  const d = m.d, k = m.k, D = m.D, L = m.L, Dd = D * d, Bd = B * d, cells = L * D, S = cells * d;
  const scratch = m.scratch, lengths = m.lengths, dO = m.dO;
  const m2o = m.task == TASK_MANY_TO_ONE;
  const top = layer(m, L - 1), Ftop = cell(m, (L - 1) * D), Rtop = cell(m, (L - 1) * D + D - 1);

  // Output layer: dV += dOᵀ · Y, dc += Σ dO, over the scored rows in one product each.
  const rows = m2o ? B : T * B;
  f32_gemm(f32p(m.grads, m.offV), Dd, dO, 1, k, top.out, Dd, k, Dd, rows, scratch);   // A = dO stored rows×k, read transposed
  f32_colsum_acc(f32p(m.grads, m.offc), dO, rows, k);

  for (let s = 0; s < cells; s++) f32_fill(cell(m, s).dnext, 0, Bd);
  f32_fill(m.gnorm2, 0, 2 * T);

  // ∂L/∂Y = dO · V into the top cells: many-to-one, into the states it reads (dnext);
  // many-to-many, into Z, for every step at once when the batch is dense enough (one
  // direction: else per step inside the loop).
  let incoming = !m2o, perStep = false;
  if (D == 1) {
    if (m2o) f32_gemm_packed(Ftop.dnext, d, dO, k, 1, m.Vp, B, d, k, scratch);
    else if (one_product(lengths, T, B)) {
      f32_fill(Ftop.Z, 0, T * Bd);
      f32_gemm_packed(Ftop.Z, d, dO, k, 1, m.Vp, T * B, d, k, scratch);
    } else {
      incoming = false;
      perStep = true;
    }
  } else {
    f32_fill(top.out, 0, rows * Dd);   // Y has served dV: it takes ∂L/∂Y
    f32_gemm_packed(top.out, Dd, dO, k, 1, m.Vp, rows, Dd, k, scratch);
    if (m2o) split(Ftop.dnext, Rtop.dnext, top.out, B, d, D);
    else split(Ftop.Z, Rtop.Z, top.out, T * B, d, D);
  }

  for (let l = L - 1; l >= 0; l--) {
    const ly = layer(m, l);
    for (let r = 0; r < D; r++) cell_backward(m, cell(m, l * D + r), T, B, l < L - 1 || incoming, perStep && l == L - 1);
    for (let r = 0; r < D; r++) cell_grads(m, cell(m, l * D + r), ly.input, T, B);
    // ∂L/∂input = Σ_r dz_r · U_r, into what the layer read (which has served dU).
    if (l > 0) {
      const below = layer(m, l - 1), F = cell(m, (l - 1) * D), R = cell(m, (l - 1) * D + D - 1);
      const dIn = below.owned ? below.out : F.Z;   // one direction, no dropout: straight into Z
      f32_fill(dIn, 0, T * B * Dd);
      for (let r = 0; r < D; r++) {
        const c = cell(m, l * D + r);
        f32_gemm_packed(dIn, Dd, c.Z, d, 1, c.Up, T * B, Dd, d, scratch);
      }
      if (below.owned) {
        if (below.mask) f32_mul_acc(dIn, below.mask, T * B * Dd);
        split(F.Z, R.Z, dIn, T * B, d, D);
      }
    } else if (m.e) {
      const e = m.e, dE = f32p(m.grads, m.offE);
      f32_fill(m.Xe, 0, T * B * e);
      for (let r = 0; r < D; r++) {
        const c = cell(m, r);
        f32_gemm_packed(m.Xe, e, c.Z, d, 1, c.Up, T * B, e, d, scratch);
      }
      // Scatter-add each real step's row into E's row of each of its ids.
      const F = m.F;
      for (let t = 0; t < T; t++) {
        const bt = running(lengths, B, t);
        for (let i = 0; i < bt; i++) {
          const row = t * B + i;
          for (let f = 0; f < F; f++) {
            const id = load<i32>(m.X + (<usize>(row * F + f) << 2));
            if (id < 0) break;
            f32_add_acc(f32p(dE, id * e), f32p(m.Xe, row * e), e);
          }
        }
      }
    }
  }

  for (let t = 0; t < T; t++) store<f32>(f32p(m.gnorm, t), <f32>Math.sqrt(load<f64>(f32p(m.gnorm2, 2 * t))));
  if (cells > 1) {
    for (let s = 0; s < cells; s++) {
      const c = cell(m, s);
      for (let i = 0; i < B; i++) f32_copy(f32p(m.dh0, i * S + s * d), f32p(c.dnext, i * d), d);
    }
  }
}
