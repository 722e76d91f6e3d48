/**
 * The losses of assembly/loss.ts: loss value (f64, unscaled) and gradient (scale·∂loss/∂O).
 *
 * - softmax_xent_forward_backward against softmax_xent_forward_backward_ref (itself checked
 *   once against −log softmax written out here), for k = 1, 3, 4, 7, 8, 9 (tail only, one
 *   vector, vector + tail) and several rows; with large logits (±80, spreads of 1e4) the
 *   loss and gradient stay finite and still match; softmax_probs rows sum to 1 and match an
 *   f64 softmax, also in place.
 * - sigmoid_bce_forward_backward against −[y·log σ(o) + (1 − y)·log σ(−o)] and σ(o) − y in
 *   f64, written here; sigmoid_probs against σ in f64.
 * - mse_forward_backward against (1/k)·Σ(o − y)² and (2/k)(o − y) in f64, written here.
 * - scale: the loss never depends on it; the gradient is multiplied by it (a power of two
 *   scales every gradient bit for bit; scale 0 gives zero gradients).
 * Every output buffer is guarded (nothing written past rows·k) and inputs are left as they were.
 * Tolerances are derived next to each check from the f32 operations the kernel performs.
 */
import {
  softmax_xent_forward_backward, softmax_xent_forward_backward_ref, softmax_probs,
  sigmoid_bce_forward_backward, sigmoid_probs, mse_forward_backward,
} from "../../assembly/loss";
import {
  reseed, rnd, rndInt, guarded, freeGuarded, expectGuards, copyOf, fillRandom, at, put, bitsAt,
  mismatch, ulpErr,
} from "./util";

const EPS: f64 = 1.1920928955078125e-7; // 2^−23, the f32 machine epsilon
const KS: i32[] = [1, 3, 4, 7, 8, 9];
const ROWS: i32[] = [1, 2, 5];

/** Fails if p[0..n) and q[0..n) differ in any bit. */
function expectUnchanged(p: usize, q: usize, n: i32, what: string): void {
  for (let i = 0; i < n; i++) {
    if (bitsAt(p, i) != bitsAt(q, i)) { mismatch(at(p, i), at(q, i), `${what} modified at ${i}`); return; }
  }
}

/** Fails unless every p[0..n) is finite. */
function expectFinite(p: usize, n: i32, what: string): void {
  for (let i = 0; i < n; i++) {
    if (!isFinite(at(p, i))) { expect<bool>(isFinite(at(p, i))).toBe(true, `${what}[${i}] = ${at(p, i)}`); return; }
  }
}

function classTargets(rows: i32, k: i32): usize {
  const T = heap.alloc(<usize>rows << 2);
  for (let r = 0; r < rows; r++) store<i32>(T + (<usize>r << 2), rndInt(k));
  return T;
}

// ── softmax cross-entropy ──────────────────────────────────────────────────────────────

/**
 * Kernel vs ref on logits O (rows×k), targets T. Tolerances, from the kernel's f32 steps:
 *   loss, per row: log of an f32 sum of k exps, each within 1 ULP, of o − m rounded in f32
 *     (relative error ≤ ½ULP·|o − m|, and terms with |o − m| > 16 weigh < e^−16): so
 *     |Δ| ≤ (k + 2 + 16)·2^−23 per row, plus 2^−50 relative for the f64 total;
 *   gradient: p_j = e_j·(scale/sum) has that relative error plus two roundings, then −scale
 *     at the target rounds once more: |Δ| ≤ |scale|·(k + 22)·2^−23.
 */
function xentCheck(O: usize, T: usize, rows: i32, k: i32, scale: f32, what: string): void {
  const n = rows * k;
  const D = guarded(n), R = guarded(n);
  const O0 = copyOf(O, n);
  const loss = softmax_xent_forward_backward(D, O, T, rows, k, scale);
  const lref = softmax_xent_forward_backward_ref(R, O, T, rows, k, scale);
  const ltol = <f64>rows * <f64>(k + 18) * EPS + Math.abs(lref) * Math.pow(2.0, -50);
  expect<f64>(Math.abs(loss - lref)).toBeLessThanOrEqual(ltol, `${what}: loss ${loss} vs ref ${lref}`);
  const gtol = Math.abs(<f64>scale) * <f64>(k + 22) * EPS;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(<f64>at(D, i) - <f64>at(R, i));
    if (!(d <= gtol)) { mismatch(at(D, i), at(R, i), `${what}: gradient at ${i} (row ${i / k}) off by ${d} > ${gtol}`); break; }
  }
  expectFinite(D, n, `${what} dO`);
  expectGuards(D, n, `${what} dO`);
  expectUnchanged(O, O0, n, `${what}: O`);
  freeGuarded(D); freeGuarded(R); heap.free(O0);
}

