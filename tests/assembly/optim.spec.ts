/**
 * The parameter updates of assembly/optim.ts, on n = 1, 4, 7, 16, 19 (tail only, one vector,
 * vector + tail, multiples):
 * - sgd_update, plain and with momentum: two hand-computable steps on dyadic values (exact in
 *   f32, so compared with ==), the arithmetic in comments as in tfjs's optimizer tests; then
 *   random values against the PyTorch formula in f64; momentum 0 never touches the buffer.
 * - adam_update: two steps worked out by hand (bias corrections included), then random
 *   values over several steps and a late step (t = 1000) against torch.optim.Adam's algorithm
 *   in f64; zero gradients keep zero params, m and v at zero (the padding-lane contract).
 * - grad_norm, then clip_grad_norm given it: the norm is ‖g‖₂ (f64); grads are untouched when the norm is
 *   under maxNorm and scaled by maxNorm/(norm + 1e−6) otherwise (torch.nn.utils.clip_grad_norm_).
 * - weight decay λ, each form by two steps worked out by hand: L2 for SGD (with and without
 *   momentum) and Adam (torch.optim.SGD / Adam weight_decay: g ← g + λ·p), decoupled for AdamW
 *   (torch.optim.AdamW: p ← p·(1 − lr·λ) before the step); random values against the f64
 *   formulas; λ = 0 gives the bits of the update without decay.
 * - the dry passes sgd_update_finite / adam_update_finite: true exactly when every value the
 *   update writes (parameters, momentum buffer, m, v) comes out finite, whichever lane or the
 *   tail holds the one that overflows, the decay's overflows included; they write nothing at all.
 * - next_step: t + 1, saturating at 2^31 − 1, where Adam's bias corrections are exactly 1.
 * Every buffer is guarded: nothing is written past n.
 */
import {
  sgd_update, sgd_update_finite, adam_update, adam_update_finite, grad_norm, clip_grad_norm, next_step,
} from "../../assembly/optim";
import {
  reseed, guarded, freeGuarded, expectGuards, copyOf, fillRandom, at, put, bitsAt, mismatch,
} from "./util";

const SIZES: i32[] = [1, 4, 7, 16, 19];
const EPS: f64 = 1.1920928955078125e-7; // 2^−23

/** Fails unless |got − want| ≤ tol. */
function near(got: f64, want: f64, tol: f64, what: string): bool {
  if (Math.abs(got - want) <= tol) return true;
  expect<f64>(got).toBe(want, `${what} (tolerance ${tol})`);
  return false;
}

// ── SGD ────────────────────────────────────────────────────────────────────────────────

describe("sgd_update, momentum 0: p ← p − lr·g", () => {
  it("two steps by hand (dyadic values, exact): lr = 0.25", () => {
    // element i: p0 = i − 3, g1 = (i mod 5) − 2, g2 = 1.
    //   step 1: p1 = p0 − 0.25·g1      e.g. i = 0: −3 − 0.25·(−2) = −2.5
    //   step 2: p2 = p1 − 0.25·1        e.g. i = 0: −2.5 − 0.25   = −2.75
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const P = guarded(n), G = guarded(n), B = guarded(n);
      for (let i = 0; i < n; i++) { put(P, i, <f32>(i - 3)); put(G, i, <f32>(i % 5 - 2)); }
      sgd_update(P, G, B, n, 0.25, 0);
      for (let i = 0; i < n; i++) expect<f32>(at(P, i)).toBe(<f32>(i - 3) - 0.25 * <f32>(i % 5 - 2), `n=${n} step 1 at ${i}`);
      f32fill(G, 1, n);
      sgd_update(P, G, B, n, 0.25, 0);
      for (let i = 0; i < n; i++) expect<f32>(at(P, i)).toBe(<f32>(i - 3) - 0.25 * <f32>(i % 5 - 2) - 0.25, `n=${n} step 2 at ${i}`);
      if (n >= 1) expect<f32>(at(P, 0)).toBe(-2.75);
      expectGuards(P, n, `sgd n=${n} params`);
      expectGuards(B, n, `sgd n=${n}: momentum 0 wrote the buffer`); // all of B is sentinel
      freeGuarded(P); freeGuarded(G); freeGuarded(B);
    }
  });
  it("random values: within 2^−23·(|p| + |lr·g|) of the f64 formula; grads untouched", () => {
    reseed(31);
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const P = guarded(n), G = guarded(n), B = guarded(n);
      fillRandom(P, n, -1, 1); fillRandom(G, n, -3, 3);
      const P0 = copyOf(P, n), G0 = copyOf(G, n);
      const lr: f32 = 0.01;
      sgd_update(P, G, B, n, lr, 0);
      for (let i = 0; i < n; i++) {
        const step = <f64>lr * <f64>at(G0, i);
        if (!near(<f64>at(P, i), <f64>at(P0, i) - step, EPS * (Math.abs(<f64>at(P0, i)) + Math.abs(step)), `n=${n} at ${i}`)) break;
        if (bitsAt(G, i) != bitsAt(G0, i)) mismatch(at(G, i), at(G0, i), `grads modified at ${i}`);
      }
      freeGuarded(P); freeGuarded(G); freeGuarded(B); heap.free(P0); heap.free(G0);
    }
  });
});

function f32fill(p: usize, v: f32, n: i32): void { for (let i = 0; i < n; i++) put(p, i, v); }

