// Losses from logits, forward and backward fused per row (llm.c's fused softmax + xent).
//
//   rows   scored rows of O (each one time step of one sequence)
//   k      outputs per row
//   O      logits (rows×k)           dO     gradient rows×k (overwritten)
//   scale  multiplies every gradient (1/B: the loss is the batch mean of per-sequence sums)
//   weights  0 (every row weighs 1), or rows f32 ω_r ≥ 0: a row's weight (sample weight ×
//          class weight, 0 for an ignored target)
//
// Each *_forward_backward returns the f64 sum Σ_r ω_r·loss_r (unscaled) and overwrites dO
// with (scale·ω_r)·∂loss_r/∂O. A row with ω_r = 0 is not computed: its loss term and its
// gradient row are 0 (its target is never read, so an ignored class id may be anything).
// With ω_r = 1 every operation is the unweighted one (x·1 = x exactly, in f32 and f64), so
// the default is bit for bit what it was before weights existed. Each *_probs turns logits
// into the model's outputs ŷ.

import { hmax4, f32_fill } from "./simd";
import { f32x4_exp, f32_exp, f32x4_sigmoid } from "./activation";

// ── softmax cross-entropy ──────────────────────────────────────────────────────────────
// loss = logsumexp(o) − o[y] with logsumexp(o) = m + log Σ e^{o_j − m}, m = max o (stable).
// ∂loss/∂o = softmax(o) − onehot(y).

/** The weight ω_r of row r: 1 without a weights tensor. */
// @ts-ignore: decorator
@inline function row_weight(weights: usize, r: i32): f32 {
  return weights ? load<f32>(weights + (<usize>r << 2)) : 1;
}

/** Loss and gradient of softmax cross-entropy; targets are i32 class ids (rows). */
export function softmax_xent_forward_backward(dO: usize, O: usize, targets: usize, rows: i32, k: i32, scale: f32, weights: usize = 0): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const po = O + (<usize>(r * k) << 2);
    const pd = dO + (<usize>(r * k) << 2);
    const w = row_weight(weights, r);
    if (w == 0) { f32_fill(pd, 0, k); continue; }
    const rs: f32 = scale * w;
    const y = load<i32>(targets + (<usize>r << 2));
    const sum = softmax_row(pd, po, k);
    const lse = <f64>row_max(po, k) + Math.log(<f64>sum);
    total += <f64>w * (lse - <f64>load<f32>(po + (<usize>y << 2)));
    // pd holds e^{o−m}; turn it into (scale·ω)·(softmax − onehot).
    const vs = f32x4.splat(rs / sum);
    let j = 0;
    for (; j + 4 <= k; j += 4) {
      const p = pd + (<usize>j << 2);
      v128.store(p, f32x4.mul(v128.load(p), vs));
    }
    for (; j < k; j++) {
      const p = pd + (<usize>j << 2);
      store<f32>(p, load<f32>(p) * (rs / sum));
    }
    const py = pd + (<usize>y << 2);
    store<f32>(py, load<f32>(py) - rs);
  }
  return total;
}

/** P (rows×k) = softmax(O) row by row; may run in place. */
export function softmax_probs(P: usize, O: usize, rows: i32, k: i32): void {
  for (let r = 0; r < rows; r++) {
    const pp = P + (<usize>(r * k) << 2);
    const sum = softmax_row(pp, O + (<usize>(r * k) << 2), k);
    const vinv = f32x4.splat(1.0 / sum);
    let j = 0;
    for (; j + 4 <= k; j += 4) {
      const p = pp + (<usize>j << 2);
      v128.store(p, f32x4.mul(v128.load(p), vinv));
    }
    for (; j < k; j++) {
      const p = pp + (<usize>j << 2);
      store<f32>(p, load<f32>(p) * (1.0 / sum));
    }
  }
}

/** max of a row of k floats. */
function row_max(po: usize, k: i32): f32 {
  let m: f32 = -Infinity;
  let j = 0;
  if (k >= 4) {
    let vm = v128.load(po);
    for (j = 4; j + 4 <= k; j += 4) vm = f32x4.max(vm, v128.load(po + (<usize>j << 2)));
    m = hmax4(vm);
  }
  for (; j < k; j++) m = max(m, load<f32>(po + (<usize>j << 2)));
  return m;
}

/** e[j] = e^{o_j − max o} for one row; returns Σ e[j] (lanes summed in a fixed order). */
function softmax_row(pe: usize, po: usize, k: i32): f32 {
  const m = row_max(po, k);
  const vm = f32x4.splat(m);
  let vsum = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= k; j += 4) {
    const o = <usize>j << 2;
    const ve = f32x4_exp(f32x4.sub(v128.load(po + o), vm));
    v128.store(pe + o, ve);
    vsum = f32x4.add(vsum, ve);
  }
  let sum = f32x4.extract_lane(vsum, 0) + f32x4.extract_lane(vsum, 1) +
    f32x4.extract_lane(vsum, 2) + f32x4.extract_lane(vsum, 3);
  for (; j < k; j++) {
    const o = <usize>j << 2;
    const e = f32_exp(load<f32>(po + o) - m);
    store<f32>(pe + o, e);
    sum += e;
  }
  return sum;
}