describe("softmax_xent_forward_backward vs _ref", () => {
  beforeAll(() => { reseed(21); });
  it("the reference is −log softmax(o)[y] and softmax − onehot (written out in f64)", () => {
    const rows = 3, k = 7;
    const O = guarded(rows * k), R = guarded(rows * k);
    fillRandom(O, rows * k, -4, 4);
    const T = classTargets(rows, k);
    const scale: f32 = 0.5;
    const lref = softmax_xent_forward_backward_ref(R, O, T, rows, k, scale);
    let want: f64 = 0;
    for (let r = 0; r < rows; r++) {
      let s: f64 = 0;
      for (let j = 0; j < k; j++) s += Math.exp(<f64>at(O, r * k + j));
      const y = load<i32>(T + (<usize>r << 2));
      want -= Math.log(Math.exp(<f64>at(O, r * k + y)) / s);
      for (let j = 0; j < k; j++) {
        const g = <f64>scale * (Math.exp(<f64>at(O, r * k + j)) / s - (j == y ? 1.0 : 0.0));
        expect<f64>(Math.abs(<f64>at(R, r * k + j) - g)).toBeLessThanOrEqual(EPS, `ref gradient (${r}, ${j})`);
      }
    }
    expect<f64>(Math.abs(lref - want)).toBeLessThanOrEqual(1e-12, "ref loss");
    freeGuarded(O); freeGuarded(R); heap.free(T);
  });
  it("k = 1, 3, 4, 7, 8, 9 on 1, 2 and 5 rows, scale 1 and 1/3", () => {
    for (let a = 0; a < KS.length; a++) {
      for (let b = 0; b < ROWS.length; b++) {
        const k = KS[a], rows = ROWS[b];
        const O = guarded(rows * k);
        fillRandom(O, rows * k, -5, 5);
        const T = classTargets(rows, k);
        xentCheck(O, T, rows, k, 1, `k=${k} rows=${rows}`);
        xentCheck(O, T, rows, k, <f32>(1.0 / 3.0), `k=${k} rows=${rows} scale=1/3`);
        freeGuarded(O); heap.free(T);
      }
    }
  });
  it("k = 1: softmax is [1], so loss and gradient are exactly 0", () => {
    const O = guarded(4), D = guarded(4);
    put(O, 0, 3.5); put(O, 1, -80); put(O, 2, 1e4); put(O, 3, 0);
    const T = heap.alloc(16);
    memory.fill(T, 0, 16); // class 0 in every row
    expect<f64>(softmax_xent_forward_backward(D, O, T, 4, 1, 0.25)).toBe(0);
    for (let i = 0; i < 4; i++) expect<f32>(at(D, i)).toBe(0, `dO[${i}]`);
    expectGuards(D, 4, "k=1 dO");
    freeGuarded(O); freeGuarded(D); heap.free(T);
  });
  it("large logits (±80, ±1e4, spreads of 2e4): finite loss and gradient, matching the ref", () => {
    const k = 9, rows = 6;
    const O = guarded(rows * k);
    // row 0: ±80 mixed with small values; row 1: ±1e4 (spread 2e4); row 2: all 1e4;
    // row 3: all −1e4; row 4: random in ±1e4; row 5: one huge logit, the rest −80.
    const row0: f32[] = [80, -80, 0, 79.5, -79.5, 1, -1, 80, 3];
    for (let j = 0; j < k; j++) {
      put(O, j, row0[j]);
      put(O, k + j, j & 1 ? -1e4 : 1e4);
      put(O, 2 * k + j, 1e4);
      put(O, 3 * k + j, -1e4);
      put(O, 4 * k + j, rnd(-1e4, 1e4));
      put(O, 5 * k + j, j == 4 ? 1e4 : -80);
    }
    const T = heap.alloc(<usize>rows << 2);
    // targets on the smallest logit where there is one: the loss is then ≈ the spread
    const tg: i32[] = [1, 1, 0, 8, 3, 0];
    for (let r = 0; r < rows; r++) store<i32>(T + (<usize>r << 2), tg[r]);
    xentCheck(O, T, rows, k, 1, "large logits");
    xentCheck(O, T, rows, k, 0.125, "large logits, scale 1/8");
    const D = guarded(rows * k);
    const loss = softmax_xent_forward_backward(D, O, T, rows, k, 1);
    expect<bool>(isFinite(loss)).toBe(true, "loss is finite");
    expect<f64>(loss).toBeGreaterThan(2e4, "row 1 alone costs 2e4 (target on a −1e4 logit beside 1e4)");
    freeGuarded(O); freeGuarded(D); heap.free(T);
  });
  it("scale: loss unchanged; scale 1/4 scales the gradient bit for bit; scale 0 zeroes it", () => {
    const k = 7, rows = 5, n = rows * k;
    const O = guarded(n), D1 = guarded(n), D4 = guarded(n), D0 = guarded(n);
    fillRandom(O, n, -6, 6);
    const T = classTargets(rows, k);
    const l1 = softmax_xent_forward_backward(D1, O, T, rows, k, 1);
    const l4 = softmax_xent_forward_backward(D4, O, T, rows, k, 0.25);
    const l0 = softmax_xent_forward_backward(D0, O, T, rows, k, 0);
    expect<f64>(l4).toBe(l1, "the loss is unscaled");
    expect<f64>(l0).toBe(l1, "the loss is unscaled");
    for (let i = 0; i < n; i++) {
      // e·(s/Σ) − s with s = 2^−2: every step is exact scaling by 2^−2 of the s = 1 step.
      if (bitsAt(D4, i) != reinterpret<u32>(at(D1, i) * 0.25)) mismatch(at(D4, i), at(D1, i) * 0.25, `scale 1/4 at ${i}`);
      if (at(D0, i) != 0) mismatch(at(D0, i), 0, `scale 0 at ${i}`);
    }
    freeGuarded(O); freeGuarded(D1); freeGuarded(D4); freeGuarded(D0); heap.free(T);
  });
});

