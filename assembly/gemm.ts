// Matrix products for the batched RNN step.
//
//   f32_gemm         C (M×N) += A' (M×K) · B (K×N)        B row-major, packed per K-chunk into scratch
//   f32_gemm_packed  C (M×N) += A' (M×K) · B              B already packed whole by f32_pack_b/_bt
//
// A' is read through two strides, A'[i][p] = A[i*rsA + p*csA], so one kernel serves A·B
// (rsA = lda, csA = 1) and Aᵀ·B (A stored K×M: rsA = 1, csA = lda), and A·Bᵀ packs Bᵀ
// straight from B's rows (f32_pack_bt). That covers the three forms a step needs.
//
// Packed B: panels of NR = 8 columns; panel q holds B[p][8q .. 8q+8) for p = 0..K−1, as K
// consecutive groups of 8 floats (columns past N are zero). A 4×8 register tile of C then
// streams one contiguous panel: two v128 loads and four broadcasts (v128.load32_splat) per p
// feed eight multiply-adds. Loops: K in chunks of KC (the chunk of a panel, KC·8 floats =
// 8 KiB, stays in L1 while every 4-row block of A passes over it), then panels, then rows.
// Packing also removes the power-of-two row strides (d = 256, 512) that thrash L1 sets.
//
// Accumulate contract: C is read and added to; callers zero or preset C.
// Rounding contract: every C[i][j] becomes C[i][j] + A'[i][0]·B[0][j] + A'[i][1]·B[1][j] + …,
// one f32 multiply and one f32 add per term, in order p = 0..K−1, in every tile, tail and
// chunk (a chunk reloads C where the previous one stored it). So the kernel equals
// f32_gemm_strided_ref bit for bit, whatever tile a row lands in: a padded, sorted batch
// equals each sequence run alone, and every engine gives the same bits. No fused multiply-
// add: wasm SIMD has none outside relaxed SIMD, which is not deterministic across engines.

// @ts-ignore: decorator
@inline export const NR = 8;     // columns per packed panel
// @ts-ignore: decorator
@inline export const KC = 256;   // rows of B per chunk

/** Floats of a packed copy of a K×N matrix: ⌈N/8⌉ panels of K×8. */
export function f32_packed_floats(K: i32, N: i32): i32 {
  return ((N + NR - 1) / NR) * K * NR;
}

/** Floats of the scratch f32_gemm needs for N columns: one packed chunk plus a 4×8 edge tile. */
export function f32_gemm_scratch_floats(N: i32): i32 {
  return f32_packed_floats(KC, N) + 4 * NR;
}

/** Pack rows p0..p0+kc of B (row-major, ldb) into panels of 8 (panel stride kc·8 floats). */
function pack_b_rows(Bp: usize, B: usize, ldb: i32, p0: i32, kc: i32, N: i32, panelStride: i32): void {
  const full = N & ~(NR - 1);
  for (let q = 0; q * NR < N; q++) {
    const j = q * NR;
    let dst = Bp + (<usize>(q * panelStride) << 2);
    let src = B + (<usize>(p0 * ldb + j) << 2);
    if (j < full) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        dst += NR << 2;
        src += <usize>ldb << 2;
      }
    } else {
      const nr = N - j;
      for (let p = 0; p < kc; p++) {
        v128.store(dst, f32x4.splat(0));
        v128.store(dst, f32x4.splat(0), 16);
        for (let c = 0; c < nr; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
        dst += NR << 2;
        src += <usize>ldb << 2;
      }
    }
  }
}

/** Bp = B (K×N row-major, ldb) packed whole: panel q at Bp + q·K·8 floats. */
export function f32_pack_b(Bp: usize, B: usize, ldb: i32, K: i32, N: i32): void {
  pack_b_rows(Bp, B, ldb, 0, K, N, K * NR);
}

