// PCG32 (M. O'Neill, "PCG: A Family of Simple Fast Space-Efficient Statistically Good
// Algorithms for Random Number Generation", 2014; pcg32 = XSH RR 64/32): a 64-bit LCG
// state, 32-bit outputs. The state lives in the model header, so one seed gives the same
// stream in every engine and a saved model can resume it.

// @ts-ignore: decorator
@inline const PCG_MULT: u64 = 6364136223846793005;
// @ts-ignore: decorator
@inline const PCG_INC: u64 = 1442695040888963407;

/** Advance the state at `state` and return the next 32-bit output. */
export function pcg32_next(state: usize): u32 {
  const old = load<u64>(state);
  store<u64>(state, old * PCG_MULT + PCG_INC);
  const xorshifted = <u32>(((old >> 18) ^ old) >> 27);
  const rot = <u32>(old >> 59);
  return rotr<u32>(xorshifted, rot);
}

/** Seed the state at `state` as pcg32_srandom does (with the default stream). */
export function pcg32_seed(state: usize, seed: u64): void {
  store<u64>(state, 0);
  pcg32_next(state);
  store<u64>(state, load<u64>(state) + seed);
  pcg32_next(state);
}

/** Uniform f32 in [0, 1) with 24 random bits. */
export function pcg32_uniform(state: usize): f32 {
  return <f32>(pcg32_next(state) >>> 8) * (1.0 / 16777216.0);
}

/** dst[0..n) = uniform in [lo, hi): lo + (hi − lo)·u, as torch.Tensor.uniform_ does. */
export function f32_fill_uniform(dst: usize, n: i32, lo: f32, hi: f32, state: usize): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), lo + (hi - lo) * pcg32_uniform(state));
}

/**
 * dst[0..n) = standard normal draws (torch.nn.init.normal_, nn.Embedding's default), each by
 * Box–Muller from two uniforms: √(−2 ln(1 − u₁)) · cos(2π u₂), in f64 (AssemblyScript's Math
 * is its own code, not the engine's, so every engine gives the same bits).
 */
export function f32_fill_normal(dst: usize, n: i32, state: usize): void {
  for (let i = 0; i < n; i++) {
    const u1 = <f64>pcg32_uniform(state), u2 = <f64>pcg32_uniform(state);
    store<f32>(dst + (<usize>i << 2), <f32>(Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2)));
  }
}