describe("softmax_probs", () => {
  beforeAll(() => { reseed(22); });
  it("rows sum to 1 within (k + 2)·2^−23 and match an f64 softmax within (k + 20)·2^−23 relative", () => {
    // p_j = e_j·(1/Σ): the exps (≤ 1 ULP), o − m rounded (≤ ½ULP·16 on terms that matter),
    // the f32 sum and two roundings: relative error ≤ (k + 20)·2^−23 on each p_j. Their sum,
    // taken here in f64, is then within (k + 2)·2^−23 of 1 (the per-term errors of e and Σ cancel).
    for (let a = 0; a < KS.length; a++) {
      for (let b = 0; b < ROWS.length; b++) {
        const k = KS[a], rows = ROWS[b], n = rows * k;
        const O = guarded(n), P = guarded(n);
        fillRandom(O, n, -8, 8);
        if (b == 2) put(O, 0, 80); // one row dominated by a large logit
        const O0 = copyOf(O, n);
        softmax_probs(P, O, rows, k);
        for (let r = 0; r < rows; r++) {
          let m: f64 = -Infinity, s: f64 = 0, sum: f64 = 0;
          for (let j = 0; j < k; j++) m = Math.max(m, <f64>at(O, r * k + j));
          for (let j = 0; j < k; j++) s += Math.exp(<f64>at(O, r * k + j) - m);
          for (let j = 0; j < k; j++) {
            const p = Math.exp(<f64>at(O, r * k + j) - m) / s;
            const got = <f64>at(P, r * k + j);
            sum += got;
            if (!(Math.abs(got - p) <= p * <f64>(k + 20) * EPS + 1e-37)) {
              expect<f64>(got).toBe(p, `k=${k} rows=${rows}: p(${r}, ${j})`);
            }
          }
          expect<f64>(Math.abs(sum - 1)).toBeLessThanOrEqual(<f64>(k + 2) * EPS, `k=${k} row ${r} sums to ${sum}`);
        }
        expectGuards(P, n, `probs k=${k} rows=${rows}`);
        expectUnchanged(O, O0, n, "probs: O");
        freeGuarded(O); freeGuarded(P); heap.free(O0);
      }
    }
  });
  it("in place (P == O) gives the same probabilities", () => {
    const rows = 3, k = 9, n = rows * k;
    const O = guarded(n), P = guarded(n);
    fillRandom(O, n, -8, 8);
    softmax_probs(P, O, rows, k);
    softmax_probs(O, O, rows, k);
    expectUnchanged(O, P, n, "in-place probs differ from out-of-place");
    expectGuards(O, n, "in-place probs");
    freeGuarded(O); freeGuarded(P);
  });
  it("large logits (±1e4) give finite probabilities summing to 1", () => {
    const k = 5;
    const O = guarded(k), P = guarded(k);
    put(O, 0, 1e4); put(O, 1, -1e4); put(O, 2, 1e4); put(O, 3, 80); put(O, 4, -80);
    softmax_probs(P, O, 1, k);
    expectFinite(P, k, "probs");
    expect<f32>(at(P, 0)).toBe(0.5); expect<f32>(at(P, 2)).toBe(0.5);
    expect<f64>(<f64>at(P, 1) + <f64>at(P, 3) + <f64>at(P, 4)).toBeLessThan(1e-37);
    freeGuarded(O); freeGuarded(P);
  });
});

