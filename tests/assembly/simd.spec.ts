/**
 * The helpers of assembly/simd.ts against plain scalar loops written here.
 *
 * Every buffer kernel (f32_fill, f32_copy, f32_add_acc, f32_mul_acc, f32_scale, f32_sumsq_f64,
 * f32_colsum_acc, f32_rows_set) runs on n = 0, tail only (1–3), one vector
 * (4), multiples (8, 16, 64) and vector + tail (5, 7, 19, 67), on guarded buffers: results
 * must equal the loop (bit for bit, except f32_sumsq_f64 whose f64 sum is reassociated, to
 * within n·2^−52 relative), inputs must be untouched and nothing outside [0, n) written.
 * The lane helpers: hsum4 adds left to right (an order-sensitive case proves it), hmax4
 * is the max of the four lanes whichever lane holds it and propagates NaN from any lane,
 * pad4 rounds up to the next multiple of 4. fmadd4, in this (strict) build, is a multiply
 * rounded then an add rounded, per lane: a case where fusing would differ proves it unfused.
 */
import {
  hsum4, hmax4, pad4, fmadd4, f32_fill, f32_copy, f32_add_acc, f32_mul_acc, f32_scale, f32_sumsq_f64,
  f32_colsum_acc, f32_rows_set,
} from "../../assembly/simd";
import {
  reseed, rnd, rndInt, guarded, freeGuarded, expectGuards, copyOf, fillRandom, at, put, bitsAt,
  mismatch, sameValue,
} from "./util";

const SIZES: i32[] = [0, 1, 2, 3, 4, 5, 7, 8, 16, 19, 64, 67];

/** Fails if p[0..n) differs in bits from q[0..n) (NaN equal to NaN). */
function expectSame(p: usize, q: usize, n: i32, what: string): void {
  for (let i = 0; i < n; i++) {
    if (!sameValue(at(p, i), at(q, i))) { mismatch(at(p, i), at(q, i), `${what} at ${i}`); return; }
  }
}

function vec(a: f32, b: f32, c: f32, d: f32): v128 {
  return f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(a), 1, b), 2, c), 3, d);
}

describe("pad4", () => {
  it("rounds up to a multiple of 4 (ceil(n/4)·4)", () => {
    for (let n = 0; n <= 41; n++) {
      const want = (n / 4 + (n % 4 != 0 ? 1 : 0)) * 4;
      expect<i32>(pad4(n)).toBe(want, `pad4(${n})`);
    }
    expect<i32>(pad4(1 << 20)).toBe(1 << 20);
    expect<i32>(pad4((1 << 20) + 1)).toBe((1 << 20) + 4);
  });
});

describe("fmadd4 (strict build)", () => {
  beforeAll(() => { reseed(12); });
  it("equals a·b + c with two roundings, lane by lane, for random lanes", () => {
    for (let t = 0; t < 1000; t++) {
      const a = rnd(-10, 10), b = rnd(-10, 10), c = rnd(-100, 100);
      const got = f32x4.extract_lane(fmadd4(vec(a, -a, b, 1), vec(b, b, a, c), vec(c, c, -c, 0)), 0);
      if (!sameValue(got, a * b + c)) { mismatch(got, a * b + c, `fmadd4 lane 0 (${a}, ${b}, ${c})`); return; }
      const got1 = f32x4.extract_lane(fmadd4(vec(a, -a, b, 1), vec(b, b, a, c), vec(c, c, -c, 0)), 1);
      if (!sameValue(got1, -a * b + c)) { mismatch(got1, -a * b + c, `fmadd4 lane 1 (${a}, ${b}, ${c})`); return; }
    }
  });
  it("is not fused: (1 + 2^−12)² − (1 + 2^−11) is 0, where one rounding would give 2^−24", () => {
    // (1 + 2^−12)² = 1 + 2^−11 + 2^−24; rounded to f32 (24-bit significand) that is 1 + 2^−11.
    const x: f32 = 1 + 1.0 / 4096, y: f32 = -(1 + 1.0 / 2048);
    expect<f32>(f32x4.extract_lane(fmadd4(f32x4.splat(x), f32x4.splat(x), f32x4.splat(y)), 3)).toBe(0);
  });
});