describe("sgd_update with momentum: buf ← μ·buf + g; p ← p − lr·buf", () => {
  it("two steps by hand (exact): μ = 0.5, lr = 0.25, buf starting at 0", () => {
    // element i: p0 = 1, g1 = 2 + i, g2 = −1.
    //   step 1: buf = 0.5·0 + g1 = 2 + i            p1 = 1 − 0.25·(2 + i)       (i = 0: 0.5)
    //   step 2: buf = 0.5·(2 + i) − 1 = i/2         p2 = p1 − 0.25·(i/2)        (i = 0: 0.5, i = 2: −0.25)
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const P = guarded(n), G = guarded(n), B = guarded(n);
      for (let i = 0; i < n; i++) { put(P, i, 1); put(G, i, <f32>(i + 2)); put(B, i, 0); }
      sgd_update(P, G, B, n, 0.25, 0.5);
      for (let i = 0; i < n; i++) {
        expect<f32>(at(B, i)).toBe(<f32>(i + 2), `n=${n} buf after step 1 at ${i}`);
        expect<f32>(at(P, i)).toBe(1 - 0.25 * <f32>(i + 2), `n=${n} p after step 1 at ${i}`);
      }
      f32fill(G, -1, n);
      sgd_update(P, G, B, n, 0.25, 0.5);
      for (let i = 0; i < n; i++) {
        expect<f32>(at(B, i)).toBe(<f32>i / 2, `n=${n} buf after step 2 at ${i}`);
        expect<f32>(at(P, i)).toBe(1 - 0.25 * <f32>(i + 2) - 0.25 * (<f32>i / 2), `n=${n} p after step 2 at ${i}`);
      }
      expect<f32>(at(P, 0)).toBe(0.5);
      if (n > 2) expect<f32>(at(P, 2)).toBe(-0.25);
      expectGuards(P, n, `momentum n=${n} params`);
      expectGuards(B, n, `momentum n=${n} buf`);
      freeGuarded(P); freeGuarded(G); freeGuarded(B);
    }
  });
  it("random values, three steps, μ = 0.9: within 3·2^−23 relative of the f64 formula", () => {
    reseed(32);
    const mu: f32 = 0.9, lr: f32 = 0.05;
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const P = guarded(n), G = guarded(n), B = guarded(n);
      fillRandom(P, n, -1, 1);
      f32fill(B, 0, n);
      const p = new Array<f64>(n), b = new Array<f64>(n);
      for (let i = 0; i < n; i++) { p[i] = <f64>at(P, i); b[i] = 0; }
      for (let t = 0; t < 3; t++) {
        fillRandom(G, n, -1, 1);
        sgd_update(P, G, B, n, lr, mu);
        for (let i = 0; i < n; i++) {
          b[i] = <f64>mu * b[i] + <f64>at(G, i);
          p[i] -= <f64>lr * b[i];
          // each f32 op rounds once: buf error ≤ 3·2^−24 relative per step, compounded by μ < 1
          near(<f64>at(B, i), b[i], 3 * EPS * (Math.abs(b[i]) + 1), `n=${n} step ${t + 1} buf at ${i}`);
          near(<f64>at(P, i), p[i], 3 * EPS * (Math.abs(p[i]) + 1), `n=${n} step ${t + 1} p at ${i}`);
        }
      }
      expectGuards(P, n, "params"); expectGuards(B, n, "buf");
      freeGuarded(P); freeGuarded(G); freeGuarded(B);
    }
  });
});

// ── Adam ───────────────────────────────────────────────────────────────────────────────