// ── sigmoid binary cross-entropy ───────────────────────────────────────────────────────

function sigma(x: f64): f64 { return 1.0 / (1.0 + Math.exp(-x)); }

/**
 * Kernel vs the definition in f64: loss = Σ −[y·log σ(o) + (1 − y)·log σ(−o)] (σ(−o) = 1 − σ(o)
 * without the cancellation, valid for |o| < 700), gradient scale·(σ(o) − y).
 * Tolerances: the kernel's loss is exact in f32 for 0/1 targets and then f64 (1e−12 relative
 * covers the f64 rounding); its σ is within 3 ULP (≤ 3·2^−24 absolute, as σ < 1), then σ − y
 * and ·scale round once each: |Δgradient| ≤ |scale|·5·2^−24.
 */
function bceCheck(O: usize, T: usize, rows: i32, k: i32, scale: f32, what: string): void {
  const n = rows * k;
  const D = guarded(n);
  const O0 = copyOf(O, n), T0 = copyOf(T, n);
  const loss = sigmoid_bce_forward_backward(D, O, T, rows, k, scale);
  let want: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <f64>at(O, i), y = <f64>at(T, i);
    want -= y * Math.log(sigma(o)) + (1 - y) * Math.log(sigma(-o));
    const g = <f64>scale * (sigma(o) - y);
    const tol = Math.abs(<f64>scale) * 5.0 * EPS / 2;
    if (!(Math.abs(<f64>at(D, i) - g) <= tol)) { expect<f64>(<f64>at(D, i)).toBe(g, `${what}: gradient at ${i} (o = ${o}, y = ${y})`); break; }
  }
  expect<f64>(Math.abs(loss - want)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want)), `${what}: loss ${loss} vs ${want}`);
  expectGuards(D, n, `${what} dO`);
  expectUnchanged(O, O0, n, `${what}: O`);
  expectUnchanged(T, T0, n, `${what}: targets`);
  freeGuarded(D); heap.free(O0); heap.free(T0);
}

function binaryTargets(n: i32): usize {
  const T = guarded(n);
  for (let i = 0; i < n; i++) put(T, i, <f32>rndInt(2));
  return T;
}

