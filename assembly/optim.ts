// Parameter updates and gradient clipping: flat loops over the parameter block.
//
// params, grads, m and v share one layout (assembly/layout.ts), so each update is a
// single SIMD loop over n floats with no per-tensor bookkeeping (llm.c's AdamW loop).
// Padding lanes have zero gradients, so they stay zero in params, m and v. Weight decay
// that spares some tensors (the biases) is the same loop run over each tensor's range of
// the layout with its own λ (model_train_step in index.ts): still one pass over the block.
//
// Each update has one formula and two passes over it, sharing the code: the update itself
// (writes), and the dry pass (`*_finite`), which computes every value the update would
// write, writes nothing, and says whether all of them are finite, so that model_train_step
// can refuse an update that would make a parameter or moment non-finite before applying
// it. The pass is chosen by a constant `dry` argument of an @inline body, so each export is
// compiled with its own branch only (check dist/rnn.wat: both stay f32x4 loops).

import { f32_scale, f32_sumsq_f64, hsum4 } from "./simd";

// Optimizer codes of model_train_step (src/wasm.ts mirrors them).
export const OPT_SGD = 0;
export const OPT_ADAM = 1;    // weight decay as L2 (torch.optim.Adam's weight_decay)
export const OPT_ADAMW = 2;   // decoupled weight decay (torch.optim.AdamW)

// Weight decay λ, three forms. A constant argument of the @inline bodies, like `dry`, so each
// export compiles one loop per form and DECAY_NONE is exactly the update without decay (the
// default stays bit-identical: no 0·p term, which would turn −0 gradients into +0 and an
// infinite p, under allowNonFinite, into NaN).
const DECAY_NONE = 0;
const DECAY_L2 = 1;          // g ← g + λ·p before everything else (SGD, Adam)
const DECAY_DECOUPLED = 2;   // p ← p·(1 − lr·λ) before the step (AdamW)

/**
 * Adam's step count after one more step: t + 1, saturating at i32.MAX_VALUE so that it can
 * never wrap (a wrapped t makes β^t infinite and every parameter NaN). Nothing changes
 * there: 1 − β^t is exactly 1 in f64 for t ≥ 2^31 − 1 and every f32 β < 1
 * (β ≤ 1 − 2^−24 gives β^t ≤ e^−128 < 2^−53).
 */
export function next_step(t: i32): i32 {
  return t < i32.MAX_VALUE ? t + 1 : t;
}

// The dry pass accumulates x − x for every value x it computes: +0 when x is finite, NaN
// for ±Infinity and NaN, and NaN stays NaN through the sums. A decayed gradient g + λ·p is
// not stored, but every stored value depends on it, so an overflow there is caught too.
// @ts-ignore: decorator
@inline function all_finite(vacc: v128, acc: f32): bool {
  return hsum4(vacc) + acc == 0;
}

// @ts-ignore: decorator
@inline function sgd_pass(params: usize, grads: usize, buf: usize, n: i32, lr: f32, momentum: f32, wd: f32, decay: i32, dry: bool): bool {
  const vlr = f32x4.splat(lr);
  const vmu = f32x4.splat(momentum);
  const vwd = f32x4.splat(wd);
  let vacc = f32x4.splat(0);
  let acc: f32 = 0;
  let i = 0;
  if (momentum == 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const vp0 = v128.load(params + o);
      let vg = v128.load(grads + o);
      if (decay == DECAY_L2) vg = f32x4.add(vg, f32x4.mul(vwd, vp0));
      const vp = f32x4.sub(vp0, f32x4.mul(vlr, vg));
      if (dry) vacc = f32x4.add(vacc, f32x4.sub(vp, vp));
      else v128.store(params + o, vp);
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const p0 = load<f32>(params + o);
      let g = load<f32>(grads + o);
      if (decay == DECAY_L2) g = g + wd * p0;
      const p = p0 - lr * g;
      if (dry) acc += p - p;
      else store<f32>(params + o, p);
    }
    return all_finite(vacc, acc);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const vp0 = v128.load(params + o);
    let vg = v128.load(grads + o);
    if (decay == DECAY_L2) vg = f32x4.add(vg, f32x4.mul(vwd, vp0));
    const vb = f32x4.add(f32x4.mul(vmu, v128.load(buf + o)), vg);
    const vp = f32x4.sub(vp0, f32x4.mul(vlr, vb));
    if (dry) {
      vacc = f32x4.add(vacc, f32x4.add(f32x4.sub(vb, vb), f32x4.sub(vp, vp)));
    } else {
      v128.store(buf + o, vb);
      v128.store(params + o, vp);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p0 = load<f32>(params + o);
    let g = load<f32>(grads + o);
    if (decay == DECAY_L2) g = g + wd * p0;
    const b = momentum * load<f32>(buf + o) + g;
    const p = p0 - lr * b;
    if (dry) {
      acc += (b - b) + (p - p);
    } else {
      store<f32>(buf + o, b);
      store<f32>(params + o, p);
    }
  }
  return all_finite(vacc, acc);
}

