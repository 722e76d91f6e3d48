// Elementwise activations, forward and backward side by side, and the vector exp they use.
//
//   f32_vexp(y, x, n)                 y = exp(x)
//   f32_vtanh(y, x, n)                y = tanh(x)          f32_vtanh_backward(dz, dh, h, n)     dz = dh·(1 − h²)
//   f32_vsigmoid(y, x, n)             y = 1/(1 + e^−x)     f32_vsigmoid_backward(dz, dh, h, n)  dz = dh·h·(1 − h)
//   f32_vrelu(y, x, n)                y = max(x, 0)        f32_vrelu_backward(dz, dh, h, n)     dz = h > 0 ? dh : 0
//
// Forward kernels may run in place (y == x). Backward kernels overwrite dz and take the
// saved *output* h, never the pre-activation: the forward pass keeps only h (llm.c style:
// the forward saves exactly what the backward needs). Each has a scalar *_ref beside it.

// ── exp ────────────────────────────────────────────────────────────────────────────────
// Cephes expf.c (S. L. Moshier): x = n·ln2 + r with |r| ≤ ln2/2, e^r ≈ 1 + r + r²·P(r),
// then ·2^n built in the exponent bits. Peak relative error of P on the range: 4.2e-9.
// C1 + C2 = ln 2, split so that n·C1 is exact in f32 (Cody–Waite reduction).
// @ts-ignore: decorator
@inline const EXP_C1: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const EXP_C2: f32 = -2.12194440e-4;
// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// @ts-ignore: decorator
@inline const EXP_P0: f32 = 1.9875691500e-4;
// @ts-ignore: decorator
@inline const EXP_P1: f32 = 1.3981999507e-3;
// @ts-ignore: decorator
@inline const EXP_P2: f32 = 8.3334519073e-3;
// @ts-ignore: decorator
@inline const EXP_P3: f32 = 4.1665795894e-2;
// @ts-ignore: decorator
@inline const EXP_P4: f32 = 1.6666665459e-1;
// @ts-ignore: decorator
@inline const EXP_P5: f32 = 5.0000001201e-1;
// Inputs are clamped to [EXP_LO, EXP_HI] so that n stays in −126..127 (a normal 2^n):
// e^−87 ≈ 1.6e−38 stands in for anything smaller, e^88 ≈ 1.7e38 for anything larger.
// n = round(x·log2 e) by the magic-number trick (XNNPACK's f32 exp kernels): adding 1.5·2^23
// rounds to an integer (ties to even, as f32x4.nearest) and leaves n in the low mantissa
// bits, so 2^n comes from an integer add and shift; wasm's nearest and trunc_sat each cost
// V8 a sequence of x64 instructions. The clamps use pmin/pmax (one minps/maxps each), with
// x first so that a NaN stays NaN; on the values where they differ from min/max (NaN, ±0)
// the result is the same here.
// @ts-ignore: decorator
@inline const EXP_LO: f32 = -87.0;
// @ts-ignore: decorator
@inline const EXP_HI: f32 = 88.0;
// @ts-ignore: decorator
@inline const EXP_MAGIC: f32 = 12582912.0;   // 1.5·2^23 = 0x4B400000
// @ts-ignore: decorator
@inline const EXP_MAGIC_BITS: i32 = 0x4B400000;