describe("sigmoid_bce_forward_backward vs the f64 definition", () => {
  beforeAll(() => { reseed(23); });
  it("k = 1, 3, 4, 7, 8, 9 on 1, 2 and 5 rows, scale 1 and 1/3", () => {
    for (let a = 0; a < KS.length; a++) {
      for (let b = 0; b < ROWS.length; b++) {
        const k = KS[a], rows = ROWS[b], n = rows * k;
        const O = guarded(n);
        fillRandom(O, n, -8, 8);
        const T = binaryTargets(n);
        bceCheck(O, T, rows, k, 1, `k=${k} rows=${rows}`);
        bceCheck(O, T, rows, k, <f32>(1.0 / 3.0), `k=${k} rows=${rows} scale=1/3`);
        freeGuarded(O); freeGuarded(T);
      }
    }
  });
  it("large logits (±20, ±80, ±100) with both targets", () => {
    const v: f32[] = [20, -20, 80, -80, 100, -100, 0, -0.0];
    const n = v.length * 2;
    const O = guarded(n), T = guarded(n);
    for (let i = 0; i < v.length; i++) { put(O, 2 * i, v[i]); put(T, 2 * i, 0); put(O, 2 * i + 1, v[i]); put(T, 2 * i + 1, 1); }
    bceCheck(O, T, 2, v.length, 1, "large logits");
    freeGuarded(O); freeGuarded(T);
  });
  it("±1e4 logits: finite; the loss of a wrong-side logit is ≈ |o| and of a right-side one ≈ 0", () => {
    const O = guarded(4), T = guarded(4), D = guarded(4);
    put(O, 0, 1e4); put(T, 0, 0);   // −log σ(−1e4) = 1e4 + log1p(e^−1e4) = 1e4
    put(O, 1, -1e4); put(T, 1, 1);  // −log σ(−1e4) = 1e4
    put(O, 2, 1e4); put(T, 2, 1);   // −log σ(1e4) ≈ e^−1e4 = 0
    put(O, 3, -1e4); put(T, 3, 0);  // 0
    const loss = sigmoid_bce_forward_backward(D, O, T, 1, 4, 1);
    expect<f64>(loss).toBe(2e4);
    expectFinite(D, 4, "dO");
    expect<f32>(at(D, 0)).toBe(1); expect<f32>(at(D, 1)).toBe(-1);
    expect<f32>(Mathf.abs(at(D, 2))).toBeLessThan(1e-30); expect<f32>(Mathf.abs(at(D, 3))).toBeLessThan(1e-30);
    freeGuarded(O); freeGuarded(T); freeGuarded(D);
  });
  it("scale: loss unchanged; scale 1/4 scales the gradient bit for bit", () => {
    const n = 19;
    const O = guarded(n), D1 = guarded(n), D4 = guarded(n);
    fillRandom(O, n, -5, 5);
    const T = binaryTargets(n);
    const l1 = sigmoid_bce_forward_backward(D1, O, T, 1, n, 1);
    const l4 = sigmoid_bce_forward_backward(D4, O, T, 1, n, 0.25);
    expect<f64>(l4).toBe(l1);
    for (let i = 0; i < n; i++) {
      if (bitsAt(D4, i) != reinterpret<u32>(at(D1, i) * 0.25)) mismatch(at(D4, i), at(D1, i) * 0.25, `scale 1/4 at ${i}`);
    }
    freeGuarded(O); freeGuarded(D1); freeGuarded(D4); freeGuarded(T);
  });
});

describe("sigmoid_probs", () => {
  beforeAll(() => { reseed(24); });
  it("P = σ(O) within 3 ULP of the f64 σ, vector and tail, in place too; nothing past rows·k", () => {
    for (let a = 0; a < KS.length; a++) {
      const k = KS[a], rows = 3, n = rows * k;
      const O = guarded(n), P = guarded(n);
      fillRandom(O, n, -20, 20);
      const O0 = copyOf(O, n);
      sigmoid_probs(P, O, rows, k);
      for (let i = 0; i < n; i++) {
        const e = ulpErr(at(P, i), sigma(<f64>at(O, i)));
        if (!(e <= 3)) expect<f64>(e).toBeLessThanOrEqual(3, `σ(${at(O, i)}) = ${at(P, i)}`);
      }
      expectGuards(P, n, `sigmoid_probs k=${k}`);
      sigmoid_probs(O, O, rows, k);
      expectUnchanged(O, P, n, "in-place sigmoid_probs");
      expectGuards(O, n, `in-place sigmoid_probs k=${k}`);
      freeGuarded(O); freeGuarded(P); heap.free(O0);
    }
  });
});