/**
 * SGD with optional momentum and L2 weight decay, PyTorch torch.optim.SGD (dampening 0, no
 * Nesterov; https://pytorch.org/docs/stable/generated/torch.optim.SGD.html):
 *   wd > 0:        g ← g + λ·p                    (weight_decay, before the buffer)
 *   momentum = 0:  p ← p − lr·g
 *   momentum > 0:  buf ← μ·buf + g;  p ← p − lr·buf
 * PyTorch starts buf as a copy of g; buf starts at 0 here, and μ·0 + g = g exactly.
 * Overwrites params and buf.
 */
export function sgd_update(params: usize, grads: usize, buf: usize, n: i32, lr: f32, momentum: f32, wd: f32 = 0): void {
  if (wd == 0) sgd_pass(params, grads, buf, n, lr, momentum, 0, DECAY_NONE, false);
  else sgd_pass(params, grads, buf, n, lr, momentum, wd, DECAY_L2, false);
}

/** The dry pass of sgd_update: true if every value it would write is finite. Writes nothing. */
export function sgd_update_finite(params: usize, grads: usize, buf: usize, n: i32, lr: f32, momentum: f32, wd: f32 = 0): bool {
  if (wd == 0) return sgd_pass(params, grads, buf, n, lr, momentum, 0, DECAY_NONE, true);
  return sgd_pass(params, grads, buf, n, lr, momentum, wd, DECAY_L2, true);
}

// @ts-ignore: decorator
@inline function adam_pass(
  params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, t: i32, wd: f32, decay: i32, dry: bool,
): bool {
  const bc1 = 1.0 - Math.pow(<f64>beta1, <f64>t);
  const bc2 = 1.0 - Math.pow(<f64>beta2, <f64>t);
  const stepSize = <f32>(<f64>lr / bc1);
  const bc2sqrt = <f32>Math.sqrt(bc2);
  // AdamW's factor 1 − lr·λ, in f64 and rounded once, as PyTorch's param.mul_(1 − lr·λ)
  // hands its Python float to an f32 multiply.
  const keep = <f32>(1.0 - <f64>lr * <f64>wd);
  const vb1 = f32x4.splat(beta1), v1mb1 = f32x4.splat(1.0 - beta1);
  const vb2 = f32x4.splat(beta2), v1mb2 = f32x4.splat(1.0 - beta2);
  const vstep = f32x4.splat(stepSize), vbc2 = f32x4.splat(bc2sqrt), veps = f32x4.splat(eps);
  const vwd = f32x4.splat(wd), vkeep = f32x4.splat(keep);
  let vacc = f32x4.splat(0);
  let acc: f32 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let vp0 = v128.load(params + o);
    let vg = v128.load(grads + o);
    if (decay == DECAY_L2) vg = f32x4.add(vg, f32x4.mul(vwd, vp0));
    if (decay == DECAY_DECOUPLED) vp0 = f32x4.mul(vp0, vkeep);
    const vm = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(v1mb1, vg));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(v1mb2, f32x4.mul(vg, vg)));
    const vdenom = f32x4.add(f32x4.div(f32x4.sqrt(vv), vbc2), veps);
    const vp = f32x4.sub(vp0, f32x4.mul(vstep, f32x4.div(vm, vdenom)));
    if (dry) {
      vacc = f32x4.add(vacc, f32x4.add(f32x4.add(f32x4.sub(vm, vm), f32x4.sub(vv, vv)), f32x4.sub(vp, vp)));
    } else {
      v128.store(m + o, vm);
      v128.store(v + o, vv);
      v128.store(params + o, vp);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let p0 = load<f32>(params + o);
    let g = load<f32>(grads + o);
    if (decay == DECAY_L2) g = g + wd * p0;
    if (decay == DECAY_DECOUPLED) p0 = p0 * keep;
    const mm = beta1 * load<f32>(m + o) + (1.0 - beta1) * g;
    const vv = beta2 * load<f32>(v + o) + (1.0 - beta2) * (g * g);
    const denom = Mathf.sqrt(vv) / bc2sqrt + eps;
    const p = p0 - stepSize * (mm / denom);
    if (dry) {
      acc += ((mm - mm) + (vv - vv)) + (p - p);
    } else {
      store<f32>(m + o, mm);
      store<f32>(v + o, vv);
      store<f32>(params + o, p);
    }
  }
  return all_finite(vacc, acc);
}

