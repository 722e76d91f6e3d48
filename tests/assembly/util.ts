// Helpers shared by the kernel specs (imported, not a spec itself): a test-only random
// source independent of assembly/rng.ts, guarded buffers, and ULP arithmetic.

// ── random inputs ──────────────────────────────────────────────────────────────────────
// Numerical Recipes' 32-bit LCG: deliberately not the kernel's PCG32, so that a bug in
// assembly/rng.ts cannot hide a bug elsewhere.
let lcg: u32 = 0x2545f491;

/** Restart the test random source (each spec starts from a fixed seed). */
export function reseed(s: u32): void { lcg = s; }

/** Uniform f32 in [lo, hi) (24 random bits). */
export function rnd(lo: f32, hi: f32): f32 {
  lcg = lcg * 1664525 + 1013904223;
  return lo + (hi - lo) * (<f32>(lcg >>> 8) * (1.0 / 16777216.0));
}

/** Uniform integer in [0, n). */
export function rndInt(n: i32): i32 {
  lcg = lcg * 1664525 + 1013904223;
  return <i32>(<u64>(lcg >>> 1) * <u64>n >> 31);
}

// ── guarded buffers ────────────────────────────────────────────────────────────────────
// A guarded buffer of n floats is laid out as
//
//   │ GUARD floats of SENTINEL │ n floats of data │ GUARD floats of SENTINEL │
//                              ^ returned pointer (16-byte aligned)
//
// The trailing guard starts right after element n−1, so it also covers the padding lanes
// of a partial last vector: a kernel that stores a whole v128 over the tail, or runs its
// loop one element too far, changes a sentinel.

/** Floats of guard on each side (two vectors). */
export const GUARD: i32 = 8;
/** A NaN with a payload no arithmetic produces (arithmetic NaNs are canonical 0x7fc00000). */
export const SENTINEL: u32 = 0x7fa5a5a5;

/** A guarded buffer of n floats; the data is filled with SENTINEL too (so unwritten elements show). */
export function guarded(n: i32): usize {
  const total = n + 2 * GUARD;
  const base = heap.alloc(<usize>total << 2);
  for (let i = 0; i < total; i++) store<u32>(base + (<usize>i << 2), SENTINEL);
  return base + (<usize>GUARD << 2);
}

/** Free a buffer made by guarded(). */
export function freeGuarded(p: usize): void {
  heap.free(p - (<usize>GUARD << 2));
}

/** Index (−GUARD..−1 or n..n+GUARD−1) of the first guard float that changed, or i32.MIN_VALUE if none. */
export function brokenGuard(p: usize, n: i32): i32 {
  for (let i = -GUARD; i < 0; i++) if (load<u32>(p - (<usize>(-i) << 2)) != SENTINEL) return i;
  for (let i = n; i < n + GUARD; i++) if (load<u32>(p + (<usize>i << 2)) != SENTINEL) return i;
  return i32.MIN_VALUE;
}

/** Fails the current test if a guard of the guarded buffer p (n floats) was written. */
export function expectGuards(p: usize, n: i32, what: string): void {
  const g = brokenGuard(p, n);
  if (g != i32.MIN_VALUE) expect<i32>(g).toBe(i32.MIN_VALUE, `${what}: wrote outside [0, ${n}) at index ${g}`);
}

/** A plain heap copy of n floats. */
export function copyOf(src: usize, n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 2);
  memory.copy(p, src, <usize>n << 2);
  return p;
}

/** Fill dst[0..n) with uniform values in [lo, hi). */
export function fillRandom(dst: usize, n: i32, lo: f32, hi: f32): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), rnd(lo, hi));
}

/** dst[i] as f32. */
// @ts-ignore: decorator
@inline export function at(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }

/** dst[i] = v. */
// @ts-ignore: decorator
@inline export function put(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }

/** Bit pattern of p[i] (to compare floats exactly, NaN payloads and signed zeros included). */
// @ts-ignore: decorator
@inline export function bitsAt(p: usize, i: i32): u32 { return load<u32>(p + (<usize>i << 2)); }

// ── ULP arithmetic ─────────────────────────────────────────────────────────────────────

/** Map a float's bits to an integer line where adjacent floats differ by 1 and ±0 both map to 0. */
export function ordered(x: f32): i64 {
  const b = reinterpret<i32>(x);
  return b >= 0 ? <i64>b : -<i64>(b & 0x7fffffff);
}

/** Number of floats between a and b (0 for equal values; ±0 count as equal). Not for NaN. */
export function ulpDist(a: f32, b: f32): i64 {
  const d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

/** The spacing of f32 values at the magnitude of x (subnormal spacing 2^−149 below 2^−126). */
export function ulpOf(x: f64): f64 {
  let e = <i32>((reinterpret<u64>(x) >> 52) & 0x7ff) - 1023;
  if (e < -126) e = -126;
  return Math.pow(2.0, <f64>(e - 23));
}

/** Error of the f32 result y against an exact (f64) value, in units of the f32 ULP at `exact`. */
export function ulpErr(y: f32, exact: f64): f64 {
  return Math.abs(<f64>y - exact) / ulpOf(exact);
}

/** Same value, with NaN equal to NaN and the sign of zero significant. */
export function sameValue(a: f32, b: f32): bool {
  if (isNaN(a) || isNaN(b)) return isNaN(a) && isNaN(b);
  return reinterpret<u32>(a) == reinterpret<u32>(b);
}

/** "value (0xbits)": shows NaN payloads and the sign of zero. */
export function show(x: f32): string {
  return `${x} (0x${reinterpret<u32>(x).toString(16)})`;
}

/**
 * Fail the current test reporting got and want. Call it only on a mismatch: it compares the
 * shown strings, which differ whenever the bits differ (as-pect's toBe on floats is `==`,
 * so it would pass −0 against +0).
 */
export function mismatch(got: f32, want: f32, msg: string): void {
  expect<string>(show(got)).toBe(show(want) + " ", msg); // the trailing space makes it fail even for equal bits
}