describe("adam_update", () => {
  it("two steps by hand: lr 0.1, β = (0.9, 0.999), ε = 1e−8, p0 = 1, g1 = 1, g2 = 2", () => {
    // step 1 (t = 1): m = 0.1·1 = 0.1          v = 0.001·1² = 0.001
    //   bias corrections 1 − 0.9 = 0.1, 1 − 0.999 = 0.001: m̂ = 1, v̂ = 1
    //   p = 1 − 0.1·1/(√1 + 1e−8) = 0.900000001
    // step 2 (t = 2): m = 0.9·0.1 + 0.1·2 = 0.29    v = 0.999·0.001 + 0.001·4 = 0.004999
    //   bias corrections 1 − 0.81 = 0.19, 1 − 0.998001 = 0.001999
    //   m̂ = 0.29/0.19 = 1.5263157895, √v̂ = √(0.004999/0.001999) = √2.5007503752 = 1.5813761018
    //   p = 0.900000001 − 0.1·1.5263157895/1.5813761018 = 0.900000001 − 0.0965182020 = 0.8034817990
    // Elements alternate the sign of g (Adam is odd in g: p moves the other way, m flips, v not).
    // The kernel gets β as f32: 1 − 0.9f = 0.100000024 and 1 − 0.999f = 0.000999987 (1.3e−5
    // relative off 0.001), so m and v differ from the decimal values by that much; p does not,
    // because the bias corrections use the same f32 β and cancel it (m̂ = (β1·g1 + g2)/(1 + β1)).
    // Tolerances: m 3e−7·|m|, v 2e−5·|v|, p 2e−7 (a few ULP of 0.8–0.9).
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
      for (let i = 0; i < n; i++) { put(P, i, 1); put(G, i, i & 1 ? -1 : 1); put(M, i, 0); put(V, i, 0); }
      adam_update(P, G, M, V, n, 0.1, 0.9, 0.999, 1e-8, 1);
      for (let i = 0; i < n; i++) {
        const sg: f64 = i & 1 ? -1 : 1;
        near(<f64>at(M, i), 0.1 * sg, 3e-8, `n=${n} m after step 1 at ${i}`);
        near(<f64>at(V, i), 0.001, 2e-8, `n=${n} v after step 1 at ${i}`);
        near(<f64>at(P, i), 1 - 0.099999999 * sg, 2e-7, `n=${n} p after step 1 at ${i}`);
      }
      for (let i = 0; i < n; i++) put(G, i, i & 1 ? -2 : 2);
      adam_update(P, G, M, V, n, 0.1, 0.9, 0.999, 1e-8, 2);
      for (let i = 0; i < n; i++) {
        const sg: f64 = i & 1 ? -1 : 1;
        near(<f64>at(M, i), 0.29 * sg, 9e-8, `n=${n} m after step 2 at ${i}`);
        near(<f64>at(V, i), 0.004999, 1e-7, `n=${n} v after step 2 at ${i}`);
        near(<f64>at(P, i), 1 - (0.099999999 + 0.0965182020) * sg, 2e-7, `n=${n} p after step 2 at ${i}`);
      }
      expectGuards(P, n, "params"); expectGuards(M, n, "m"); expectGuards(V, n, "v");
      freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
    }
  });

  it("random values, steps 1–4 and t = 1000: each step within a few f32 roundings of torch.optim.Adam's algorithm", () => {
    reseed(33);
    const lr: f32 = 0.003, b1: f32 = 0.9, b2: f32 = 0.999, eps: f32 = 1e-8;
    const steps: i32[] = [1, 2, 3, 4, 1000];
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
      fillRandom(P, n, -1, 1);
      fillRandom(M, n, -0.5, 0.5); // a state mid-training, so t = 1000 sees nonzero m and v
      fillRandom(V, n, 0, 0.2);
      for (let k = 0; k < steps.length; k++) {
        const t = steps[k];
        fillRandom(G, n, -2, 2);
        const P0 = copyOf(P, n), M0 = copyOf(M, n), V0 = copyOf(V, n);
        adam_update(P, G, M, V, n, lr, b1, b2, eps, t);
        // The algorithm in f64, from the same state and the f32 hyperparameters the kernel got.
        const bc1 = 1 - Math.pow(<f64>b1, <f64>t), bc2 = 1 - Math.pow(<f64>b2, <f64>t);
        for (let i = 0; i < n; i++) {
          const g = <f64>at(G, i);
          const ma = <f64>b1 * <f64>at(M0, i), mb = (1 - <f64>b1) * g;
          const va = <f64>b2 * <f64>at(V0, i), vb = (1 - <f64>b2) * g * g;
          // m: two products and a sum round (≤ 1.5·2^−23 of the terms); v: one more (g²).
          near(<f64>at(M, i), ma + mb, 2 * EPS * (Math.abs(ma) + Math.abs(mb)), `n=${n} t=${t} m at ${i}`);
          near(<f64>at(V, i), va + vb, 2 * EPS * (va + vb), `n=${n} t=${t} v at ${i}`);
          // p, from the kernel's new m and v: lr/bc1 and √bc2 rounded to f32, then √v, /, +ε,
          // /, · and − each round once: ≤ 4·2^−23 of the update plus ½ULP of p.
          const upd = <f64>lr / bc1 * <f64>at(M, i) / (Math.sqrt(<f64>at(V, i)) / Math.sqrt(bc2) + <f64>eps);
          const want = <f64>at(P0, i) - upd;
          near(<f64>at(P, i), want, EPS * Math.abs(want) + 4 * EPS * Math.abs(upd), `n=${n} t=${t} p at ${i}`);
        }
        heap.free(P0); heap.free(M0); heap.free(V0);
      }
      expectGuards(P, n, "params"); expectGuards(M, n, "m"); expectGuards(V, n, "v");
      freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
    }
  });

  it("zero gradients keep zero params, m and v exactly zero (padding lanes)", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
      f32fill(P, 0, n); f32fill(G, 0, n); f32fill(M, 0, n); f32fill(V, 0, n);
      for (let t = 1; t <= 3; t++) adam_update(P, G, M, V, n, 0.1, 0.9, 0.999, 1e-8, t);
      sgd_update(P, G, M, n, 0.1, 0.9);
      for (let i = 0; i < n; i++) {
        if (bitsAt(P, i) | bitsAt(M, i) | bitsAt(V, i)) {
          expect<u32>(bitsAt(P, i) | bitsAt(M, i) | bitsAt(V, i)).toBe(0, `n=${n}: p/m/v at ${i} = ${at(P, i)}/${at(M, i)}/${at(V, i)}`);
        }
      }
      freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
    }
  });
});

// ── weight decay ───────────────────────────────────────────────────────────────────────
// Three forms, each as PyTorch writes it: L2 for SGD and Adam (torch.optim.SGD / Adam
// weight_decay: g ← g + λ·p before anything else) and decoupled for AdamW
// (torch.optim.AdamW: p ← p·(1 − lr·λ), then the Adam step on the undecayed g).