// ── mean squared error ─────────────────────────────────────────────────────────────────

describe("mse_forward_backward vs the f64 definition", () => {
  beforeAll(() => { reseed(25); });
  it("loss Σ_rows (1/k)·Σ_j (o − y)², gradient scale·(2/k)(o − y), for every k and row count", () => {
    // The kernel rounds e = o − y in f32 (½ULP), then squares in f64: loss relative error
    // ≤ 2^−23. Its gradient rounds scale·2/k, e, and the product: ≤ 3·2^−24 ≤ 2^−22 relative.
    const scales: f32[] = [1, <f32>(1.0 / 3.0)];
    for (let a = 0; a < KS.length; a++) {
      for (let b = 0; b < ROWS.length; b++) {
        for (let c = 0; c < scales.length; c++) {
          const k = KS[a], rows = ROWS[b], n = rows * k, scale = scales[c];
          const O = guarded(n), T = guarded(n), D = guarded(n);
          fillRandom(O, n, -3, 3);
          fillRandom(T, n, -3, 3);
          const O0 = copyOf(O, n), T0 = copyOf(T, n);
          const loss = mse_forward_backward(D, O, T, rows, k, scale);
          let want: f64 = 0;
          for (let r = 0; r < rows; r++) {
            let s: f64 = 0;
            for (let j = 0; j < k; j++) { const e = <f64>at(O, r * k + j) - <f64>at(T, r * k + j); s += e * e; }
            want += s / <f64>k;
          }
          expect<f64>(Math.abs(loss - want)).toBeLessThanOrEqual(want * EPS + 1e-30, `k=${k} rows=${rows}: loss`);
          for (let i = 0; i < n; i++) {
            const g = <f64>scale * 2.0 / <f64>k * (<f64>at(O, i) - <f64>at(T, i));
            if (!(Math.abs(<f64>at(D, i) - g) <= Math.abs(g) * 2 * EPS)) {
              expect<f64>(<f64>at(D, i)).toBe(g, `k=${k} rows=${rows} scale=${scale}: gradient at ${i}`);
              break;
            }
          }
          expectGuards(D, n, `mse k=${k} rows=${rows}`);
          expectUnchanged(O, O0, n, "mse: O");
          expectUnchanged(T, T0, n, "mse: targets");
          freeGuarded(O); freeGuarded(T); freeGuarded(D); heap.free(O0); heap.free(T0);
        }
      }
    }
  });
  it("hand-computed: o = [1, 2, 3], y = [0, 0, 5] gives loss (1 + 4 + 4)/3 = 3, gradient (2/3)·[1, 2, −2]", () => {
    const O = guarded(3), T = guarded(3), D = guarded(3);
    put(O, 0, 1); put(O, 1, 2); put(O, 2, 3);
    put(T, 0, 0); put(T, 1, 0); put(T, 2, 5);
    expect<f64>(mse_forward_backward(D, O, T, 1, 3, 1)).toBe(3);
    expect<f32>(at(D, 0)).toBe(<f32>(2.0 / 3.0)); // (2/3)·1, one rounding
    expect<f32>(at(D, 1)).toBe(<f32>(4.0 / 3.0)); // 2·fl(2/3) is exact
    expect<f32>(at(D, 2)).toBe(<f32>(-4.0 / 3.0));
    freeGuarded(O); freeGuarded(T); freeGuarded(D);
  });
  it("scale: loss unchanged; scale 1/4 scales the gradient bit for bit", () => {
    const n = 19;
    const O = guarded(n), T = guarded(n), D1 = guarded(n), D4 = guarded(n);
    fillRandom(O, n, -5, 5); fillRandom(T, n, -5, 5);
    const l1 = mse_forward_backward(D1, O, T, 1, n, 1);
    const l4 = mse_forward_backward(D4, O, T, 1, n, 0.25);
    expect<f64>(l4).toBe(l1);
    for (let i = 0; i < n; i++) {
      if (bitsAt(D4, i) != reinterpret<u32>(at(D1, i) * 0.25)) mismatch(at(D4, i), at(D1, i) * 0.25, `scale 1/4 at ${i}`);
    }
    freeGuarded(O); freeGuarded(T); freeGuarded(D1); freeGuarded(D4);
  });
});

