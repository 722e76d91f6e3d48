/**
 * The elementwise activations of assembly/activation.ts against their scalar references.
 *
 * For each forward kernel (f32_vexp, f32_vtanh, f32_vsigmoid, f32_vrelu), XNNPACK's
 * vunary battery against the *_ref beside it: n == 4, n a multiple of 4, n < 4 (tail only),
 * n > 4 not a multiple (vector + tail), in place (y == x), and special values (0, −0, ±10,
 * ±Inf, NaN, ±1e−30, ±100, the clamp edges) pushed through both the vector loop and the
 * scalar tail. Every call runs on guarded buffers, so a kernel that writes outside [0, n)
 * (the padding lanes of a partial last vector included) fails.
 *
 * Accuracy is measured against the exact function (f64), in f32 ULPs, over dense sweeps
 * (100k points on [−20, 20], exp on its whole range [−87, 88], a log-spaced sweep of
 * ±[2^−40, 1], and the branch points of tanh), and each maximum is asserted below the bound
 * the kernel claims. Measured (the tests print these; wasm f32 arithmetic is deterministic):
 *   exp      0.95 ULP on [−87, 88]                   (claim: ≤ 2)
 *   tanh     1.30 ULP, near x = 0.64 (branch switch)  (asserted ≤ 2; the kernel says "a few")
 *   sigmoid  2.37 ULP on [−87, 20]                    (asserted ≤ 3)
 * tanh must also keep the sign of zero and reach exactly ±1 where tanh rounds to ±1.
 * Documented departures from the exact function, asserted as such:
 *   exp clamps its input to [−87, 88]: exp(x > 88) = e^88 ≈ 1.65e38 (not +Inf) and
 *   exp(x < −87) = e^−87 ≈ 1.65e−38 (not the subnormal/zero exact value); sigmoid inherits
 *   the lower clamp, so σ(x < −87) = e^−87, an absolute error below 1.7e−38.
 *
 * The backward kernels (dz from dh and the saved output h) are compared bit for bit with
 * the scalar formula they state, written out here, including dz aliasing dh.
 */
import {
  f32_vexp, f32_vexp_ref, f32_vtanh, f32_vtanh_ref, f32_vsigmoid, f32_vsigmoid_ref,
  f32_vrelu, f32_vrelu_ref, f32_vtanh_backward, f32_vsigmoid_backward, f32_vrelu_backward,
} from "../../assembly/activation";
import {
  reseed, rnd, guarded, freeGuarded, expectGuards, copyOf, fillRandom, at, put, bitsAt,
  ulpDist, ulpErr, mismatch, show,
} from "./util";
import { pad4 } from "../../assembly/simd";

type Unary = (y: usize, x: usize, n: i32) => void;
type Backward = (dz: usize, dh: usize, h: usize, n: i32) => void;
type Formula = (dh: f32, h: f32) => f32;
type Exact = (x: f64) => f64;

// ── forward: kernel vs *_ref ───────────────────────────────────────────────────────────

/** got within `tol` ULP of want; NaN only with NaN; a zero result must also match in sign. */
function closeUlp(got: f32, want: f32, tol: i64): bool {
  if (isNaN(want) || isNaN(got)) return isNaN(want) && isNaN(got);
  if (want == 0) return reinterpret<u32>(got) == reinterpret<u32>(want);
  return ulpDist(got, want) <= tol;
}

/**
 * kern vs ref on n uniform inputs in [lo, hi), `tol` ULP apart at most; in place (y == x)
 * if asked. Also: x is not modified, and nothing outside [0, n) of x or y is written.
 */
