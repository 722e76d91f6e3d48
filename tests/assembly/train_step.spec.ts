/**
 * model_train_step (assembly/index.ts) and its non-finite rule, on a tiny model
 * (n = 5, d = 6, k = 3, T = 3, B = 2, lengths 3 and 2):
 * - with every value finite, allowNonFinite = 0 and 1 give the same bits as the steps
 *   composed by hand as before the rule (gradients, clip_grad_norm_, then the update), for
 *   SGD, momentum and Adam, clipped and not; model_grad_norm is the norm before clipping;
 * - status 1 (NaN loss: a NaN bias), 2 (finite loss, infinite gradient norm: MSE targets near
 *   FLT_MAX), 3 (finite gradients, an update that would overflow: SGD with lr = 3e38, with and
 *   without momentum): the
 *   parameters, both moments and the step count keep their bits; allowNonFinite = 1 applies
 *   the same step (status 0), as the library did before the rule;
 * - the step counter saturates at 2^31 − 1: Adam from there gives finite parameters, the
 *   same bits as from step 2^30, and the count stays 2^31 − 1;
 * - weight decay λ (SGD, momentum, Adam's L2, AdamW's decoupled form): the bits of the update run
 *   by hand tensor by tensor, λ on U, W, V and, only with decayBiases, on b and c; after one
 *   step the biases are those of the step without decay; a decay that overflows is refused by
 *   the dry pass only where it applies.
 */
import {
  Model, INPUT_IDS, TASK_MANY_TO_MANY, ACT_TANH, LOSS_SOFTMAX_XENT, LOSS_MSE,
} from "../../assembly/layout";
import {
  model_create, model_free, model_reserve, model_inputs, model_targets, model_lengths, model_params,
  model_nparams, model_offset, model_gradients, model_train_step, model_grad_norm, model_step_status,
  model_step, model_set_step, model_moments, model_grads,
} from "../../assembly/index";
import { OPT_SGD, OPT_ADAM, OPT_ADAMW, sgd_update, adam_update, grad_norm, clip_grad_norm } from "../../assembly/optim";
import { at, put, bitsAt, mismatch, copyOf } from "./util";

const T = 3, B = 2, k = 3;

/** A model with one batch written: ids r mod 5, lengths [3, 2], targets class (r mod 3) or k values `y`. */
function tiny(loss: i32, y: f32 = 0.5): usize {
  const p = model_create(5, 6, k, INPUT_IDS, TASK_MANY_TO_MANY, ACT_TANH, loss, 1, 1, 0, 0, 11, 0);
  model_reserve(p, T, B, 1);
  for (let r = 0; r < T * B; r++) store<i32>(model_inputs(p) + (<usize>r << 2), r % 5);
  store<i32>(model_lengths(p), 3);
  store<i32>(model_lengths(p) + 4, 2);
  for (let r = 0; r < T * B; r++) {
    if (loss == LOSS_SOFTMAX_XENT) store<i32>(model_targets(p) + (<usize>r << 2), r % 3);
    else for (let j = 0; j < k; j++) put(model_targets(p), r * k + j, y);
  }
  return p;
}

/** params | grads | m | v of a model, copied (4·nparams floats). */
function snapshot(p: usize): usize { return copyOf(model_params(p), 4 * model_nparams(p)); }

/** Fails unless the n floats at a and b have the same bits. */
function sameBits(a: usize, b: usize, n: i32, what: string): bool {
  for (let i = 0; i < n; i++) if (bitsAt(a, i) != bitsAt(b, i)) { mismatch(at(a, i), at(b, i), `${what} at ${i}`); return false; }
  return true;
}

/** The parameters, m and v (and not the gradients) have the bits of the snapshot. */
function unchanged(p: usize, snap: usize, what: string): void {
  const n = model_nparams(p);
  sameBits(model_params(p), snap, n, `${what}: params`);
  sameBits(model_moments(p), snap + (<usize>(2 * n) << 2), 2 * n, `${what}: m and v`);
}

const OPTS: i32[] = [OPT_SGD, OPT_SGD, OPT_ADAM];
const MOMENTUM: f32[] = [0, 0.9, 0.9];

