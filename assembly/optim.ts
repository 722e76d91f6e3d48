// Parameter updates and gradient clipping: flat loops over the parameter block.
//
// params, grads, m and v share one layout (assembly/layout.ts), so each update is a
// single SIMD loop over n floats with no per-tensor bookkeeping (llm.c's AdamW loop).
// Padding lanes have zero gradients, so they stay zero in params, m and v.

import { f32_scale, f32_sumsq_f64 } from "./simd";

// Optimizer codes of model_train_step (src/wasm.ts mirrors them).
export const OPT_SGD = 0;
export const OPT_ADAM = 1;

/**
 * SGD with optional momentum, PyTorch torch.optim.SGD (dampening 0, no Nesterov, no decay):
 *   momentum = 0:  p ← p − lr·g
 *   momentum > 0:  buf ← μ·buf + g;  p ← p − lr·buf
 * PyTorch starts buf as a copy of g; buf starts at 0 here, and μ·0 + g = g exactly.
 * Overwrites params and buf.
 */
export function sgd_update(params: usize, grads: usize, buf: usize, n: i32, lr: f32, momentum: f32): void {
  const vlr = f32x4.splat(lr);
  const vmu = f32x4.splat(momentum);
  let i = 0;
  if (momentum == 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(params + o, f32x4.sub(v128.load(params + o), f32x4.mul(vlr, v128.load(grads + o))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(params + o, load<f32>(params + o) - lr * load<f32>(grads + o));
    }
    return;
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const vb = f32x4.add(f32x4.mul(vmu, v128.load(buf + o)), v128.load(grads + o));
    v128.store(buf + o, vb);
    v128.store(params + o, f32x4.sub(v128.load(params + o), f32x4.mul(vlr, vb)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const b = momentum * load<f32>(buf + o) + load<f32>(grads + o);
    store<f32>(buf + o, b);
    store<f32>(params + o, load<f32>(params + o) - lr * b);
  }
}

/**
 * Adam, torch.optim.Adam's documented algorithm (no weight decay, no amsgrad), step t ≥ 1:
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * The bias corrections are computed in f64 (as PyTorch does in Python) and rounded once.
 * Overwrites params, m and v.
 */
export function adam_update(
  params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, t: i32,
): void {
  const bc1 = 1.0 - Math.pow(<f64>beta1, <f64>t);
  const bc2 = 1.0 - Math.pow(<f64>beta2, <f64>t);
  const stepSize = <f32>(<f64>lr / bc1);
  const bc2sqrt = <f32>Math.sqrt(bc2);
  const vb1 = f32x4.splat(beta1), v1mb1 = f32x4.splat(1.0 - beta1);
  const vb2 = f32x4.splat(beta2), v1mb2 = f32x4.splat(1.0 - beta2);
  const vstep = f32x4.splat(stepSize), vbc2 = f32x4.splat(bc2sqrt), veps = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const vg = v128.load(grads + o);
    const vm = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(v1mb1, vg));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(v1mb2, f32x4.mul(vg, vg)));
    v128.store(m + o, vm);
    v128.store(v + o, vv);
    const vdenom = f32x4.add(f32x4.div(f32x4.sqrt(vv), vbc2), veps);
    v128.store(params + o, f32x4.sub(v128.load(params + o), f32x4.mul(vstep, f32x4.div(vm, vdenom))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grads + o);
    const mm = beta1 * load<f32>(m + o) + (1.0 - beta1) * g;
    const vv = beta2 * load<f32>(v + o) + (1.0 - beta2) * (g * g);
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    const denom = Mathf.sqrt(vv) / bc2sqrt + eps;
    store<f32>(params + o, load<f32>(params + o) - stepSize * (mm / denom));
  }
}

/**
 * Global-norm clipping, torch.nn.utils.clip_grad_norm_ semantics:
 *   norm = ‖g‖₂ over all parameters;  coef = maxNorm / (norm + 1e−6);  if coef < 1: g ← g·coef
 * Returns the norm before clipping. The sum of squares is accumulated in f64.
 */
export function clip_grad_norm(grads: usize, n: i32, maxNorm: f32): f64 {
  const norm = Math.sqrt(f32_sumsq_f64(grads, n));
  const coef = <f32>(<f64>maxNorm / (norm + 1e-6));
  if (coef < 1) f32_scale(grads, coef, n);
  return norm;
}