function unary(name: string, kern: Unary, ref: Unary, tol: i64, n: i32, lo: f32, hi: f32, inPlace: bool): void {
  const X = guarded(n), Y = guarded(n), R = guarded(n);
  fillRandom(X, n, lo, hi);
  const X0 = copyOf(X, n);
  ref(R, X, n);
  if (inPlace) {
    memory.copy(Y, X, <usize>n << 2);
    kern(Y, Y, n);
  } else {
    kern(Y, X, n);
  }
  for (let i = 0; i < n; i++) {
    if (!closeUlp(at(Y, i), at(R, i), tol)) {
      mismatch(at(Y, i), at(R, i), `${name} n=${n} inPlace=${inPlace} x[${i}]=${at(X0, i)}: more than ${tol} ULP from the reference`);
    }
    if (!inPlace && bitsAt(X, i) != bitsAt(X0, i)) mismatch(at(X, i), at(X0, i), `${name} modified its input at ${i}`);
  }
  expectGuards(Y, n, `${name} y`);
  expectGuards(X, n, `${name} x`);
  freeGuarded(X); freeGuarded(Y); freeGuarded(R); heap.free(X0);
}

// Special inputs. ±0.625 is tanh's branch point; 9–10 its saturation; 88/−87 exp's clamp.
const SPECIALS: f32[] = [
  0, -0.0, 10, -10, Infinity, -Infinity, NaN, 1e-30, -1e-30, 100, -100, 1, -1, 0.5, -0.5,
  0.625, -0.625, 9, -9, 9.5, 20, 88, -87, 89, -88, 1.17549435e-38, -1.4e-45, 3.40282347e38, -3.40282347e38,
];

/**
 * Each special value v, seven copies (lanes 0–3 through the vector loop, 4–6 through the
 * scalar tail), against ref(clamp(v, clampLo, clampHi)) within `tol` ULP, signed zeros
 * exact. The clamp states each kernel's documented input range (±Infinity: none).
 */
function specials(name: string, kern: Unary, ref: Unary, tol: i64, clampLo: f32, clampHi: f32): void {
  const n = 7;
  const X = guarded(n), Y = guarded(n), R = guarded(1), C = guarded(1);
  for (let s = 0; s < SPECIALS.length; s++) {
    const v = SPECIALS[s];
    for (let i = 0; i < n; i++) put(X, i, v);
    put(C, 0, min<f32>(max<f32>(v, clampLo), clampHi)); // NaN stays NaN (f32.max/min propagate it)
    ref(R, C, 1);
    kern(Y, X, n);
    for (let i = 0; i < n; i++) {
      if (!closeUlp(at(Y, i), at(R, 0), tol)) {
        mismatch(at(Y, i), at(R, 0), `${name}(${show(v)}) in lane ${i}: over ${tol} ULP from the reference, or a zero of the wrong sign`);
      }
    }
    expectGuards(Y, n, `${name} y`);
  }
  freeGuarded(X); freeGuarded(Y); freeGuarded(R); freeGuarded(C);
}

/**
 * Padding lanes: a tensor of n floats is stored in pad4(n) with zero padding (layout.ts).
 * Running the kernel over n must leave the padding lanes +0 and the guard beyond untouched.
 */
function padding(name: string, kern: Unary): void {
  for (let n = 1; n <= 11; n++) {
    const p = pad4(n);
    const X = guarded(p), Y = guarded(p);
    fillRandom(X, n, -3, 3);
    for (let i = n; i < p; i++) { put(X, i, 0); put(Y, i, 0); }
    kern(Y, X, n);
    for (let i = n; i < p; i++) {
      if (bitsAt(Y, i) != 0) expect<u32>(bitsAt(Y, i)).toBe(0, `${name} n=${n}: padding lane ${i} changed`);
    }
    expectGuards(Y, p, `${name} n=${n} y`);
    freeGuarded(X); freeGuarded(Y);
  }
}

// ── accuracy sweeps against the exact function ─────────────────────────────────────────

function exactExp(x: f64): f64 { return Math.exp(x); }
function exactTanh(x: f64): f64 { return Math.tanh(x); }
function exactSigmoid(x: f64): f64 {
  // Both forms exact in f64 for the f32 range (no overflow: the exponent is never positive).
  if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1.0 + e);
}