/** exp of four lanes (Cephes expf). NaN in, NaN out. */
// @ts-ignore: decorator
@inline export function f32x4_exp(vx: v128): v128 {
  vx = f32x4.pmin(f32x4.pmax(vx, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const vt = f32x4.add(f32x4.mul(vx, f32x4.splat(LOG2E)), f32x4.splat(EXP_MAGIC));   // bits: MAGIC_BITS + n
  const vn = f32x4.sub(vt, f32x4.splat(EXP_MAGIC));                                  // n, exactly
  let vr = f32x4.sub(vx, f32x4.mul(vn, f32x4.splat(EXP_C1)));
  vr = f32x4.sub(vr, f32x4.mul(vn, f32x4.splat(EXP_C2)));
  let vp = f32x4.add(f32x4.mul(f32x4.splat(EXP_P0), vr), f32x4.splat(EXP_P1));
  vp = f32x4.add(f32x4.mul(vp, vr), f32x4.splat(EXP_P2));
  vp = f32x4.add(f32x4.mul(vp, vr), f32x4.splat(EXP_P3));
  vp = f32x4.add(f32x4.mul(vp, vr), f32x4.splat(EXP_P4));
  vp = f32x4.add(f32x4.mul(vp, vr), f32x4.splat(EXP_P5));
  const vr2 = f32x4.mul(vr, vr);
  const vy = f32x4.add(f32x4.add(f32x4.mul(vp, vr2), vr), f32x4.splat(1.0));
  // 2^n: (n + 127) << 23 is the bit pattern of the float 2^n.
  const vscale = i32x4.shl(i32x4.add(vt, i32x4.splat(127 - EXP_MAGIC_BITS)), 23);
  return f32x4.mul(vy, vscale);
}

/** exp of one value, the same arithmetic as f32x4_exp lane by lane (tails use it). */
// @ts-ignore: decorator
@inline export function f32_exp(x: f32): f32 {
  return f32x4.extract_lane(f32x4_exp(f32x4.splat(x)), 0);
}

/** y[0..n) = exp(x[0..n)) (Cephes expf, ≤ 2 ULP on [−87, 88]). */
export function f32_vexp(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4_exp(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32_exp(load<f32>(x + o)));
  }
}

/** Scalar reference: y = exp(x) through the standard library (musl's expf port). */
export function f32_vexp_ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, Mathf.exp(load<f32>(x + o)));
  }
}

// ── tanh ───────────────────────────────────────────────────────────────────────────────
// Cephes tanhf.c: for |x| < 0.625, tanh x = x + x·z·P(z) with z = x² (odd minimax
// polynomial); otherwise tanh|x| = 1 − 2/(e^{2|x|} + 1), sign restored. |x| is clamped at 10,
// where tanh is 1 in f32: 1 − tanh 10 ≈ 4e−9 < 2^−25, half the ULP below 1. (Not 9:
// 1 − tanh 9 ≈ 3.05e−8 > 2^−25 ≈ 2.98e−8, so a clamp at 9 gives 0.99999994 for ±Inf.)
// @ts-ignore: decorator
@inline const TANH_P0: f32 = -5.70498872745e-3;
// @ts-ignore: decorator
@inline const TANH_P1: f32 = 2.06390887954e-2;
// @ts-ignore: decorator
@inline const TANH_P2: f32 = -5.37397155531e-2;
// @ts-ignore: decorator
@inline const TANH_P3: f32 = 1.33314422036e-1;
// @ts-ignore: decorator
@inline const TANH_P4: f32 = -3.33332819422e-1;

/** tanh of four lanes (Cephes tanhf). NaN in, NaN out; ±Inf gives ±1. */
// @ts-ignore: decorator
@inline export function f32x4_tanh(vx: v128): v128 {
  const vsign = v128.and(vx, i32x4.splat(0x80000000));
  const vax = f32x4.abs(vx);
  // small |x|: odd polynomial
  const vz = f32x4.mul(vx, vx);
  let vp = f32x4.add(f32x4.mul(f32x4.splat(TANH_P0), vz), f32x4.splat(TANH_P1));
  vp = f32x4.add(f32x4.mul(vp, vz), f32x4.splat(TANH_P2));
  vp = f32x4.add(f32x4.mul(vp, vz), f32x4.splat(TANH_P3));
  vp = f32x4.add(f32x4.mul(vp, vz), f32x4.splat(TANH_P4));
  // on |x| with the sign put back (as vlarge), so tanh(−0) = −0: x + x·z·P(z) gives +0 there
  const vsmall = v128.or(f32x4.add(f32x4.mul(f32x4.mul(vp, vz), vax), vax), vsign);
  // large |x|: 1 − 2/(e^{2|x|} + 1), sign restored
  const ve = f32x4_exp(f32x4.mul(f32x4.pmin(vax, f32x4.splat(10.0)), f32x4.splat(2.0)));
  const vlarge = v128.or(
    f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(ve, f32x4.splat(1.0)))),
    vsign,
  );
  return v128.bitselect(vsmall, vlarge, f32x4.lt(vax, f32x4.splat(0.625)));
}