describe("model_train_step with every value finite", () => {
  it("allowNonFinite 0 and 1 give the bits of gradients, clip_grad_norm_ and the update composed by hand; model_grad_norm is the pre-clip norm", () => {
    const clips: f32[] = [0, 1e-3];   // off, and tight enough to clip
    for (let o = 0; o < OPTS.length; o++) for (let c = 0; c < clips.length; c++) {
      const opt = OPTS[o], a1 = MOMENTUM[o], maxNorm = clips[c];
      const lr: f32 = opt == OPT_ADAM ? 0.01 : 0.1;
      const p0 = tiny(LOSS_SOFTMAX_XENT), p1 = tiny(LOSS_SOFTMAX_XENT), ph = tiny(LOSS_SOFTMAX_XENT);
      const n = model_nparams(ph);
      const mh = changetype<Model>(ph);
      for (let step = 1; step <= 3; step++) {
        const what = `opt ${opt} μ/β1 ${a1} maxNorm ${maxNorm} step ${step}`;
        const l0 = model_train_step(p0, T, B, false, maxNorm, opt, lr, a1, 0.999, 1e-8, 0, false, false);
        const l1 = model_train_step(p1, T, B, false, maxNorm, opt, lr, a1, 0.999, 1e-8, 0, false, true);
        // by hand, as model_train_step did before the rule
        const lh = model_gradients(ph, T, B, false);
        const norm = grad_norm(mh.grads, n);
        if (maxNorm > 0) clip_grad_norm(mh.grads, n, maxNorm, norm);
        mh.step++; mh.packed = 0;
        if (opt == OPT_ADAM) adam_update(mh.params, mh.grads, mh.m, mh.v, n, lr, a1, 0.999, 1e-8, mh.step);
        else sgd_update(mh.params, mh.grads, mh.m, n, lr, a1);
        expect<f64>(l0).toBe(lh, what); expect<f64>(l1).toBe(lh, what);
        expect<i32>(model_step_status(p0)).toBe(0, what); expect<i32>(model_step_status(p1)).toBe(0, what);
        expect<f64>(model_grad_norm(p0)).toBe(norm, `${what}: norm`);
        expect<f64>(model_grad_norm(p1)).toBe(norm, `${what}: norm`);
        expect<i32>(model_step(p0)).toBe(step); expect<i32>(model_step(p1)).toBe(step);
        if (!sameBits(model_params(p0), mh.params, 4 * n, `${what}, checks on`)) break;
        if (!sameBits(model_params(p1), mh.params, 4 * n, `${what}, allowNonFinite`)) break;
      }
      if (maxNorm > 0) expect<bool>(model_grad_norm(p0) > <f64>maxNorm).toBe(true, "the clipping case clips");
      model_free(p0); model_free(p1); model_free(ph);
    }
  });
});