const SWEEP_N = 100000;
const SX = heap.alloc(<usize>SWEEP_N << 2);
const SY = heap.alloc(<usize>SWEEP_N << 2);
let worstAt: f32 = 0;

/** Max error in ULP of kern against exact on SWEEP_N points evenly spaced over [lo, hi]. */
function sweepLinear(kern: Unary, exact: Exact, lo: f64, hi: f64): f64 {
  for (let i = 0; i < SWEEP_N; i++) put(SX, i, <f32>(lo + (hi - lo) * <f64>i / <f64>(SWEEP_N - 1)));
  return sweepMax(kern, exact);
}

/** Max error in ULP on ±2^e for SWEEP_N/2 exponents e evenly spaced over [−40, 0] (near 0). */
function sweepNearZero(kern: Unary, exact: Exact): f64 {
  const half = SWEEP_N >> 1;
  for (let i = 0; i < half; i++) {
    const v = <f32>Math.pow(2.0, -40.0 + 40.0 * <f64>i / <f64>(half - 1));
    put(SX, 2 * i, v);
    put(SX, 2 * i + 1, -v);
  }
  return sweepMax(kern, exact);
}

function sweepMax(kern: Unary, exact: Exact): f64 {
  kern(SY, SX, SWEEP_N);
  let worst: f64 = 0;
  for (let i = 0; i < SWEEP_N; i++) {
    const e0 = ulpErr(at(SY, i), exact(<f64>at(SX, i)));
    const e = isNaN(e0) ? Infinity : e0; // a NaN result where the function is finite: unbounded error
    if (e > worst) { worst = e; worstAt = at(SX, i); }
  }
  return worst;
}

/** Asserts a measured max error is within the bound, and prints it. */
function bound(what: string, worst: f64, limit: f64): void {
  log<string>(`${what}: max ${worst} ULP at x = ${worstAt} (bound ${limit})`);
  expect<f64>(worst).toBeLessThanOrEqual(limit, `${what}: max error ${worst} ULP at x = ${worstAt}`);
}

// ── backward: kernel vs the stated formula ─────────────────────────────────────────────

function tanhBack(dh: f32, h: f32): f32 { return dh * (1.0 - h * h); }      // dz = dh·(1 − h²)
function sigmoidBack(dh: f32, h: f32): f32 { return dh * (h * (1.0 - h)); } // dz = dh·h·(1 − h)
function reluBack(dh: f32, h: f32): f32 { return h > 0 ? dh : 0; }          // dz = h > 0 ? dh : 0

/** kern vs formula, bit for bit, on n random (dh, h); dz aliasing dh if asked; guards intact. */
function backward(name: string, kern: Backward, f: Formula, n: i32, hlo: f32, hhi: f32, alias: bool): void {
  const DH = guarded(n), H = guarded(n), DZ = guarded(n);
  fillRandom(DH, n, -2, 2);
  fillRandom(H, n, hlo, hhi);
  const DH0 = copyOf(DH, n), H0 = copyOf(H, n);
  if (alias) {
    kern(DH, DH, H, n);
    memory.copy(DZ, DH, <usize>n << 2);
  } else {
    kern(DZ, DH, H, n);
  }
  for (let i = 0; i < n; i++) {
    const want = f(at(DH0, i), at(H0, i));
    if (!(reinterpret<u32>(want) == bitsAt(DZ, i) || (isNaN(want) && isNaN(at(DZ, i))))) {
      mismatch(at(DZ, i), want, `${name} n=${n} alias=${alias} at ${i}: dh=${at(DH0, i)} h=${at(H0, i)}`);
    }
    if (bitsAt(H, i) != bitsAt(H0, i)) mismatch(at(H, i), at(H0, i), `${name} modified h at ${i}`);
    if (!alias && bitsAt(DH, i) != bitsAt(DH0, i)) mismatch(at(DH, i), at(DH0, i), `${name} modified dh at ${i}`);
  }
  expectGuards(alias ? DH : DZ, n, `${name} dz`);
  expectGuards(H, n, `${name} h`);
  freeGuarded(DH); freeGuarded(H); freeGuarded(DZ); heap.free(DH0); heap.free(H0);
}