describe("hsum4", () => {
  beforeAll(() => { reseed(11); });
  it("equals ((a + b) + c) + d for random lanes", () => {
    for (let t = 0; t < 1000; t++) {
      const a = rnd(-100, 100), b = rnd(-1, 1), c = rnd(-1e4, 1e4), d = rnd(-1e-3, 1e-3);
      const want = ((a + b) + c) + d;
      const got = hsum4(vec(a, b, c, d));
      if (!sameValue(got, want)) { mismatch(got, want, `hsum4(${a}, ${b}, ${c}, ${d})`); return; }
    }
  });
  it("adds left to right: [1e8, 1, −1e8, 1] gives 1 (pairwise would give 2, right to left 0)", () => {
    // 1e8 + 1 rounds to 1e8 (the ULP of 1e8 is 8); then 1e8 − 1e8 = 0; then 0 + 1 = 1.
    expect<f32>(hsum4(vec(1e8, 1, -1e8, 1))).toBe(1);
  });
  it("−0 in every lane sums to −0; NaN and ±Inf propagate", () => {
    expect<u32>(reinterpret<u32>(hsum4(vec(-0.0, -0.0, -0.0, -0.0)))).toBe(0x80000000);
    expect<bool>(isNaN(hsum4(vec(1, 2, NaN, 3)))).toBe(true);
    expect<bool>(isNaN(hsum4(vec(Infinity, 0, -Infinity, 0)))).toBe(true);
    expect<f32>(hsum4(vec(Infinity, 1, 2, 3))).toBe(Infinity);
  });
});

describe("hmax4", () => {
  beforeAll(() => { reseed(12); });
  it("is the largest lane, whichever lane holds it", () => {
    for (let t = 0; t < 400; t++) {
      const l: f32[] = [rnd(-10, 10), rnd(-10, 10), rnd(-10, 10), rnd(-10, 10)];
      const top = rndInt(4);
      l[top] = 20 + <f32>t; // a known largest value, in each lane in turn
      const want = max<f32>(max<f32>(l[0], l[1]), max<f32>(l[2], l[3]));
      expect<f32>(want).toBe(20 + <f32>t); // the loop's own sanity
      const got = hmax4(vec(l[0], l[1], l[2], l[3]));
      if (!sameValue(got, want)) { mismatch(got, want, `hmax4 with the max in lane ${top}`); return; }
    }
  });
  it("gives NaN when any lane is NaN (each lane tried)", () => {
    for (let lane = 0; lane < 4; lane++) {
      const l: f32[] = [1, 2, 3, 4];
      l[lane] = NaN;
      expect<bool>(isNaN(hmax4(vec(l[0], l[1], l[2], l[3])))).toBe(true, `NaN in lane ${lane}`);
    }
  });
  it("all negative, −Inf, and +0 over −0", () => {
    expect<f32>(hmax4(vec(-5, -3, -4, -7))).toBe(-3);
    expect<f32>(hmax4(vec(-Infinity, -Infinity, -1e30, -Infinity))).toBe(-1e30);
    expect<u32>(reinterpret<u32>(hmax4(vec(-0.0, 0, -0.0, -0.0)))).toBe(0, "max(−0, +0) = +0 as f32.max");
  });
});

describe("f32_fill", () => {
  it("dst[0..n) = value for every size class; nothing past n", () => {
    const values: f32[] = [0, -0.0, 1.5, -3e38, NaN];
    for (let s = 0; s < SIZES.length; s++) {
      for (let v = 0; v < values.length; v++) {
        const n = SIZES[s];
        const D = guarded(n);
        f32_fill(D, values[v], n);
        for (let i = 0; i < n; i++) {
          if (!sameValue(at(D, i), values[v])) { mismatch(at(D, i), values[v], `fill n=${n} at ${i}`); break; }
        }
        expectGuards(D, n, `fill n=${n}`);
        freeGuarded(D);
      }
    }
  });
});