describe("sgd_update with weight decay λ: g ← g + λ·p, then the step", () => {
  it("two steps by hand (dyadic values, exact): lr = 0.25, λ = 0.5, momentum 0", () => {
    // element i: p0 = i − 3, g1 = (i mod 5) − 2, g2 = 1.
    //   step 1: g' = g1 + 0.5·p0;  p1 = p0 − 0.25·g'     i = 0: g' = −2 − 1.5 = −3.5,     p1 = −3 + 0.875 = −2.125
    //   step 2: g' = 1 + 0.5·p1;   p2 = p1 − 0.25·g'     i = 0: g' = 1 − 1.0625 = −0.0625, p2 = −2.125 + 0.015625 = −2.109375
    // (multiples of 2^−6 well inside f32's 24 bits: every value is exact, compared with ==)
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const P = guarded(n), G = guarded(n), B = guarded(n);
      for (let i = 0; i < n; i++) { put(P, i, <f32>(i - 3)); put(G, i, <f32>(i % 5 - 2)); }
      sgd_update(P, G, B, n, 0.25, 0, 0.5);
      for (let i = 0; i < n; i++) {
        const p0 = <f64>(i - 3), p1 = p0 - 0.25 * (<f64>(i % 5 - 2) + 0.5 * p0);
        expect<f64>(<f64>at(P, i)).toBe(p1, `n=${n} step 1 at ${i}`);
      }
      f32fill(G, 1, n);
      sgd_update(P, G, B, n, 0.25, 0, 0.5);
      for (let i = 0; i < n; i++) {
        const p0 = <f64>(i - 3), p1 = p0 - 0.25 * (<f64>(i % 5 - 2) + 0.5 * p0);
        expect<f64>(<f64>at(P, i)).toBe(p1 - 0.25 * (1 + 0.5 * p1), `n=${n} step 2 at ${i}`);
      }
      expect<f32>(at(P, 0)).toBe(-2.109375);
      expectGuards(P, n, `sgd decay n=${n} params`);
      expectGuards(B, n, `sgd decay n=${n}: momentum 0 wrote the buffer`);
      freeGuarded(P); freeGuarded(G); freeGuarded(B);
    }
  });
  it("two steps by hand with momentum (exact): μ = 0.5, lr = 0.25, λ = 0.5, buf starting at 0", () => {
    // element i: p0 = 1, g1 = 2 + i, g2 = −1.
    //   step 1: g' = (2 + i) + 0.5·1 = 2.5 + i          buf = 2.5 + i
    //           p1 = 1 − 0.25·(2.5 + i) = 0.375 − 0.25·i                         (i = 0: 0.375)
    //   step 2: g' = −1 + 0.5·p1 = −0.8125 − 0.125·i    buf = 0.5·(2.5 + i) + g' = 0.4375 + 0.375·i
    //           p2 = p1 − 0.25·buf = 0.265625 − 0.34375·i                        (i = 0: 0.265625)
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const P = guarded(n), G = guarded(n), B = guarded(n);
      for (let i = 0; i < n; i++) { put(P, i, 1); put(G, i, <f32>(i + 2)); put(B, i, 0); }
      sgd_update(P, G, B, n, 0.25, 0.5, 0.5);
      for (let i = 0; i < n; i++) {
        expect<f64>(<f64>at(B, i)).toBe(2.5 + <f64>i, `n=${n} buf after step 1 at ${i}`);
        expect<f64>(<f64>at(P, i)).toBe(0.375 - 0.25 * <f64>i, `n=${n} p after step 1 at ${i}`);
      }
      f32fill(G, -1, n);
      sgd_update(P, G, B, n, 0.25, 0.5, 0.5);
      for (let i = 0; i < n; i++) {
        expect<f64>(<f64>at(B, i)).toBe(0.4375 + 0.375 * <f64>i, `n=${n} buf after step 2 at ${i}`);
        expect<f64>(<f64>at(P, i)).toBe(0.265625 - 0.34375 * <f64>i, `n=${n} p after step 2 at ${i}`);
      }
      expectGuards(P, n, "params"); expectGuards(B, n, "buf");
      freeGuarded(P); freeGuarded(G); freeGuarded(B);
    }
  });
});

/**
 * Two Adam steps with weight decay λ = 0.5 (lr 0.1, β = (0.9, 0.999), ε = 1e−8) from p0 = ±1,
 * g1 = ±1, g2 = ±2 on every size class, the signs alternating by element (the whole run maps to
 * its negative); want = m, v, p after step 1 then after step 2 (for the + elements; v is even),
 * within tol. Guards must be untouched.
 */
function twoDecayedAdamSteps(decoupled: bool, want: f64[], tol: f64[]): void {
  for (let s = 0; s < SIZES.length; s++) {
    const n = SIZES[s];
    const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
    for (let i = 0; i < n; i++) { const sg: f32 = i & 1 ? -1 : 1; put(P, i, sg); put(G, i, sg); put(M, i, 0); put(V, i, 0); }
    for (let step = 1; step <= 2; step++) {
      if (step == 2) for (let i = 0; i < n; i++) put(G, i, i & 1 ? -2 : 2);
      adam_update(P, G, M, V, n, 0.1, 0.9, 0.999, 1e-8, step, 0.5, decoupled);
      const o = 3 * (step - 1);
      for (let i = 0; i < n; i++) {
        const sg: f64 = i & 1 ? -1 : 1;
        near(<f64>at(M, i), want[o] * sg, tol[o], `n=${n} m after step ${step} at ${i}`);
        near(<f64>at(V, i), want[o + 1], tol[o + 1], `n=${n} v after step ${step} at ${i}`);
        near(<f64>at(P, i), want[o + 2] * sg, tol[o + 2], `n=${n} p after step ${step} at ${i}`);
      }
    }
    expectGuards(P, n, "params"); expectGuards(M, n, "m"); expectGuards(V, n, "v");
    freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
  }
}