const H_SPECIAL: f32[] = [1, -1, 0, -0.0, 0.5, -0.5, 1e-30, NaN, Infinity];
const DH_SPECIAL: f32[] = [0, -0.0, 1, -3, 1e-30, Infinity, -Infinity, NaN];

/** Every (dh, h) pair of special values, five copies (vector lanes 0–3, tail lane 4), bit for bit. */
function backwardSpecials(name: string, kern: Backward, f: Formula): void {
  const n = 5;
  const DH = guarded(n), H = guarded(n), DZ = guarded(n);
  for (let a = 0; a < DH_SPECIAL.length; a++) {
    for (let b = 0; b < H_SPECIAL.length; b++) {
      const dh = DH_SPECIAL[a], h = H_SPECIAL[b];
      for (let i = 0; i < n; i++) { put(DH, i, dh); put(H, i, h); }
      kern(DZ, DH, H, n);
      const want = f(dh, h);
      for (let i = 0; i < n; i++) {
        if (!(reinterpret<u32>(want) == bitsAt(DZ, i) || (isNaN(want) && isNaN(at(DZ, i))))) {
          mismatch(at(DZ, i), want, `${name}(dh=${show(dh)}, h=${show(h)}) lane ${i}`);
        }
      }
      expectGuards(DZ, n, `${name} dz`);
    }
  }
  freeGuarded(DH); freeGuarded(H); freeGuarded(DZ);
}

function backwardPadding(name: string, kern: Backward): void {
  for (let n = 1; n <= 11; n++) {
    const p = pad4(n);
    const DH = guarded(p), H = guarded(p), DZ = guarded(p);
    fillRandom(DH, n, -2, 2);
    fillRandom(H, n, -1, 1);
    for (let i = n; i < p; i++) { put(DH, i, 0); put(H, i, 0); put(DZ, i, 0); }
    kern(DZ, DH, H, n);
    for (let i = n; i < p; i++) {
      if (bitsAt(DZ, i) != 0) expect<u32>(bitsAt(DZ, i)).toBe(0, `${name} n=${n}: padding lane ${i} changed`);
    }
    expectGuards(DZ, p, `${name} n=${n} dz`);
    freeGuarded(DH); freeGuarded(H); freeGuarded(DZ);
  }
}

// ── the tests ──────────────────────────────────────────────────────────────────────────
// Tolerances against the *_ref (integer ULP distance; the refs are exact-ish: musl expf,
// f64 tanh and sigmoid rounded once): exp 2 ULP (the kernel's claim), tanh 2, sigmoid 3,
// relu 0 (bit for bit).

const NEG_INF: f32 = -Infinity, POS_INF: f32 = Infinity;