describe("model_train_step: a step that is not finite is not applied (allowNonFinite = 0)", () => {
  it("status 1: NaN loss (a NaN in c); nothing changes; with allowNonFinite the NaN is applied", () => {
    for (let o = 0; o < OPTS.length; o++) {
      const p = tiny(LOSS_SOFTMAX_XENT);
      model_train_step(p, T, B, false, 0, OPTS[o], 0.01, MOMENTUM[o], 0.999, 1e-8, 0, false, false);   // moments not zero
      put(model_params(p), model_offset(p, 4) + 1, NaN);
      const snap = snapshot(p);
      const loss = model_train_step(p, T, B, false, 1, OPTS[o], 0.01, MOMENTUM[o], 0.999, 1e-8, 0, false, false);
      expect<bool>(isNaN(loss)).toBe(true);
      expect<i32>(model_step_status(p)).toBe(1, `opt ${o}`);
      expect<i32>(model_step(p)).toBe(1, "step count unchanged");
      unchanged(p, snap, `opt ${o}`);
      model_train_step(p, T, B, false, 1, OPTS[o], 0.01, MOMENTUM[o], 0.999, 1e-8, 0, false, true);
      expect<i32>(model_step_status(p)).toBe(0);
      expect<i32>(model_step(p)).toBe(2);
      expect<bool>(isNaN(at(model_params(p), 0))).toBe(true, "allowNonFinite: NaN everywhere, as before the rule");
      heap.free(snap); model_free(p);
    }
  });
  it("status 2: finite loss, infinite gradient norm (MSE targets of 3e38: Σ dc overflows f32); gradients left unclipped", () => {
    for (let o = 0; o < OPTS.length; o++) {
      const p = tiny(LOSS_MSE, 3e38);
      const snap = snapshot(p);
      const loss = model_train_step(p, T, B, false, 1, OPTS[o], 0.01, MOMENTUM[o], 0.999, 1e-8, 0, false, false);
      expect<bool>(isFinite(loss)).toBe(true, "the loss is finite (f64)");
      expect<i32>(model_step_status(p)).toBe(2, `opt ${o}`);
      expect<bool>(isFinite(model_grad_norm(p))).toBe(false, "the stored norm is the non-finite one");
      expect<i32>(model_step(p)).toBe(0);
      unchanged(p, snap, `opt ${o}`);
      // Not clipped: the gradients are those of model_gradients.
      const q = tiny(LOSS_MSE, 3e38);
      model_gradients(q, T, B, false);
      sameBits(model_grads(p), model_grads(q), model_nparams(p), "gradients kept as computed");
      heap.free(snap); model_free(p); model_free(q);
    }
  });
  it("status 3: finite loss and gradients, but lr = 3e38 would overflow a parameter; allowNonFinite applies it", () => {
    for (let momentum: f32 = 0; momentum <= 0.5; momentum += 0.5) {
      const p = tiny(LOSS_SOFTMAX_XENT);
      // Every target class 0: ∂L/∂c₀ = (1/B) Σ_rows (ŷ₀ − 1) ≈ 5·(−⅔)/2, and 3e38 times that overflows.
      for (let r = 0; r < T * B; r++) store<i32>(model_targets(p) + (<usize>r << 2), 0);
      const snap = snapshot(p);
      const loss = model_train_step(p, T, B, false, 0, OPT_SGD, 3e38, momentum, 0, 0, 0, false, false);
      expect<bool>(isFinite(loss)).toBe(true);
      expect<bool>(isFinite(model_grad_norm(p))).toBe(true);
      expect<i32>(model_step_status(p)).toBe(3, `momentum ${momentum}`);
      expect<i32>(model_step(p)).toBe(0);
      unchanged(p, snap, `momentum ${momentum}`);
      model_train_step(p, T, B, false, 0, OPT_SGD, 3e38, momentum, 0, 0, 0, false, true);
      expect<i32>(model_step_status(p)).toBe(0);
      let inf = 0;
      for (let i = 0; i < model_nparams(p); i++) if (!isFinite(at(model_params(p), i))) inf++;
      expect<bool>(inf > 0).toBe(true, "allowNonFinite: some parameter is ±Infinity");
      heap.free(snap); model_free(p);
    }
  });
});

describe("the step counter saturates at 2^31 − 1", () => {
  it("Adam from step 2^31 − 1: finite parameters, the same bits as from step 2^30, and the count stays", () => {
    const p = tiny(LOSS_SOFTMAX_XENT), q = tiny(LOSS_SOFTMAX_XENT);
    model_set_step(p, i32.MAX_VALUE);
    model_set_step(q, 1 << 30);
    for (let s = 0; s < 2; s++) {
      model_train_step(p, T, B, false, 0, OPT_ADAM, 0.01, 0.9, 0.999, 1e-8, 0, false, true);
      model_train_step(q, T, B, false, 0, OPT_ADAM, 0.01, 0.9, 0.999, 1e-8, 0, false, true);
      expect<i32>(model_step(p)).toBe(i32.MAX_VALUE, "saturated, not wrapped");
      expect<i32>(model_step_status(p)).toBe(0);
      let finite = true;
      for (let i = 0; i < model_nparams(p); i++) if (!isFinite(at(model_params(p), i))) finite = false;
      expect<bool>(finite).toBe(true, "parameters finite");
      sameBits(model_params(p), model_params(q), 4 * model_nparams(p), `step ${s}: as from 2^30`);
    }
    expect<i32>(model_step(q)).toBe((1 << 30) + 2);
    model_free(p); model_free(q);
  });
});

const DOPTS: i32[] = [OPT_SGD, OPT_SGD, OPT_ADAM, OPT_ADAMW];
const DA1: f32[] = [0, 0.9, 0.9, 0.9];
const WD: f32 = 0.1;