// ── row weights (ignored targets, class and sample weights) ─────────────────────────────
// Each *_forward_backward with a weights tensor ω (rows f32): loss Σ_r ω_r·loss_r and gradient
// rows (scale·ω_r)·∂loss_r/∂o; a row with ω_r = 0 is zero and its target is never read; a
// tensor of ones gives the unweighted bits (softmax: the same loop; BCE and MSE: the same
// per-element values, the loss summed per row first).

/** ω for `rows` rows: 0 on every third row, 1 on every fifth, otherwise in (0.25, 3). */
function rowWeights(rows: i32): usize {
  const W = heap.alloc(<usize>rows << 2);
  for (let r = 0; r < rows; r++) store<f32>(W + (<usize>r << 2), r % 3 == 0 ? 0 : r % 5 == 0 ? 1 : rnd(0.25, 3));
  return W;
}

function ones(rows: i32): usize {
  const W = heap.alloc(<usize>rows << 2);
  for (let r = 0; r < rows; r++) store<f32>(W + (<usize>r << 2), 1);
  return W;
}

type Kernel = (dO: usize, O: usize, targets: usize, rows: i32, k: i32, scale: f32, weights: usize) => f64;

/**
 * Weighted against unweighted, row by row: loss_r weighted = ω_r·loss_r (f64), gradient =
 * ω_r·(unweighted at scale) within a few f32 roundings; ω = 0 rows exactly zero.
 */
function weightedCheck(kernel: Kernel, O: usize, T: usize, rows: i32, k: i32, tw: i32, what: string): void {
  const n = rows * k;
  const W = rowWeights(rows), D = guarded(n);
  const scale: f32 = 0.25;
  const loss = kernel(D, O, T, rows, k, scale, W);
  let want: f64 = 0;
  const Dr = guarded(k);
  for (let r = 0; r < rows; r++) {
    const w = load<f32>(W + (<usize>r << 2));
    if (w == 0) {
      for (let j = 0; j < k; j++) if (bitsAt(D, r * k + j) != 0) { mismatch(at(D, r * k + j), 0, `${what}: ω = 0 row ${r} not zero at ${j}`); break; }
      continue;
    }
    want += <f64>w * kernel(Dr, O + (<usize>(r * k) << 2), T + (<usize>(r * tw) << 2), 1, k, scale, 0);
    for (let j = 0; j < k; j++) {
      const g = <f64>at(D, r * k + j), e = <f64>w * <f64>at(Dr, j);
      // ω·(unweighted) against the kernel's own (scale·ω)/Σ: a few roundings of the terms
      // before the cancellation at the target (p − 1), so relative to |e| + scale·ω.
      if (!(Math.abs(g - e) <= 4 * EPS * (Math.abs(e) + <f64>scale * <f64>w))) { mismatch(at(D, r * k + j), <f32>e, `${what}: row ${r} gradient at ${j}`); break; }
    }
  }
  expect<f64>(Math.abs(loss - want)).toBeLessThanOrEqual(Math.abs(want) * 1e-12 + 1e-300, `${what}: loss ${loss} vs Σ ω·loss ${want}`);
  expectGuards(D, n, `${what} dO`);
  freeGuarded(D); freeGuarded(Dr); heap.free(W);
}