describe("f32_vexp vs f32_vexp_ref (≤ 2 ULP)", () => {
  beforeAll(() => { reseed(1); });
  it("n == 4", () => { unary("exp", f32_vexp, f32_vexp_ref, 2, 4, -20, 20, false); });
  it("n a multiple of 4", () => { for (let n = 8; n <= 64; n += 8) unary("exp", f32_vexp, f32_vexp_ref, 2, n, -87, 88, false); });
  it("n < 4 (tail only)", () => { for (let n = 1; n < 4; n++) unary("exp", f32_vexp, f32_vexp_ref, 2, n, -20, 20, false); });
  it("n > 4, not a multiple (vector + tail)", () => { for (let n = 5; n <= 67; n += 2) unary("exp", f32_vexp, f32_vexp_ref, 2, n, -87, 88, false); });
  it("in place (y == x)", () => { for (let n = 1; n <= 19; n++) unary("exp", f32_vexp, f32_vexp_ref, 2, n, -20, 20, true); });
  // Outside [−87, 88] the documented value is exp of the clamped input.
  it("special values (input clamped to [−87, 88] as documented)", () => { specials("exp", f32_vexp, f32_vexp_ref, 2, -87, 88); });
  it("exp(+Inf) = e^88 (finite), exp(−Inf) = e^−87; NaN gives NaN", () => {
    const X = guarded(3), Y = guarded(3);
    put(X, 0, Infinity); put(X, 1, -Infinity); put(X, 2, NaN);
    f32_vexp(Y, X, 3);
    expect<f64>(ulpErr(at(Y, 0), Math.exp(88.0))).toBeLessThanOrEqual(2.0, "exp(+Inf) is e^88 within 2 ULP");
    expect<f64>(ulpErr(at(Y, 1), Math.exp(-87.0))).toBeLessThanOrEqual(2.0, "exp(−Inf) is e^−87 within 2 ULP");
    expect<bool>(isNaN(at(Y, 2))).toBe(true, "exp(NaN) is NaN");
    freeGuarded(X); freeGuarded(Y);
  });
  it("padding lanes stay zero; nothing written past n", () => { padding("exp", f32_vexp); });
  it("max error ≤ 2 ULP over 100k points of [−87, 88], [−20, 20] and ±[2^−40, 1]", () => {
    bound("exp on [−87, 88]", sweepLinear(f32_vexp, exactExp, -87, 88), 2);
    bound("exp on [−20, 20]", sweepLinear(f32_vexp, exactExp, -20, 20), 2);
    bound("exp near 0", sweepNearZero(f32_vexp, exactExp), 2);
  });
});

describe("f32_vtanh vs f32_vtanh_ref (≤ 2 ULP)", () => {
  beforeAll(() => { reseed(2); });
  it("n == 4", () => { unary("tanh", f32_vtanh, f32_vtanh_ref, 2, 4, -5, 5, false); });
  it("n a multiple of 4", () => { for (let n = 8; n <= 64; n += 8) unary("tanh", f32_vtanh, f32_vtanh_ref, 2, n, -12, 12, false); });
  it("n < 4 (tail only)", () => { for (let n = 1; n < 4; n++) unary("tanh", f32_vtanh, f32_vtanh_ref, 2, n, -5, 5, false); });
  it("n > 4, not a multiple (vector + tail)", () => { for (let n = 5; n <= 67; n += 2) unary("tanh", f32_vtanh, f32_vtanh_ref, 2, n, -12, 12, false); });
  it("in place (y == x)", () => { for (let n = 1; n <= 19; n++) unary("tanh", f32_vtanh, f32_vtanh_ref, 2, n, -2, 2, true); });
  it("special values (tanh(±0) = ±0, tanh(±Inf) = ±1, NaN gives NaN)", () => { specials("tanh", f32_vtanh, f32_vtanh_ref, 2, NEG_INF, POS_INF); });
  it("saturates to exactly ±1 where tanh rounds to ±1 in f32 (|x| ≥ 9.011)", () => {
    // 1 − tanh x ≈ 2e^{−2x} falls below half an ULP under 1 (2^−25) for x > 13·ln 2 ≈ 9.0109.
    const n = 64;
    const X = guarded(n), Y = guarded(n);
    for (let i = 0; i < n; i++) put(X, i, (i & 1 ? -1 : 1) * (9.05 + <f32>i * 0.5));
    put(X, n - 2, Infinity); put(X, n - 1, -Infinity);
    f32_vtanh(Y, X, n);
    for (let i = 0; i < n; i++) {
      const want: f32 = i & 1 ? -1 : 1;
      if (at(Y, i) != want) mismatch(at(Y, i), want, `tanh(${at(X, i)})`);
    }
    freeGuarded(X); freeGuarded(Y);
  });
  it("padding lanes stay zero; nothing written past n", () => { padding("tanh", f32_vtanh); });
  it("max error ≤ 2 ULP over 100k points of [−20, 20], ±[2^−40, 1], and the branch points", () => {
    bound("tanh on [−20, 20]", sweepLinear(f32_vtanh, exactTanh, -20, 20), 2);
    bound("tanh near 0", sweepNearZero(f32_vtanh, exactTanh), 2);
    bound("tanh on [0.6, 0.65] (polynomial/exp switch)", sweepLinear(f32_vtanh, exactTanh, 0.6, 0.65), 2);
    bound("tanh on [8.9, 10.5] (saturation)", sweepLinear(f32_vtanh, exactTanh, 8.9, 10.5), 2);
  });
});