/** y[0..n) = tanh(x[0..n)); may run in place. */
export function f32_vtanh(y: usize, x: usize, n: i32): void {
  let i = 0;
  // Two vectors per iteration: their long dependency chains (exp, division) overlap.
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const va = f32x4_tanh(v128.load(x + o));
    const vb = f32x4_tanh(v128.load(x + o, 16));
    v128.store(y + o, va);
    v128.store(y + o, vb, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4_tanh(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(f32x4_tanh(f32x4.splat(load<f32>(x + o))), 0));
  }
}

/** Scalar reference: y = tanh(x) through the standard library (computed in f64, rounded). */
export function f32_vtanh_ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, <f32>Math.tanh(<f64>load<f32>(x + o)));
  }
}

/** dz[0..n) = dh·(1 − h²), from the saved output h = tanh(z). Overwrites dz (may alias dh). */
export function f32_vtanh_backward(dz: usize, dh: usize, h: usize, n: i32): void {
  const vone = f32x4.splat(1.0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const vh = v128.load(h + o);
    v128.store(dz + o, f32x4.mul(v128.load(dh + o), f32x4.sub(vone, f32x4.mul(vh, vh))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const hv = load<f32>(h + o);
    store<f32>(dz + o, load<f32>(dh + o) * (1.0 - hv * hv));
  }
}

// ── sigmoid ────────────────────────────────────────────────────────────────────────────
// σ(x) = 1/(1 + e^−|x|) for x ≥ 0 and e^−|x|/(1 + e^−|x|) for x < 0: the exponential is
// never of a positive number, so neither side overflows and small outputs keep their
// relative accuracy.

/** σ of four lanes. NaN in, NaN out. */
// @ts-ignore: decorator
@inline export function f32x4_sigmoid(vx: v128): v128 {
  const ve = f32x4_exp(f32x4.neg(f32x4.abs(vx)));
  const vr = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), ve));
  return v128.bitselect(f32x4.mul(ve, vr), vr, f32x4.lt(vx, f32x4.splat(0)));
}

/** y[0..n) = σ(x[0..n)); may run in place. */
export function f32_vsigmoid(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4_sigmoid(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(f32x4_sigmoid(f32x4.splat(load<f32>(x + o))), 0));
  }
}

/** Scalar reference: y = 1/(1 + e^−x), computed in f64 and rounded. */
export function f32_vsigmoid_ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, <f32>(1.0 / (1.0 + Math.exp(-<f64>load<f32>(x + o)))));
  }
}

/** dz[0..n) = dh·h·(1 − h), from the saved output h = σ(z). Overwrites dz (may alias dh). */
export function f32_vsigmoid_backward(dz: usize, dh: usize, h: usize, n: i32): void {
  const vone = f32x4.splat(1.0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const vh = v128.load(h + o);
    v128.store(dz + o, f32x4.mul(v128.load(dh + o), f32x4.mul(vh, f32x4.sub(vone, vh))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const hv = load<f32>(h + o);
    store<f32>(dz + o, load<f32>(dh + o) * (hv * (1.0 - hv)));
  }
}

// ── relu ───────────────────────────────────────────────────────────────────────────────

/** y[0..n) = max(x, 0); NaN stays NaN (f32x4.max propagates it). May run in place. */
export function f32_vrelu(y: usize, x: usize, n: i32): void {
  const vzero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.max(v128.load(x + o), vzero));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(f32x4.max(f32x4.splat(load<f32>(x + o)), vzero), 0));
  }
}

/** Scalar reference: y = x > 0 ? x : 0 (NaN kept). */
export function f32_vrelu_ref(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, isNaN(v) ? v : (v > 0 ? v : 0));
  }
}

/** dz[0..n) = h > 0 ? dh : 0, from the saved output h = relu(z) (relu'(0) = 0, as PyTorch). */
export function f32_vrelu_backward(dz: usize, dh: usize, h: usize, n: i32): void {
  const vzero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dz + o, v128.and(v128.load(dh + o), f32x4.gt(v128.load(h + o), vzero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, load<f32>(h + o) > 0 ? load<f32>(dh + o) : 0);
  }
}