describe("f32_copy", () => {
  beforeAll(() => { reseed(13); });
  it("dst[0..n) = src[0..n) for every size class; nothing past n", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const S = guarded(n), D = guarded(n);
      fillRandom(S, n, -1, 1);
      f32_copy(D, S, n);
      expectSame(D, S, n, `copy n=${n}`);
      expectGuards(D, n, `copy n=${n}`);
      freeGuarded(S); freeGuarded(D);
    }
  });
});

/**
 * An element-wise kernel y[i] = y[i] ∘ x[i] against the loop, bit for bit, for every size class,
 * special values in both operands; x untouched; nothing written past n.
 */
function checkElementwise(kernel: (y: usize, x: usize, n: i32) => void, op: (a: f32, b: f32) => f32, what: string, special: f32[]): void {
  for (let s = 0; s < SIZES.length; s++) {
    const n = SIZES[s];
    const Y = guarded(n), X = guarded(n);
    fillRandom(Y, n, -10, 10);
    fillRandom(X, n, -10, 10);
    for (let i = 0; i < n; i += 3) put(X, i, special[(i / 3) % special.length]);
    for (let i = 1; i < n; i += 5) put(Y, i, special[(i / 5 + 2) % special.length]);
    const W = copyOf(Y, n), X0 = copyOf(X, n);
    for (let i = 0; i < n; i++) put(W, i, op(at(W, i), at(X, i)));
    kernel(Y, X, n);
    expectSame(Y, W, n, `${what} n=${n}`);
    expectSame(X, X0, n, `${what} n=${n}: x changed`);
    expectGuards(Y, n, `${what} n=${n}`);
    expectGuards(X, n, `${what} n=${n} (x)`);
    freeGuarded(Y); freeGuarded(X); heap.free(W); heap.free(X0);
  }
}

function add(a: f32, b: f32): f32 { return a + b; }
function mul(a: f32, b: f32): f32 { return a * b; }

describe("f32_add_acc", () => {
  beforeAll(() => { reseed(13); });
  it("y[i] += x[i], bit for bit with the loop, for every size class (special values too); x untouched; nothing past n", () => {
    checkElementwise(f32_add_acc, add, "add_acc", [0, -0, Infinity, -Infinity, NaN, 3.4e38, -1e-45]);
  });
});

describe("f32_mul_acc", () => {
  beforeAll(() => { reseed(15); });
  it("y[i] *= x[i] (dropout masks), bit for bit with the loop, for every size class (special values too); x untouched; nothing past n", () => {
    checkElementwise(f32_mul_acc, mul, "mul_acc", [0, -0, Infinity, -Infinity, NaN, 3.4e38, -1e-45, 2]);
  });
});

describe("f32_scale", () => {
  beforeAll(() => { reseed(14); });
  it("y[i] *= alpha, bit for bit with the loop, for every size class; nothing past n", () => {
    const alphas: f32[] = [0.5, -3.25, 0, 1e-3, Infinity];
    for (let s = 0; s < SIZES.length; s++) {
      for (let a = 0; a < alphas.length; a++) {
        const n = SIZES[s], alpha = alphas[a];
        const Y = guarded(n);
        fillRandom(Y, n, -10, 10);
        const W = copyOf(Y, n);
        for (let i = 0; i < n; i++) put(W, i, at(W, i) * alpha);
        f32_scale(Y, alpha, n);
        expectSame(Y, W, n, `scale n=${n} alpha=${alpha}`);
        expectGuards(Y, n, `scale n=${n}`);
        freeGuarded(Y); heap.free(W);
      }
    }
  });
});