/** Scalar reference for softmax cross-entropy, in f64: the definition. */
export function softmax_xent_forward_backward_ref(dO: usize, O: usize, targets: usize, rows: i32, k: i32, scale: f32, weights: usize = 0): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const po = O + (<usize>(r * k) << 2);
    const pd = dO + (<usize>(r * k) << 2);
    const w = <f64>row_weight(weights, r);
    if (w == 0) { for (let j = 0; j < k; j++) store<f32>(pd + (<usize>j << 2), 0); continue; }
    const y = load<i32>(targets + (<usize>r << 2));
    let m: f64 = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, <f64>load<f32>(po + (<usize>j << 2)));
    let s: f64 = 0;
    for (let j = 0; j < k; j++) s += Math.exp(<f64>load<f32>(po + (<usize>j << 2)) - m);
    total += w * (m + Math.log(s) - <f64>load<f32>(po + (<usize>y << 2)));
    for (let j = 0; j < k; j++) {
      const p = Math.exp(<f64>load<f32>(po + (<usize>j << 2)) - m) / s;
      store<f32>(pd + (<usize>j << 2), <f32>(<f64>scale * w * (p - (j == y ? 1.0 : 0.0))));
    }
  }
  return total;
}

// ── sigmoid binary cross-entropy ───────────────────────────────────────────────────────
// loss_j = −[y log σ(o) + (1 − y) log(1 − σ(o))] = max(o, 0) − o·y + log(1 + e^{−|o|})
// (the log-sigmoid form, stable for any o); ∂loss_j/∂o = σ(o) − y.

/** Loss and gradient of sigmoid binary cross-entropy; targets are f32 0/1 (rows×k). */
export function sigmoid_bce_forward_backward(dO: usize, O: usize, targets: usize, rows: i32, k: i32, scale: f32, weights: usize = 0): f64 {
  let total: f64 = 0;
  const n = rows * k;
  if (weights) {
    for (let r = 0; r < rows; r++) {
      const w = load<f32>(weights + (<usize>r << 2));
      const pd = dO + (<usize>(r * k) << 2);
      if (w == 0) { f32_fill(pd, 0, k); continue; }
      const po = O + (<usize>(r * k) << 2), pt = targets + (<usize>(r * k) << 2);
      let row: f64 = 0;
      for (let j = 0; j < k; j++) {
        const o = <usize>j << 2;
        const x = load<f32>(po + o);
        row += <f64>(max<f32>(x, 0) - x * load<f32>(pt + o)) + Math.log1p(Math.exp(-Math.abs(<f64>x)));
      }
      total += <f64>w * row;
      bce_grad(pd, po, pt, k, scale * w);
    }
    return total;
  }
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(O + o);
    const y = load<f32>(targets + o);
    total += <f64>(max<f32>(x, 0) - x * y) + Math.log1p(Math.exp(-Math.abs(<f64>x)));
  }
  bce_grad(dO, O, targets, n, scale);
  return total;
}

/** dO[0..n) = (σ(O) − y)·scale. */
function bce_grad(dO: usize, O: usize, targets: usize, n: i32, scale: f32): void {
  const vs = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dO + o, f32x4.mul(f32x4.sub(f32x4_sigmoid(v128.load(O + o)), v128.load(targets + o)), vs));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const s = f32x4.extract_lane(f32x4_sigmoid(f32x4.splat(load<f32>(O + o))), 0);
    store<f32>(dO + o, (s - load<f32>(targets + o)) * scale);
  }
}

/** P = σ(O) elementwise; may run in place. */
export function sigmoid_probs(P: usize, O: usize, rows: i32, k: i32): void {
  const n = rows * k;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(P + o, f32x4_sigmoid(v128.load(O + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(P + o, f32x4.extract_lane(f32x4_sigmoid(f32x4.splat(load<f32>(O + o))), 0));
  }
}

// ── mean squared error ─────────────────────────────────────────────────────────────────
// loss = (1/k) Σ_j (o_j − y_j)², ∂loss/∂o_j = (2/k)(o_j − y_j). The output is o itself.

/** Loss and gradient of MSE; targets are f32 (rows×k). */
export function mse_forward_backward(dO: usize, O: usize, targets: usize, rows: i32, k: i32, scale: f32, weights: usize = 0): f64 {
  let total: f64 = 0;
  if (weights) {
    for (let r = 0; r < rows; r++) {
      const w = load<f32>(weights + (<usize>r << 2));
      const base = <usize>(r * k) << 2;
      if (w == 0) { f32_fill(dO + base, 0, k); continue; }
      const g: f32 = (scale * w) * 2.0 / <f32>k;
      let row: f64 = 0;
      for (let j = 0; j < k; j++) {
        const o = base + (<usize>j << 2);
        const e = load<f32>(O + o) - load<f32>(targets + o);
        row += <f64>e * <f64>e;
        store<f32>(dO + o, e * g);
      }
      total += <f64>w * row;
    }
    return total / <f64>k;
  }
  const n = rows * k;
  const g: f32 = scale * 2.0 / <f32>k;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const e = load<f32>(O + o) - load<f32>(targets + o);
    total += <f64>e * <f64>e;
    store<f32>(dO + o, e * g);
  }
  return total / <f64>k;
}