describe("model_train_step with weight decay: U, W, V decay; b and c only with decayBiases", () => {
  it("the bits of the kernels run by hand on each tensor's range, λ or 0 (two steps)", () => {
    for (let o = 0; o < DOPTS.length; o++) for (let withBiases = 0; withBiases < 2; withBiases++) {
      const opt = DOPTS[o], a1 = DA1[o], decayBiases = withBiases == 1;
      const lr: f32 = opt == OPT_SGD ? 0.1 : 0.01;
      const p0 = tiny(LOSS_SOFTMAX_XENT), ph = tiny(LOSS_SOFTMAX_XENT);
      const n = model_nparams(ph);
      const mh = changetype<Model>(ph);
      for (let step = 1; step <= 2; step++) {
        const what = `opt ${opt} μ/β1 ${a1} decayBiases ${decayBiases} step ${step}`;
        model_train_step(p0, T, B, false, 0, opt, lr, a1, 0.999, 1e-8, WD, decayBiases, false);
        expect<i32>(model_step_status(p0)).toBe(0, what);
        model_gradients(ph, T, B, false);
        mh.step++; mh.packed = 0;
        for (let i = 0; i < 5; i++) {   // U, W, b, V, c: each its own range, with its λ
          const from = model_offset(ph, i), to = i < 4 ? model_offset(ph, i + 1) : n;
          const o4 = <usize>from << 2;
          const lam: f32 = (i == 2 || i == 4) && !decayBiases ? 0 : WD;
          if (opt == OPT_SGD) sgd_update(mh.params + o4, mh.grads + o4, mh.m + o4, to - from, lr, a1, lam);
          else adam_update(mh.params + o4, mh.grads + o4, mh.m + o4, mh.v + o4, to - from, lr, a1, 0.999, 1e-8, mh.step, lam, opt == OPT_ADAMW);
        }
        if (!sameBits(model_params(p0), mh.params, 4 * n, what)) break;
      }
      model_free(p0); model_free(ph);
    }
  });
  it("after one step the biases are those of the same step without decay; the weights (and with decayBiases the biases) are not", () => {
    for (let o = 0; o < DOPTS.length; o++) for (let withBiases = 0; withBiases < 2; withBiases++) {
      const opt = DOPTS[o], a1 = DA1[o], decayBiases = withBiases == 1;
      const lr: f32 = opt == OPT_SGD ? 0.1 : 0.01;
      const pd = tiny(LOSS_SOFTMAX_XENT), p0 = tiny(LOSS_SOFTMAX_XENT);
      model_train_step(pd, T, B, false, 0, opt, lr, a1, 0.999, 1e-8, WD, decayBiases, false);
      model_train_step(p0, T, B, false, 0, opt, lr, a1, 0.999, 1e-8, 0, false, false);
      for (let i = 0; i < 5; i++) {
        const from = model_offset(p0, i), to = i < 4 ? model_offset(p0, i + 1) : model_nparams(p0);
        let same = true;
        for (let j = from; j < to; j++) if (bitsAt(model_params(pd), j) != bitsAt(model_params(p0), j)) same = false;
        const bias = i == 2 || i == 4;
        // Adam's first step is lr·g/(|g| + ε) whatever λ adds to g (short of a change of sign),
        // so there only the biases are checked (the hand-run test above covers the rest).
        if (opt != OPT_ADAM || (bias && !decayBiases)) {
          expect<bool>(same).toBe(bias && !decayBiases, `opt ${opt} μ/β1 ${a1} decayBiases ${decayBiases}: tensor ${i} as without decay`);
        }
      }
      model_free(pd); model_free(p0);
    }
  });
  it("status 3 from the decay alone (b = 1e38, λ = 10: g + λ·b overflows) only when the biases decay", () => {
    for (let o = 0; o < DOPTS.length; o++) {
      const opt = DOPTS[o], a1 = DA1[o];
      const lr: f32 = opt == OPT_SGD ? 0.1 : 0.01;
      for (let withBiases = 0; withBiases < 2; withBiases++) {
        const p = tiny(LOSS_SOFTMAX_XENT);
        put(model_params(p), model_offset(p, 2), 1e38);
        // AdamW's decoupled decay multiplies by 1 − lr·λ = 0.9 instead: 1e38 stays finite there.
        const snap = snapshot(p);
        model_train_step(p, T, B, false, 0, opt, lr, a1, 0.999, 1e-8, 10, withBiases == 1, false);
        const refused = withBiases == 1 && opt != OPT_ADAMW;
        expect<i32>(model_step_status(p)).toBe(refused ? 3 : 0, `opt ${opt} μ/β1 ${a1} decayBiases ${withBiases}`);
        if (refused) unchanged(p, snap, `opt ${opt}: refused`);
        heap.free(snap); model_free(p);
      }
    }
  });
});