describe("f32_sumsq_f64", () => {
  beforeAll(() => { reseed(15); });
  it("equals Σ x² in f64 exactly on integers (every size class)", () => {
    // Squares and sums of small integers are exact in f64, so any order gives the same sum.
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const X = guarded(n);
      let want: f64 = 0;
      for (let i = 0; i < n; i++) { const v = <f32>(rndInt(2001) - 1000); put(X, i, v); want += <f64>v * <f64>v; }
      expect<f64>(f32_sumsq_f64(X, n)).toBe(want, `n=${n}`);
      freeGuarded(X);
    }
  });
  it("matches the f64 loop within n·2^−52 relative on random floats", () => {
    // Each f32² is exact in f64 (48 significant bits); only the additions round, and the
    // kernel adds in two lanes instead of one running sum.
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const X = guarded(n);
      fillRandom(X, n, -1e3, 1e3);
      const X0 = copyOf(X, n);
      let want: f64 = 0;
      for (let i = 0; i < n; i++) want += <f64>at(X, i) * <f64>at(X, i);
      const got = f32_sumsq_f64(X, n);
      expect<f64>(Math.abs(got - want)).toBeLessThanOrEqual(<f64>n * Math.pow(2.0, -52) * want, `n=${n}: got ${got}, want ${want}`);
      expectSame(X, X0, n, "sumsq modified its input");
      freeGuarded(X); heap.free(X0);
    }
  });
  it("does not overflow where the f32 sum would (1e20² = 1e40)", () => {
    const X = guarded(5);
    f32_fill(X, 1e20, 5);
    const got = f32_sumsq_f64(X, 5);
    const want = 5.0 * <f64>(<f32>1e20) * <f64>(<f32>1e20);
    expect<f64>(Math.abs(got - want)).toBeLessThanOrEqual(want * 1e-15);
    freeGuarded(X);
  });
});

const COLS: i32[] = [1, 3, 4, 5, 8, 13, 19];
const ROWS: i32[] = [0, 1, 2, 3, 5];

describe("f32_colsum_acc", () => {
  beforeAll(() => { reseed(17); });
  it("y[j] += Σ_r x[r, j], rows added in order, bit for bit with the loop; nothing past cols", () => {
    for (let a = 0; a < ROWS.length; a++) {
      for (let b = 0; b < COLS.length; b++) {
        const rows = ROWS[a], cols = COLS[b];
        const Y = guarded(cols), X = guarded(rows * cols);
        fillRandom(Y, cols, -1, 1);
        fillRandom(X, rows * cols, -1, 1);
        const W = copyOf(Y, cols), X0 = copyOf(X, rows * cols);
        for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) put(W, j, at(W, j) + at(X, r * cols + j));
        f32_colsum_acc(Y, X, rows, cols);
        expectSame(Y, W, cols, `colsum ${rows}×${cols}`);
        expectSame(X, X0, rows * cols, `colsum ${rows}×${cols} modified x`);
        expectGuards(Y, cols, `colsum ${rows}×${cols} y`);
        freeGuarded(Y); freeGuarded(X); heap.free(W); heap.free(X0);
      }
    }
  });
});

describe("f32_rows_set", () => {
  beforeAll(() => { reseed(18); });
  it("every row of y equals v; nothing past rows·cols", () => {
    for (let a = 0; a < ROWS.length; a++) {
      for (let b = 0; b < COLS.length; b++) {
        const rows = ROWS[a], cols = COLS[b];
        const Y = guarded(rows * cols), V = guarded(cols);
        fillRandom(V, cols, -1, 1);
        f32_rows_set(Y, V, rows, cols);
        for (let r = 0; r < rows; r++) expectSame(Y + (<usize>(r * cols) << 2), V, cols, `rows_set ${rows}×${cols} row ${r}`);
        expectGuards(Y, rows * cols, `rows_set ${rows}×${cols}`);
        expectGuards(V, cols, `rows_set v`);
        freeGuarded(Y); freeGuarded(V);
      }
    }
  });
});