describe("adam_update with weight decay", () => {
  it("L2 (torch.optim.Adam weight_decay), two steps by hand: lr 0.1, β = (0.9, 0.999), ε = 1e−8, λ = 0.5, p0 = 1, g1 = 1, g2 = 2", () => {
    // step 1 (t = 1): g' = 1 + 0.5·1 = 1.5     m = 0.1·1.5 = 0.15     v = 0.001·1.5² = 0.00225
    //   m̂ = 1.5, √v̂ = 1.5:  p = 1 − 0.1·1.5/(1.5 + 1e−8) = 0.9000000006667
    // step 2 (t = 2): g' = 2 + 0.5·0.9000000006667 = 2.4500000003333
    //   m = 0.9·0.15 + 0.1·2.45 = 0.38             v = 0.999·0.00225 + 0.001·2.45² = 0.00825025
    //   m̂ = 0.38/0.19 = 2.0000000002, √v̂ = √(0.00825025/0.001999) = √4.1271885943 = 2.0315483246
    //   p = 0.9000000006667 − 0.1·2.0000000002/2.0315483246 = 0.9000000006667 − 0.0984470793 = 0.8015529214
    // Elements alternate the sign of p0 and g: (p, g) → (−p, −g) maps the whole run to its negative.
    // Tolerances as in the Adam test above (f32 β: m 3e−7·|m|, v 2e−5·|v|, p 2e−7).
    // want: m, v, p after step 1, then after step 2; tol: the same, the tolerances.
    twoDecayedAdamSteps(false, [0.15, 0.00225, 0.9000000006667, 0.38, 0.00825025, 0.8015529214], [5e-8, 5e-8, 2e-7, 1.2e-7, 1.7e-7, 2e-7]);
  });

  it("decoupled (torch.optim.AdamW), two steps by hand: the same run with p ← p·(1 − 0.1·0.5) = 0.95·p first", () => {
    // step 1 (t = 1): p = 0.95·1 = 0.95; then Adam on g1 = 1, which never sees λ:
    //   m = 0.1, v = 0.001, m̂ = 1, √v̂ = 1:  p = 0.95 − 0.1·1/(1 + 1e−8) = 0.850000001
    // step 2 (t = 2): p = 0.95·0.850000001 = 0.80750000095; m = 0.29, v = 0.004999 (the Adam test above)
    //   p = 0.80750000095 − 0.0965182020 = 0.7109817990
    // The factor 1 − lr·λ is computed in f64 from the f32 lr (0.1f = 0.100000001490) and rounded
    // once: 0.95f = 0.949999988; it moves p by 1.2e−8·|p| at most, inside the 2e−7.
    twoDecayedAdamSteps(true, [0.1, 0.001, 0.850000001, 0.29, 0.004999, 0.7109817990], [3e-8, 2e-8, 2e-7, 9e-8, 1e-7, 2e-7]);
  });

  it("random values, steps 1–3 and t = 1000, both forms: within a few f32 roundings of PyTorch's algorithm in f64", () => {
    reseed(37);
    const lr: f32 = 0.003, b1: f32 = 0.9, b2: f32 = 0.999, eps: f32 = 1e-8, wd: f32 = 0.05;
    const steps: i32[] = [1, 2, 3, 1000];
    for (let form = 0; form < 2; form++) {
      const decoupled = form == 1;
      for (let s = 0; s < SIZES.length; s++) {
        const n = SIZES[s];
        const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
        fillRandom(P, n, -2, 2); fillRandom(M, n, -0.5, 0.5); fillRandom(V, n, 0, 0.2);
        for (let k = 0; k < steps.length; k++) {
          const t = steps[k];
          fillRandom(G, n, -2, 2);
          const P0 = copyOf(P, n), M0 = copyOf(M, n), V0 = copyOf(V, n);
          adam_update(P, G, M, V, n, lr, b1, b2, eps, t, wd, decoupled);
          const bc1 = 1 - Math.pow(<f64>b1, <f64>t), bc2 = 1 - Math.pow(<f64>b2, <f64>t);
          for (let i = 0; i < n; i++) {
            const p0 = <f64>at(P0, i);
            // L2: g' = g + λ·p (one product and one sum round: ≤ 2^−23·(|g| + |λp|));
            // decoupled: g itself, and p·(1 − lr·λ) before the step (≤ 2^−23·|p| more).
            const g = decoupled ? <f64>at(G, i) : <f64>at(G, i) + <f64>wd * p0;
            const gErr = decoupled ? 0 : EPS * (Math.abs(<f64>at(G, i)) + Math.abs(<f64>wd * p0));
            const ma = <f64>b1 * <f64>at(M0, i), mb = (1 - <f64>b1) * g;
            const va = <f64>b2 * <f64>at(V0, i), vb = (1 - <f64>b2) * g * g;
            near(<f64>at(M, i), ma + mb, 2 * EPS * (Math.abs(ma) + Math.abs(mb)) + (1 - <f64>b1) * gErr, `form ${form} n=${n} t=${t} m at ${i}`);
            near(<f64>at(V, i), va + vb, 2 * EPS * (va + vb) + (1 - <f64>b2) * 2 * Math.abs(g) * gErr, `form ${form} n=${n} t=${t} v at ${i}`);
            const upd = <f64>lr / bc1 * <f64>at(M, i) / (Math.sqrt(<f64>at(V, i)) / Math.sqrt(bc2) + <f64>eps);
            const start = decoupled ? p0 * (1 - <f64>lr * <f64>wd) : p0;
            const want = start - upd;
            near(<f64>at(P, i), want, 2 * EPS * Math.abs(start) + EPS * Math.abs(want) + 4 * EPS * Math.abs(upd), `form ${form} n=${n} t=${t} p at ${i}`);
          }
          heap.free(P0); heap.free(M0); heap.free(V0);
        }
        expectGuards(P, n, "params"); expectGuards(M, n, "m"); expectGuards(V, n, "v");
        freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
      }
    }
  });

  it("λ = 0 is the update without decay, bit for bit, in both forms and for SGD (−0 gradients included)", () => {
    reseed(38);
    const n = 19;
    const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
    fillRandom(P, n, -1, 1); fillRandom(G, n, -3, 3); fillRandom(M, n, -1, 1); fillRandom(V, n, 0, 1);
    put(G, 2, -0.0); put(G, 17, -0.0); put(M, 2, 0); put(M, 17, 0);   // a vector lane and a tail element
    const P1 = copyOf(P, n), M1 = copyOf(M, n), V1 = copyOf(V, n);
    const P2 = copyOf(P, n), M2 = copyOf(M, n), V2 = copyOf(V, n);
    adam_update(P, G, M, V, n, 0.01, 0.9, 0.999, 1e-8, 3);
    adam_update(P1, G, M1, V1, n, 0.01, 0.9, 0.999, 1e-8, 3, 0, false);
    adam_update(P2, G, M2, V2, n, 0.01, 0.9, 0.999, 1e-8, 3, 0, true);
    sameBits(P1, P, n, "adam λ = 0: p"); sameBits(M1, M, n, "adam λ = 0: m"); sameBits(V1, V, n, "adam λ = 0: v");
    sameBits(P2, P, n, "adamw λ = 0: p"); sameBits(M2, M, n, "adamw λ = 0: m"); sameBits(V2, V, n, "adamw λ = 0: v");
    sgd_update(P, G, M, n, 0.1, 0.5);
    sgd_update(P1, G, M1, n, 0.1, 0.5, 0);
    sameBits(P1, P, n, "sgd λ = 0: p"); sameBits(M1, M, n, "sgd λ = 0: buf");
    freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
    heap.free(P1); heap.free(M1); heap.free(V1); heap.free(P2); heap.free(M2); heap.free(V2);
  });
});