describe("f32_vsigmoid vs f32_vsigmoid_ref (≤ 3 ULP)", () => {
  beforeAll(() => { reseed(3); });
  it("n == 4", () => { unary("sigmoid", f32_vsigmoid, f32_vsigmoid_ref, 3, 4, -10, 10, false); });
  it("n a multiple of 4", () => { for (let n = 8; n <= 64; n += 8) unary("sigmoid", f32_vsigmoid, f32_vsigmoid_ref, 3, n, -87, 20, false); });
  it("n < 4 (tail only)", () => { for (let n = 1; n < 4; n++) unary("sigmoid", f32_vsigmoid, f32_vsigmoid_ref, 3, n, -10, 10, false); });
  it("n > 4, not a multiple (vector + tail)", () => { for (let n = 5; n <= 67; n += 2) unary("sigmoid", f32_vsigmoid, f32_vsigmoid_ref, 3, n, -87, 20, false); });
  it("in place (y == x)", () => { for (let n = 1; n <= 19; n++) unary("sigmoid", f32_vsigmoid, f32_vsigmoid_ref, 3, n, -10, 10, true); });
  // Below −87 the exp inside clamps (documented): σ(x) is σ(−87) = e^−87/(1 + e^−87).
  it("special values (input clamped below at −87)", () => { specials("sigmoid", f32_vsigmoid, f32_vsigmoid_ref, 3, -87, POS_INF); });
  it("below −87: absolute error vs the exact σ under 1.7e−38 (the exp clamp)", () => {
    const n = 64;
    const X = guarded(n), Y = guarded(n);
    for (let i = 0; i < n; i++) put(X, i, -87.0 - <f32>i * 0.5);
    put(X, n - 1, -Infinity);
    f32_vsigmoid(Y, X, n);
    for (let i = 0; i < n; i++) {
      const err = Math.abs(<f64>at(Y, i) - exactSigmoid(<f64>at(X, i)));
      if (!(err < 1.7e-38)) expect<f64>(err).toBeLessThan(1.7e-38, `σ(${at(X, i)}) = ${at(Y, i)}`);
    }
    freeGuarded(X); freeGuarded(Y);
  });
  it("padding lanes stay zero; nothing written past n", () => { padding("sigmoid", f32_vsigmoid); });
  it("max error ≤ 3 ULP over 100k points of [−20, 20], [−87, 20] and ±[2^−40, 1]", () => {
    bound("sigmoid on [−20, 20]", sweepLinear(f32_vsigmoid, exactSigmoid, -20, 20), 3);
    bound("sigmoid on [−87, 20]", sweepLinear(f32_vsigmoid, exactSigmoid, -87, 20), 3);
    bound("sigmoid near 0", sweepNearZero(f32_vsigmoid, exactSigmoid), 3);
  });
});

