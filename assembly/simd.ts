// Small SIMD helpers shared by the kernels (cf. XNNPACK's f32-wasmsimd helpers).
// Every function here is @inline: it exists for naming, not for calls.

/** Sum of the four lanes, added left to right (fixed order: results do not depend on the engine). */
// @ts-ignore: decorator
@inline export function hsum4(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) +
    f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * a·b + c per lane. In the strict build (the default, rnn.wasm) one f32 multiply rounded, then
 * one f32 add rounded: the same bits in every engine. In the build with relaxed SIMD enabled
 * (rnn-fma.wasm, scripts/build.js) f32x4.relaxed_madd, which the engine may fuse (one rounding,
 * an FMA where the CPU has one) or not: faster, but the last bits may differ between machines
 * and engines (relaxed SIMD spec, "relaxed_madd": either fused or unfused). ASC_FEATURE_RELAXED_SIMD
 * is a compile-time constant, so each build keeps exactly one of the two branches.
 */
// @ts-ignore: decorator
@inline export function fmadd4(va: v128, vb: v128, vc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(va, vb, vc);
  return f32x4.add(vc, f32x4.mul(va, vb));
}

/** Largest of the four lanes (NaN in any lane gives NaN, as f32x4.max does). */
// @ts-ignore: decorator
@inline export function hmax4(v: v128): f32 {
  const va = f32x4.max(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.max(va, i32x4.shuffle(va, va, 1, 0, 3, 2)), 0);
}

/** Round a float count up to a multiple of 4 (16 bytes), the alignment of every tensor. */
// @ts-ignore: decorator
@inline export function pad4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** dst[0..n) = value. */
export function f32_fill(dst: usize, value: f32, n: i32): void {
  const vv = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), value);
}

/** dst[0..n) = src[0..n) (regions must not overlap). */
// @ts-ignore: decorator
@inline export function f32_copy(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

/** y[0..n) += x[0..n). */
export function f32_add_acc(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o));
  }
}

/** y[0..n) *= x[0..n), element by element (dropout masks). */
export function f32_mul_acc(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(y + o), v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) * load<f32>(x + o));
  }
}

/** y[0..n) *= alpha. */
export function f32_scale(y: usize, alpha: f32, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = y + (<usize>i << 2);
    v128.store(p, f32x4.mul(v128.load(p), va));
  }
  for (; i < n; i++) {
    const p = y + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * alpha);
  }
}

/** Sum of squares of x[0..n), accumulated in f64 (two f64x2 lanes, then lane 0 + lane 1). */
export function f32_sumsq_f64(x: usize, n: i32): f64 {
  let vacc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const vx = v128.load(x + (<usize>i << 2));
    const vlo = f64x2.promote_low_f32x4(vx);
    const vhi = f64x2.promote_low_f32x4(i32x4.shuffle(vx, vx, 2, 3, 0, 1));
    vacc = f64x2.add(vacc, f64x2.add(f64x2.mul(vlo, vlo), f64x2.mul(vhi, vhi)));
  }
  let s = f64x2.extract_lane(vacc, 0) + f64x2.extract_lane(vacc, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

/** y[0..cols) += Σ_r x[r, 0..cols) for a row-major x (rows×cols): the column sums (db, dc). */
export function f32_colsum_acc(y: usize, x: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const px = x + (<usize>(r * cols) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const py = y + (<usize>j << 2);
      v128.store(py, f32x4.add(v128.load(py), v128.load(px + (<usize>j << 2))));
    }
    for (; j < cols; j++) {
      const py = y + (<usize>j << 2);
      store<f32>(py, load<f32>(py) + load<f32>(px + (<usize>j << 2)));
    }
  }
}

/** y[r, 0..cols) = v[0..cols) for every row r of a row-major y (rows×cols): broadcast a bias. */
export function f32_rows_set(y: usize, v: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) memory.copy(y + (<usize>(r * cols) << 2), v, <usize>cols << 2);
}