// ── global-norm clipping ───────────────────────────────────────────────────────────────

/** clip_grad_norm_ as model_train_step does it: the norm once, then clipping given it; returns the norm. */
function clip(G: usize, n: i32, maxNorm: f32): f64 {
  const norm = grad_norm(G, n);
  clip_grad_norm(G, n, maxNorm, norm);
  return norm;
}

describe("grad_norm, clip_grad_norm", () => {
  it("returns ‖g‖₂: g = [3, 4, 0, …] has norm 5 (n = 1: [3], norm 3)", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const G = guarded(n);
      f32fill(G, 0, n);
      put(G, 0, 3);
      if (n > 1) put(G, n - 1, 4); // the 4 in the tail where there is one
      const G0 = copyOf(G, n);
      expect<f64>(clip(G, n, 10)).toBe(n > 1 ? 5 : 3, `n=${n}`);
      for (let i = 0; i < n; i++) if (bitsAt(G, i) != bitsAt(G0, i)) mismatch(at(G, i), at(G0, i), `n=${n}: scaled below maxNorm at ${i}`);
      expectGuards(G, n, `clip n=${n}`);
      freeGuarded(G); heap.free(G0);
    }
  });
  it("scales by maxNorm/(norm + 1e−6) when the norm is above maxNorm: [3, 4] to ≈ [0.6, 0.8] for maxNorm 1", () => {
    for (let s = 1; s < SIZES.length; s++) {
      const n = SIZES[s];
      const G = guarded(n);
      f32fill(G, 0, n);
      put(G, 0, 3); put(G, n - 1, 4);
      expect<f64>(clip(G, n, 1)).toBe(5);
      // coef = 1/(5 + 1e−6) = 0.19999996; 3·coef = 0.59999988, 4·coef = 0.79999984
      near(<f64>at(G, 0), 3.0 / (5 + 1e-6), 1e-7, `n=${n} g[0]`);
      near(<f64>at(G, n - 1), 4.0 / (5 + 1e-6), 1e-7, `n=${n} g[n−1]`);
      for (let i = 1; i < n - 1; i++) expect<f32>(at(G, i)).toBe(0);
      expectGuards(G, n, `clip n=${n}`);
      freeGuarded(G);
    }
  });
  it("random gradients: norm within n·2^−52 of the f64 norm; clipped gradients within 2^−23 of g·maxNorm/(norm + 1e−6)", () => {
    reseed(34);
    const maxNorms: f32[] = [0.5, 1e3]; // below and above every norm here
    for (let s = 0; s < SIZES.length; s++) {
      for (let c = 0; c < maxNorms.length; c++) {
        const n = SIZES[s], maxNorm = maxNorms[c];
        const G = guarded(n);
        fillRandom(G, n, -3, 3);
        const G0 = copyOf(G, n);
        let ss: f64 = 0;
        for (let i = 0; i < n; i++) ss += <f64>at(G0, i) * <f64>at(G0, i);
        const want = Math.sqrt(ss);
        const norm = clip(G, n, maxNorm);
        near(norm, want, want * <f64>n * Math.pow(2.0, -52), `n=${n} norm`);
        const coef = <f64>maxNorm / (want + 1e-6);
        for (let i = 0; i < n; i++) {
          if (coef < 1) {
            // coef rounds to f32 once and the product once: ≤ 2^−23 relative
            if (!near(<f64>at(G, i), <f64>at(G0, i) * coef, EPS * Math.abs(<f64>at(G0, i) * coef), `n=${n} clipped g at ${i}`)) break;
          } else if (bitsAt(G, i) != bitsAt(G0, i)) {
            mismatch(at(G, i), at(G0, i), `n=${n}: scaled though the norm ${want} ≤ maxNorm ${maxNorm}`);
            break;
          }
        }
        if (coef < 1) {
          let s2: f64 = 0;
          for (let i = 0; i < n; i++) s2 += <f64>at(G, i) * <f64>at(G, i);
          near(Math.sqrt(s2), <f64>maxNorm, <f64>maxNorm * 4e-6, `n=${n}: clipped norm`);
        }
        expectGuards(G, n, `clip n=${n}`);
        freeGuarded(G); heap.free(G0);
      }
    }
  });
  it("all-zero gradients: norm 0, no NaN, nothing scaled", () => {
    const G = guarded(7);
    f32fill(G, 0, 7);
    expect<f64>(clip(G, 7, 1)).toBe(0);
    for (let i = 0; i < 7; i++) expect<u32>(bitsAt(G, i)).toBe(0);
    freeGuarded(G);
  });
});