/**
 * Adam, torch.optim.Adam's documented algorithm (no amsgrad), step t ≥ 1, and with
 * `decoupled` torch.optim.AdamW's (https://pytorch.org/docs/stable/generated/torch.optim.Adam.html,
 * …/torch.optim.AdamW.html):
 *   wd > 0, Adam:   g ← g + λ·p                    (L2: weight_decay before the moments)
 *   wd > 0, AdamW:  p ← p·(1 − lr·λ)               (decoupled, Loshchilov & Hutter 2019)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * The bias corrections are computed in f64 (as PyTorch does in Python) and rounded once.
 * Overwrites params, m and v.
 */
export function adam_update(
  params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, t: i32, wd: f32 = 0, decoupled: bool = false,
): void {
  if (wd == 0) adam_pass(params, grads, m, v, n, lr, beta1, beta2, eps, t, 0, DECAY_NONE, false);
  else if (decoupled) adam_pass(params, grads, m, v, n, lr, beta1, beta2, eps, t, wd, DECAY_DECOUPLED, false);
  else adam_pass(params, grads, m, v, n, lr, beta1, beta2, eps, t, wd, DECAY_L2, false);
}

/** The dry pass of adam_update: true if every value it would write is finite. Writes nothing. */
export function adam_update_finite(
  params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, t: i32, wd: f32 = 0, decoupled: bool = false,
): bool {
  if (wd == 0) return adam_pass(params, grads, m, v, n, lr, beta1, beta2, eps, t, 0, DECAY_NONE, true);
  if (decoupled) return adam_pass(params, grads, m, v, n, lr, beta1, beta2, eps, t, wd, DECAY_DECOUPLED, true);
  return adam_pass(params, grads, m, v, n, lr, beta1, beta2, eps, t, wd, DECAY_L2, true);
}

/**
 * The global L2 norm of the gradients, torch.nn.utils.clip_grad_norm_'s total_norm:
 * ‖g‖₂ over all parameters, the sum of squares accumulated in f64.
 */
export function grad_norm(grads: usize, n: i32): f64 {
  return Math.sqrt(f32_sumsq_f64(grads, n));
}

/**
 * Global-norm clipping, torch.nn.utils.clip_grad_norm_ semantics, given norm = grad_norm(grads, n):
 *   coef = maxNorm / (norm + 1e−6);  if coef < 1: g ← g·coef
 */
export function clip_grad_norm(grads: usize, n: i32, maxNorm: f32, norm: f64): void {
  const coef = <f32>(<f64>maxNorm / (norm + 1e-6));
  if (coef < 1) f32_scale(grads, coef, n);
}