describe("f32_vrelu vs f32_vrelu_ref (bit for bit)", () => {
  beforeAll(() => { reseed(4); });
  it("n == 4", () => { unary("relu", f32_vrelu, f32_vrelu_ref, 0, 4, -1, 1, false); });
  it("n a multiple of 4", () => { for (let n = 8; n <= 64; n += 8) unary("relu", f32_vrelu, f32_vrelu_ref, 0, n, -1, 1, false); });
  it("n < 4 (tail only)", () => { for (let n = 1; n < 4; n++) unary("relu", f32_vrelu, f32_vrelu_ref, 0, n, -1, 1, false); });
  it("n > 4, not a multiple (vector + tail)", () => { for (let n = 5; n <= 67; n += 2) unary("relu", f32_vrelu, f32_vrelu_ref, 0, n, -1, 1, false); });
  it("in place (y == x)", () => { for (let n = 1; n <= 19; n++) unary("relu", f32_vrelu, f32_vrelu_ref, 0, n, -1, 1, true); });
  it("special values (relu(−0) = +0, relu(NaN) = NaN, relu(−Inf) = 0)", () => { specials("relu", f32_vrelu, f32_vrelu_ref, 0, NEG_INF, POS_INF); });
  it("padding lanes stay zero; nothing written past n", () => { padding("relu", f32_vrelu); });
});

describe("backward kernels vs their formulas (bit for bit)", () => {
  beforeAll(() => { reseed(5); });
  it("n == 4", () => {
    backward("tanh'", f32_vtanh_backward, tanhBack, 4, -1, 1, false);
    backward("sigmoid'", f32_vsigmoid_backward, sigmoidBack, 4, 0, 1, false);
    backward("relu'", f32_vrelu_backward, reluBack, 4, -1, 1, false);
  });
  it("n a multiple of 4", () => {
    for (let n = 8; n <= 64; n += 8) {
      backward("tanh'", f32_vtanh_backward, tanhBack, n, -1, 1, false);
      backward("sigmoid'", f32_vsigmoid_backward, sigmoidBack, n, 0, 1, false);
      backward("relu'", f32_vrelu_backward, reluBack, n, -1, 1, false);
    }
  });
  it("n < 4 (tail only)", () => {
    for (let n = 1; n < 4; n++) {
      backward("tanh'", f32_vtanh_backward, tanhBack, n, -1, 1, false);
      backward("sigmoid'", f32_vsigmoid_backward, sigmoidBack, n, 0, 1, false);
      backward("relu'", f32_vrelu_backward, reluBack, n, -1, 1, false);
    }
  });
  it("n > 4, not a multiple (vector + tail)", () => {
    for (let n = 5; n <= 67; n += 2) {
      backward("tanh'", f32_vtanh_backward, tanhBack, n, -1, 1, false);
      backward("sigmoid'", f32_vsigmoid_backward, sigmoidBack, n, 0, 1, false);
      backward("relu'", f32_vrelu_backward, reluBack, n, -1, 1, false);
    }
  });
  it("dz aliasing dh (in place)", () => {
    for (let n = 1; n <= 19; n++) {
      backward("tanh'", f32_vtanh_backward, tanhBack, n, -1, 1, true);
      backward("sigmoid'", f32_vsigmoid_backward, sigmoidBack, n, 0, 1, true);
      backward("relu'", f32_vrelu_backward, reluBack, n, -1, 1, true);
    }
  });
  it("special values of dh and h (h = ±1 gives tanh' = 0, relu'(0) = 0, NaN h gives relu' 0)", () => {
    backwardSpecials("tanh'", f32_vtanh_backward, tanhBack);
    backwardSpecials("sigmoid'", f32_vsigmoid_backward, sigmoidBack);
    backwardSpecials("relu'", f32_vrelu_backward, reluBack);
  });
  it("padding lanes stay zero; nothing written past n", () => {
    backwardPadding("tanh'", f32_vtanh_backward);
    backwardPadding("sigmoid'", f32_vsigmoid_backward);
    backwardPadding("relu'", f32_vrelu_backward);
  });
});