/** Bp = Bᵀ packed whole, from S (N×K row-major, lds): the K×N matrix with B[p][j] = S[j][p]. */
export function f32_pack_bt(Bp: usize, S: usize, lds: i32, K: i32, N: i32): void {
  for (let q = 0; q * NR < N; q++) {
    const j = q * NR;
    const nr = min(NR, N - j);
    const panel = Bp + (<usize>(q * K * NR) << 2);
    if (nr < NR) memory.fill(panel, 0, <usize>(K * NR) << 2);
    for (let c = 0; c < nr; c++) {
      const row = S + (<usize>((j + c) * lds) << 2);
      for (let p = 0; p < K; p++) store<f32>(panel + (<usize>(p * NR + c) << 2), load<f32>(row + (<usize>p << 2)));
    }
  }
}

/** The 4×8 micro-kernel: C rows c0..c3 (stride ldc floats), 8 columns, kc steps of one panel. */
// @ts-ignore: decorator
@inline function micro_4x8(c0: usize, ldc: i32, pa: usize, ra: usize, sa: usize, pb: usize, kc: i32): void {
  const c1 = c0 + (<usize>ldc << 2), c2 = c1 + (<usize>ldc << 2), c3 = c2 + (<usize>ldc << 2);
  let vacc0x0123 = v128.load(c0), vacc0x4567 = v128.load(c0, 16);
  let vacc1x0123 = v128.load(c1), vacc1x4567 = v128.load(c1, 16);
  let vacc2x0123 = v128.load(c2), vacc2x4567 = v128.load(c2, 16);
  let vacc3x0123 = v128.load(c3), vacc3x4567 = v128.load(c3, 16);
  const ra2 = ra + ra, ra3 = ra2 + ra;
  for (let p = 0; p < kc; p++) {
    const vb0123 = v128.load(pb);
    const vb4567 = v128.load(pb, 16);
    const va0 = v128.load32_splat(pa);
    const va1 = v128.load32_splat(pa + ra);
    const va2 = v128.load32_splat(pa + ra2);
    const va3 = v128.load32_splat(pa + ra3);
    vacc0x0123 = f32x4.add(vacc0x0123, f32x4.mul(va0, vb0123));
    vacc0x4567 = f32x4.add(vacc0x4567, f32x4.mul(va0, vb4567));
    vacc1x0123 = f32x4.add(vacc1x0123, f32x4.mul(va1, vb0123));
    vacc1x4567 = f32x4.add(vacc1x4567, f32x4.mul(va1, vb4567));
    vacc2x0123 = f32x4.add(vacc2x0123, f32x4.mul(va2, vb0123));
    vacc2x4567 = f32x4.add(vacc2x4567, f32x4.mul(va2, vb4567));
    vacc3x0123 = f32x4.add(vacc3x0123, f32x4.mul(va3, vb0123));
    vacc3x4567 = f32x4.add(vacc3x4567, f32x4.mul(va3, vb4567));
    pa += sa;
    pb += NR << 2;
  }
  v128.store(c0, vacc0x0123); v128.store(c0, vacc0x4567, 16);
  v128.store(c1, vacc1x0123); v128.store(c1, vacc1x4567, 16);
  v128.store(c2, vacc2x0123); v128.store(c2, vacc2x4567, 16);
  v128.store(c3, vacc3x0123); v128.store(c3, vacc3x4567, 16);
}

/** The 1×8 micro-kernel for the last M % 4 rows. */
// @ts-ignore: decorator
@inline function micro_1x8(c0: usize, pa: usize, sa: usize, pb: usize, kc: i32): void {
  let vacc0123 = v128.load(c0), vacc4567 = v128.load(c0, 16);
  for (let p = 0; p < kc; p++) {
    const va = v128.load32_splat(pa);
    vacc0123 = f32x4.add(vacc0123, f32x4.mul(va, v128.load(pb)));
    vacc4567 = f32x4.add(vacc4567, f32x4.mul(va, v128.load(pb, 16)));
    pa += sa;
    pb += NR << 2;
  }
  v128.store(c0, vacc0123); v128.store(c0, vacc4567, 16);
}

/**
 * C += A'·B over one K-chunk: `kc` rows of B packed at Bp with panels `panelStride` floats
 * apart, A' starting at column p0. Full 8-column panels run in place in C; the last,
 * narrower panel runs on an edge tile (4×8 floats at `edge`) copied in and out.
 */