// ── the dry passes ─────────────────────────────────────────────────────────────────────

/** Bits of n floats at p, to compare a buffer before and after (NaN payloads included). */
function sameBits(p: usize, q: usize, n: i32, what: string): void {
  for (let i = 0; i < n; i++) if (bitsAt(p, i) != bitsAt(q, i)) { mismatch(at(p, i), at(q, i), `${what} at ${i}`); return; }
}

/** Every one of n floats at p finite. */
function allFinite(p: usize, n: i32): bool {
  for (let i = 0; i < n; i++) if (!isFinite<f32>(at(p, i))) return false;
  return true;
}

describe("sgd_update_finite, adam_update_finite: the update's values computed, none written", () => {
  it("finite inputs and a sane step: true, and nothing written (every buffer's bits kept)", () => {
    reseed(35);
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
      fillRandom(P, n, -1, 1); fillRandom(G, n, -3, 3); fillRandom(M, n, -1, 1); fillRandom(V, n, 0, 1);
      const P0 = copyOf(P, n), G0 = copyOf(G, n), M0 = copyOf(M, n), V0 = copyOf(V, n);
      expect<bool>(sgd_update_finite(P, G, M, n, 0.1, 0)).toBe(true, `sgd n=${n}`);
      expect<bool>(sgd_update_finite(P, G, M, n, 0.1, 0.9)).toBe(true, `momentum n=${n}`);
      expect<bool>(adam_update_finite(P, G, M, V, n, 0.1, 0.9, 0.999, 1e-8, 3)).toBe(true, `adam n=${n}`);
      expect<bool>(sgd_update_finite(P, G, M, n, 0.1, 0.9, 0.01)).toBe(true, `momentum, decay n=${n}`);
      expect<bool>(adam_update_finite(P, G, M, V, n, 0.1, 0.9, 0.999, 1e-8, 3, 0.01, false)).toBe(true, `adam, L2 n=${n}`);
      expect<bool>(adam_update_finite(P, G, M, V, n, 0.1, 0.9, 0.999, 1e-8, 3, 0.01, true)).toBe(true, `adamw n=${n}`);
      sameBits(P, P0, n, `n=${n} params`); sameBits(G, G0, n, `n=${n} grads`);
      sameBits(M, M0, n, `n=${n} m`); sameBits(V, V0, n, `n=${n} v`);
      expectGuards(P, n, "P"); expectGuards(G, n, "G"); expectGuards(M, n, "M"); expectGuards(V, n, "V");
      freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
      heap.free(P0); heap.free(G0); heap.free(M0); heap.free(V0);
    }
  });
  it("one overflowing value anywhere (each lane of the vector part and the tail): false, and the real pass does overflow there", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      for (let bad = 0; bad < n; bad++) {
        const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
        // sgd, lr = 3e38 (finite in f32): |g| = 0.5 moves p by 1.5e38, |g| = 2 by 6e38 > FLT_MAX.
        f32fill(P, 0.5, n); f32fill(G, 0.5, n); f32fill(M, 0, n); f32fill(V, 0, n);
        put(G, bad, 2);
        expect<bool>(sgd_update_finite(P, G, M, n, 3e38, 0)).toBe(false, `sgd n=${n}, p[${bad}] overflows`);
        sgd_update(P, G, M, n, 3e38, 0);
        expect<bool>(allFinite(P, n)).toBe(false, `sgd n=${n}: the real pass overflows too`);
        // momentum: buf ← 0.9·buf + g with buf = 3e38 at `bad` overflows the buffer; lr = 0 keeps p.
        f32fill(P, 0.5, n); f32fill(G, 0.5, n); f32fill(M, 1, n);
        put(M, bad, 3e38); put(G, bad, 1e38);
        expect<bool>(sgd_update_finite(P, G, M, n, 0, 0.9)).toBe(false, `momentum n=${n}, buf[${bad}] overflows`);
        // adam: g = 1e20 gives g² = inf, so v is inf while p (m/inf = 0) stays finite: a moment alone.
        f32fill(P, 0.5, n); f32fill(G, 0.5, n); f32fill(M, 0, n); f32fill(V, 0, n);
        put(G, bad, 1e20);
        expect<bool>(adam_update_finite(P, G, M, V, n, 0.001, 0.9, 0.999, 1e-8, 1)).toBe(false, `adam n=${n}, v[${bad}] overflows`);
        adam_update(P, G, M, V, n, 0.001, 0.9, 0.999, 1e-8, 1);
        expect<bool>(allFinite(P, n)).toBe(true, `adam n=${n}: p stays finite`);
        expect<bool>(allFinite(V, n)).toBe(false, `adam n=${n}: v overflows in the real pass`);
        freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
      }
    }
  });
  it("weight decay is in the dry pass: an overflow that only the decay causes gives false (each lane and the tail)", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      for (let bad = 0; bad < n; bad++) {
        const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
        // p = 0.5 everywhere, then 2 at `bad`. SGD, λ = 3e38: g' = 0.5 + 1.5e38 is finite, 0.5 + 6e38
        // is not. Adam (L2), λ = 2e19: g'² = 1e38 is finite, (4e19)² is not. AdamW, lr·λ = 3e38:
        // p·(1 − 3e38) is −1.5e38 at p = 0.5 and −Infinity at p = 2.
        f32fill(P, 0.5, n); f32fill(G, 0.5, n); f32fill(M, 0, n); f32fill(V, 0, n);
        expect<bool>(sgd_update_finite(P, G, M, n, 0.1, 0, 3e38)).toBe(true, `sgd λ n=${n}: finite before`);
        expect<bool>(sgd_update_finite(P, G, M, n, 0.1, 0.5, 3e38)).toBe(true, `momentum λ n=${n}: finite before`);
        expect<bool>(adam_update_finite(P, G, M, V, n, 0.001, 0.9, 0.999, 1e-8, 1, 2e19, false)).toBe(true, `adam λ n=${n}: finite before`);
        expect<bool>(adam_update_finite(P, G, M, V, n, 1, 0.9, 0.999, 1e-8, 1, 3e38, true)).toBe(true, `adamw n=${n}: finite before`);
        put(P, bad, 2);
        expect<bool>(sgd_update_finite(P, G, M, n, 0.1, 0)).toBe(true, `sgd n=${n}: no decay, finite`);
        expect<bool>(sgd_update_finite(P, G, M, n, 0.1, 0, 3e38)).toBe(false, `sgd λ n=${n}, p[${bad}] overflows`);
        expect<bool>(sgd_update_finite(P, G, M, n, 0.1, 0.5, 3e38)).toBe(false, `momentum λ n=${n}, buf[${bad}] overflows`);
        expect<bool>(adam_update_finite(P, G, M, V, n, 0.001, 0.9, 0.999, 1e-8, 1, 2e19, false)).toBe(false, `adam λ n=${n}, v[${bad}] overflows`);
        expect<bool>(adam_update_finite(P, G, M, V, n, 1, 0.9, 0.999, 1e-8, 1, 3e38, true)).toBe(false, `adamw n=${n}, p[${bad}] overflows`);
        adam_update(P, G, M, V, n, 1, 0.9, 0.999, 1e-8, 1, 3e38, true);
        expect<bool>(isFinite<f32>(at(P, bad))).toBe(false, `adamw n=${n}: the real pass overflows at ${bad}`);
        if (n > 1) expect<bool>(isFinite<f32>(at(P, bad == 0 ? 1 : 0))).toBe(true, `adamw n=${n}: and only there`);
        freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
      }
    }
  });
  it("NaN or ±Infinity already in a gradient: false", () => {
    const specials: f32[] = [NaN, Infinity, -Infinity];
    for (let c = 0; c < specials.length; c++) {
      const n = 7;
      const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
      f32fill(P, 0.5, n); f32fill(G, 0.5, n); f32fill(M, 0, n); f32fill(V, 0, n);
      put(G, c * 3, specials[c]);          // lanes 0 and 3 of the vector part, and the tail
      expect<bool>(sgd_update_finite(P, G, M, n, 0.1, 0)).toBe(false, `sgd ${specials[c]}`);
      expect<bool>(sgd_update_finite(P, G, M, n, 0.1, 0.5)).toBe(false, `momentum ${specials[c]}`);
      expect<bool>(adam_update_finite(P, G, M, V, n, 0.1, 0.9, 0.999, 1e-8, 1)).toBe(false, `adam ${specials[c]}`);
      freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
    }
  });
});