describe("row weights", () => {
  beforeAll(() => { reseed(77); });
  it("softmax: ω·loss and ω·gradient per row, ω = 0 rows zero with an out-of-range target never read", () => {
    for (let a = 0; a < KS.length; a++) {
      const k = KS[a], rows = 7;
      const O = guarded(rows * k);
      fillRandom(O, rows * k, -5, 5);
      const T = classTargets(rows, k);
      for (let r = 0; r < rows; r += 3) store<i32>(T + (<usize>r << 2), -100);   // ω = 0 rows: PyTorch's ignore_index
      weightedCheck(softmax_xent_forward_backward, O, T, rows, k, 1, `softmax k=${k}`);
      freeGuarded(O); heap.free(T);
    }
  });
  it("sigmoid BCE and MSE: ω·loss and ω·gradient per row, ω = 0 rows zero", () => {
    for (let a = 0; a < KS.length; a++) {
      const k = KS[a], rows = 7, n = rows * k;
      const O = guarded(n), T = guarded(n), Y = guarded(n);
      fillRandom(O, n, -5, 5);
      fillRandom(Y, n, -2, 2);
      for (let i = 0; i < n; i++) put(T, i, rnd(0, 1) < 0.5 ? 0 : 1);
      weightedCheck(sigmoid_bce_forward_backward, O, T, rows, k, k, `bce k=${k}`);
      weightedCheck(mse_forward_backward, O, Y, rows, k, k, `mse k=${k}`);
      freeGuarded(O); freeGuarded(T); freeGuarded(Y);
    }
  });
  it("weights of 1: the unweighted gradient bit for bit (and softmax's loss too)", () => {
    const k = 9, rows = 5, n = rows * k;
    const O = guarded(n), D0 = guarded(n), D1 = guarded(n), Y = guarded(n);
    fillRandom(O, n, -6, 6);
    fillRandom(Y, n, -1, 1);
    const T = classTargets(rows, k), W = ones(rows);
    const l0 = softmax_xent_forward_backward(D0, O, T, rows, k, 0.2, 0);
    const l1 = softmax_xent_forward_backward(D1, O, T, rows, k, 0.2, W);
    expect<f64>(l1).toBe(l0, "softmax loss");
    for (let i = 0; i < n; i++) if (bitsAt(D0, i) != bitsAt(D1, i)) { mismatch(at(D1, i), at(D0, i), `softmax at ${i}`); break; }
    const m0 = mse_forward_backward(D0, O, Y, rows, k, 0.2, 0);
    const m1 = mse_forward_backward(D1, O, Y, rows, k, 0.2, W);
    expect<f64>(Math.abs(m1 - m0)).toBeLessThanOrEqual(Math.abs(m0) * 1e-15, "mse loss (summed per row first)");
    for (let i = 0; i < n; i++) if (bitsAt(D0, i) != bitsAt(D1, i)) { mismatch(at(D1, i), at(D0, i), `mse at ${i}`); break; }
    for (let i = 0; i < n; i++) put(Y, i, rnd(0, 1) < 0.5 ? 0 : 1);
    const b0 = sigmoid_bce_forward_backward(D0, O, Y, rows, k, 0.2, 0);
    const b1 = sigmoid_bce_forward_backward(D1, O, Y, rows, k, 0.2, W);
    expect<f64>(Math.abs(b1 - b0)).toBeLessThanOrEqual(Math.abs(b0) * 1e-15, "bce loss (summed per row first)");
    for (let i = 0; i < n; i++) if (bitsAt(D0, i) != bitsAt(D1, i)) { mismatch(at(D1, i), at(D0, i), `bce at ${i}`); break; }
    freeGuarded(O); freeGuarded(D0); freeGuarded(D1); freeGuarded(Y); heap.free(T); heap.free(W);
  });
  it("softmax_xent_forward_backward_ref takes the same weights", () => {
    const k = 7, rows = 6, n = rows * k;
    const O = guarded(n);
    fillRandom(O, n, -5, 5);
    const T = classTargets(rows, k), W = rowWeights(rows);
    const D = guarded(n), R = guarded(n);
    const l = softmax_xent_forward_backward(D, O, T, rows, k, 0.5, W);
    const lr = softmax_xent_forward_backward_ref(R, O, T, rows, k, 0.5, W);
    expect<f64>(Math.abs(l - lr)).toBeLessThanOrEqual(<f64>rows * 3 * <f64>(k + 18) * EPS, "loss");
    for (let i = 0; i < n; i++) {
      if (!(Math.abs(<f64>at(D, i) - <f64>at(R, i)) <= 1.5 * <f64>(k + 22) * EPS)) { mismatch(at(D, i), at(R, i), `gradient at ${i}`); break; }
    }
    freeGuarded(O); freeGuarded(D); freeGuarded(R); heap.free(T); heap.free(W);
  });
});