function gemm_chunk(
  C: usize, ldc: i32, A: usize, rsA: i32, csA: i32, Bp: usize, panelStride: i32,
  M: i32, N: i32, p0: i32, kc: i32, edge: usize,
): void {
  const ra = <usize>rsA << 2, sa = <usize>csA << 2;
  const a0 = A + (<usize>p0 * sa);
  const M4 = M & ~3;
  for (let q = 0; q * NR < N; q++) {
    const j = q * NR;
    const nr = min(NR, N - j);
    const pb = Bp + (<usize>(q * panelStride) << 2);
    const cj = C + (<usize>j << 2);
    if (nr == NR) {
      for (let i = 0; i < M4; i += 4) micro_4x8(cj + (<usize>(i * ldc) << 2), ldc, a0 + <usize>i * ra, ra, sa, pb, kc);
      for (let i = M4; i < M; i++) micro_1x8(cj + (<usize>(i * ldc) << 2), a0 + <usize>i * ra, sa, pb, kc);
      continue;
    }
    // Edge panel: rows of C → edge tile (8 wide, zero past nr) → kernel → back.
    for (let i = 0; i < M; i += 4) {
      const rows = min(4, M - i);
      memory.fill(edge, 0, 4 * NR * 4);
      for (let r = 0; r < rows; r++) memory.copy(edge + (<usize>(r * NR) << 2), cj + (<usize>((i + r) * ldc) << 2), <usize>nr << 2);
      if (rows == 4) micro_4x8(edge, NR, a0 + <usize>i * ra, ra, sa, pb, kc);
      else for (let r = 0; r < rows; r++) micro_1x8(edge + (<usize>(r * NR) << 2), a0 + <usize>(i + r) * ra, sa, pb, kc);
      for (let r = 0; r < rows; r++) memory.copy(cj + (<usize>((i + r) * ldc) << 2), edge + (<usize>(r * NR) << 2), <usize>nr << 2);
    }
  }
}

/**
 * C (M×N) += A'·B with B packed whole (f32_pack_b / f32_pack_bt over K×N).
 * `scratch` holds at least f32_gemm_scratch_floats(N) floats (only the edge tile is used).
 */
export function f32_gemm_packed(
  C: usize, ldc: i32, A: usize, rsA: i32, csA: i32, Bp: usize,
  M: i32, N: i32, K: i32, scratch: usize,
): void {
  for (let p0 = 0; p0 < K; p0 += KC) {
    const kc = min(KC, K - p0);
    gemm_chunk(C, ldc, A, rsA, csA, Bp + (<usize>(p0 * NR) << 2), K * NR, M, N, p0, kc, scratch);
  }
}

/**
 * C (M×N) += A'·B for a row-major B (K×N, ldb), packing each K-chunk of B into `scratch`
 * (at least f32_gemm_scratch_floats(N) floats).
 */
export function f32_gemm(
  C: usize, ldc: i32, A: usize, rsA: i32, csA: i32, B: usize, ldb: i32,
  M: i32, N: i32, K: i32, scratch: usize,
): void {
  const edge = scratch + (<usize>f32_packed_floats(KC, N) << 2);
  for (let p0 = 0; p0 < K; p0 += KC) {
    const kc = min(KC, K - p0);
    pack_b_rows(scratch, B, ldb, p0, kc, N, kc * NR);
    gemm_chunk(C, ldc, A, rsA, csA, scratch, kc * NR, M, N, p0, kc, edge);
  }
}

/** Scalar reference: C (M×N) += A'·B, the definition, in the same summation order. */
export function f32_gemm_strided_ref(
  C: usize, ldc: i32,
  A: usize, rsA: i32, csA: i32,
  B: usize, ldb: i32,
  M: i32, N: i32, K: i32,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const pc = C + (<usize>(i * ldc + j) << 2);
      let acc = load<f32>(pc);
      for (let p = 0; p < K; p++) {
        acc += load<f32>(A + (<usize>(i * rsA + p * csA) << 2)) * load<f32>(B + (<usize>(p * ldb + j) << 2));
      }
      store<f32>(pc, acc);
    }
  }
}