describe("next_step: Adam's t never wraps", () => {
  it("t + 1 below 2^31 − 1, and 2^31 − 1 stays 2^31 − 1", () => {
    expect<i32>(next_step(0)).toBe(1);
    expect<i32>(next_step(1000)).toBe(1001);
    expect<i32>(next_step(i32.MAX_VALUE - 1)).toBe(i32.MAX_VALUE);
    expect<i32>(next_step(i32.MAX_VALUE)).toBe(i32.MAX_VALUE);
  });
  it("at t = 2^31 − 1 adam_update gives the same bits as at t = 2^30 (1 − β^t is exactly 1 for both)", () => {
    reseed(36);
    const n = 19;
    const P = guarded(n), G = guarded(n), M = guarded(n), V = guarded(n);
    fillRandom(P, n, -1, 1); fillRandom(G, n, -3, 3); fillRandom(M, n, -1, 1); fillRandom(V, n, 0, 1);
    const P2 = copyOf(P, n), M2 = copyOf(M, n), V2 = copyOf(V, n);
    const beta2: f32 = 0.99999994;   // the largest f32 below 1: the slowest β^t to vanish
    adam_update(P, G, M, V, n, 0.01, 0.9, beta2, 1e-8, next_step(i32.MAX_VALUE));
    adam_update(P2, G, M2, V2, n, 0.01, 0.9, beta2, 1e-8, 1 << 30);
    expect<bool>(allFinite(P, n)).toBe(true, "finite parameters");
    sameBits(P, P2, n, "p at 2^31 − 1 vs 2^30");
    sameBits(M, M2, n, "m"); sameBits(V, V2, n, "v");
    freeGuarded(P); freeGuarded(G); freeGuarded(M); freeGuarded(V);
    heap.free(P2); heap.free(M2); heap.free(V2);
  });
});
