// Matrix products for the batched RNN step.
//
//   f32_gemm         C (M×N) += A' (M×K) · B (K×N)        B row-major, packed per K-chunk into scratch
//   f32_gemm_packed  C (M×N) += A' (M×K) · B              B already packed whole by f32_pack_b/_bt
//
// A' is read through two strides, A'[i][p] = A[i*rsA + p*csA], so one kernel serves A·B
// (rsA = lda, csA = 1) and Aᵀ·B (A stored K×M: rsA = 1, csA = lda), and A·Bᵀ packs Bᵀ
// straight from B's rows (f32_pack_bt). That covers the three forms a step needs.
//
// Packing (the Goto/BLIS scheme): B in panels of NR = 8 columns, panel q holding
// B[p][8q .. 8q+8) for p = 0..K−1 as consecutive groups of 8 floats (zero past N); A in
// micro-panels of MR = 4 rows, four floats per p. A 4×8 register tile of C then streams two
// contiguous buffers: two v128 loads and four broadcasts (v128.load32_splat at immediate
// offsets from one pointer) per p feed eight multiply-adds, 8 accumulators + 2 B + 1 A
// registers, within the 15 xmm registers V8 allocates on x64. Loops: K in chunks of KC,
// A in blocks of MC rows (packed once per chunk, L2-resident), then B panels (a panel
// chunk stays in L1 while every micro-panel passes over it), then micro-panels. Packing
// also removes the power-of-two row strides (d = 256, 512) that thrash L1 sets.
//
// Accumulate contract: C is read and added to; callers zero or preset C.
// Rounding contract: every C[i][j] becomes C[i][j] + A'[i][0]·B[0][j] + A'[i][1]·B[1][j] + …,
// one f32 multiply and one f32 add per term, in order p = 0..K−1, in every tile, tail and
// chunk (a chunk reloads C where the previous one stored it). So the kernel equals
// f32_gemm_strided_ref bit for bit, whatever tile a row lands in: a padded, sorted batch
// equals each sequence run alone, and every engine gives the same bits. No fused multiply-
// add: wasm SIMD has none outside relaxed SIMD, which is not deterministic across engines.
// That contract is the strict build's (rnn.wasm). The FMA build (rnn-fma.wasm: the same source
// with relaxed SIMD enabled) turns every multiply-add below into fmadd4's f32x4.relaxed_madd:
// same order of terms, but each term may be one fused rounding instead of two, as the engine
// and CPU decide; results then match the reference within f32 tolerances, not bit for bit.
// The FMA build also runs most rows through a 5×8 tile (micro_5x8: ten accumulators, as a
// fused multiply-add's longer latency wants), packing A in 5-row micro-panels and blocks of
// MC = 130 rows; what M % 5 leaves takes the 4×8 and single-row paths as in the strict build.

import { fmadd4 } from "./simd";

// @ts-ignore: decorator
@inline export const NR = 8;     // columns per packed B panel (two f32x4)
// @ts-ignore: decorator
@inline export const MR = 4;     // rows per packed A micro-panel (four broadcasts)
// @ts-ignore: decorator
@inline export const KC = 256;   // rows of B (columns of A) per chunk: a panel chunk is 8 KiB, L1-resident
// @ts-ignore: decorator
@inline export const MC = ASC_FEATURE_RELAXED_SIMD ? 130 : 128;   // rows of A per block (FMA build: a multiple of 5): a packed block is ~128 KiB, L2-resident
// @ts-ignore: decorator
@inline const MR5 = 5;           // rows per packed A micro-panel of the FMA build's 5×8 tile
// @ts-ignore: decorator
@inline const MRE = ASC_FEATURE_RELAXED_SIMD ? MR5 : MR;   // rows of the edge tile

/** Floats of a packed copy of a K×N matrix: ⌈N/8⌉ panels of K×8. */
export function f32_packed_floats(K: i32, N: i32): i32 {
  return ((N + NR - 1) / NR) * K * NR;
}

/**
 * Floats of the scratch the kernels need for N columns (in f64, so a planner can size any
 * request): a packed A block (MC×KC), an edge tile (4×8; 5×8 in the FMA build), one packed
 * K-chunk of B (f32_gemm only).
 */
export function f32_gemm_scratch_floats(N: f64): f64 {
  return <f64>(MC * KC + MRE * NR) + Math.ceil(N / NR) * NR * KC;
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

/**
 * Pack rows i0..i0+mc, columns p0..p0+kc of A' into micro-panels of 4 rows: micro-panel r
 * holds A'[i0+4r+ii][p0+p] at (r·kc + p)·4 + ii. Rows past mc are zero (their results are
 * never stored).
 */
function pack_a(Ap: usize, A: usize, rsA: i32, csA: i32, i0: i32, mc: i32, p0: i32, kc: i32): void {
  for (let r = 0; r * MR < mc; r++) {
    const rows = min(MR, mc - r * MR);
    let dst = Ap + (<usize>(r * kc * MR) << 2);
    const src = A + (<usize>((i0 + r * MR) * rsA + p0 * csA) << 2);
    if (rows == MR && rsA == 1) {
      // A stored K×M (the Aᵀ·B form): the 4 rows of one column are adjacent.
      let ps = src;
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(ps));
        dst += MR << 2;
        ps += <usize>csA << 2;
      }
      continue;
    }
    if (rows == MR && csA == 1) {
      // A row-major (the A·B form): 4×4 blocks, loaded by rows and stored by columns.
      const r0 = src, r1 = r0 + (<usize>rsA << 2), r2 = r1 + (<usize>rsA << 2), r3 = r2 + (<usize>rsA << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        const va = v128.load(r0 + o), vb = v128.load(r1 + o), vc = v128.load(r2 + o), vd = v128.load(r3 + o);
        const vab01 = i32x4.shuffle(va, vb, 0, 4, 1, 5), vcd01 = i32x4.shuffle(vc, vd, 0, 4, 1, 5);
        const vab23 = i32x4.shuffle(va, vb, 2, 6, 3, 7), vcd23 = i32x4.shuffle(vc, vd, 2, 6, 3, 7);
        v128.store(dst, i32x4.shuffle(vab01, vcd01, 0, 1, 4, 5));
        v128.store(dst, i32x4.shuffle(vab01, vcd01, 2, 3, 6, 7), 16);
        v128.store(dst, i32x4.shuffle(vab23, vcd23, 0, 1, 4, 5), 32);
        v128.store(dst, i32x4.shuffle(vab23, vcd23, 2, 3, 6, 7), 48);
        dst += MR * 4 << 2;
      }
      for (; p < kc; p++) {
        const o = <usize>p << 2;
        store<f32>(dst, load<f32>(r0 + o)); store<f32>(dst, load<f32>(r1 + o), 4);
        store<f32>(dst, load<f32>(r2 + o), 8); store<f32>(dst, load<f32>(r3 + o), 12);
        dst += MR << 2;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      for (let ii = 0; ii < MR; ii++) {
        store<f32>(dst + (<usize>ii << 2), ii < rows ? load<f32>(src + (<usize>(ii * rsA + p * csA) << 2)) : 0);
      }
      dst += MR << 2;
    }
  }
}

/**
 * The 4×8 micro-kernel: C rows c0..c3 (stride ldc floats) × 8 columns += micro-panel pa
 * (kc×4) · panel chunk pb (kc×8). Not unrolled: unrolling by two made V8 hoist all twelve
 * loads of a body and spill accumulators (seen in its x64 output, and 15% slower).
 */
// @ts-ignore: decorator
@inline function micro_4x8(c0: usize, ldc: i32, pa: usize, pb: usize, kc: i32): void {
  const c1 = c0 + (<usize>ldc << 2), c2 = c1 + (<usize>ldc << 2), c3 = c2 + (<usize>ldc << 2);
  let vacc0x0123 = v128.load(c0), vacc0x4567 = v128.load(c0, 16);
  let vacc1x0123 = v128.load(c1), vacc1x4567 = v128.load(c1, 16);
  let vacc2x0123 = v128.load(c2), vacc2x4567 = v128.load(c2, 16);
  let vacc3x0123 = v128.load(c3), vacc3x4567 = v128.load(c3, 16);
  for (let p = 0; p < kc; p++) {
    const vb0123 = v128.load(pb);
    const vb4567 = v128.load(pb, 16);
    let va = v128.load32_splat(pa);
    vacc0x0123 = fmadd4(va, vb0123, vacc0x0123);
    vacc0x4567 = fmadd4(va, vb4567, vacc0x4567);
    va = v128.load32_splat(pa, 4);
    vacc1x0123 = fmadd4(va, vb0123, vacc1x0123);
    vacc1x4567 = fmadd4(va, vb4567, vacc1x4567);
    va = v128.load32_splat(pa, 8);
    vacc2x0123 = fmadd4(va, vb0123, vacc2x0123);
    vacc2x4567 = fmadd4(va, vb4567, vacc2x4567);
    va = v128.load32_splat(pa, 12);
    vacc3x0123 = fmadd4(va, vb0123, vacc3x0123);
    vacc3x4567 = fmadd4(va, vb4567, vacc3x4567);
    pa += MR * 4;
    pb += NR * 4;
  }
  v128.store(c0, vacc0x0123); v128.store(c0, vacc0x4567, 16);
  v128.store(c1, vacc1x0123); v128.store(c1, vacc1x4567, 16);
  v128.store(c2, vacc2x0123); v128.store(c2, vacc2x4567, 16);
  v128.store(c3, vacc3x0123); v128.store(c3, vacc3x4567, 16);
}

/**
 * pack_a for the FMA build's 5-row micro-panels: rows i0..i0+mc (mc a multiple of 5), micro-
 * panel r holding A'[i0+5r+ii][p0+p] at (r·kc + p)·5 + ii. Rows 0..3 of a panel go as pack_a
 * moves them, row 4 one float at a time.
 */
function pack_a5(Ap: usize, A: usize, rsA: i32, csA: i32, i0: i32, mc: i32, p0: i32, kc: i32): void {
  for (let r = 0; r * MR5 < mc; r++) {
    let dst = Ap + (<usize>(r * kc * MR5) << 2);
    const src = A + (<usize>((i0 + r * MR5) * rsA + p0 * csA) << 2);
    if (rsA == 1) {
      // A stored K×M (the Aᵀ·B form): the 5 rows of one column are adjacent.
      let ps = src;
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(ps));
        store<f32>(dst, load<f32>(ps, 16), 16);
        dst += MR5 << 2;
        ps += <usize>csA << 2;
      }
      continue;
    }
    if (csA == 1) {
      // A row-major (the A·B form): rows 0..3 as 4×4 blocks loaded by rows and stored by columns.
      const r0 = src, r1 = r0 + (<usize>rsA << 2), r2 = r1 + (<usize>rsA << 2), r3 = r2 + (<usize>rsA << 2);
      const r4 = r3 + (<usize>rsA << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        const va = v128.load(r0 + o), vb = v128.load(r1 + o), vc = v128.load(r2 + o), vd = v128.load(r3 + o);
        const vab01 = i32x4.shuffle(va, vb, 0, 4, 1, 5), vcd01 = i32x4.shuffle(vc, vd, 0, 4, 1, 5);
        const vab23 = i32x4.shuffle(va, vb, 2, 6, 3, 7), vcd23 = i32x4.shuffle(vc, vd, 2, 6, 3, 7);
        v128.store(dst, i32x4.shuffle(vab01, vcd01, 0, 1, 4, 5));
        v128.store(dst, i32x4.shuffle(vab01, vcd01, 2, 3, 6, 7), 20);
        v128.store(dst, i32x4.shuffle(vab23, vcd23, 0, 1, 4, 5), 40);
        v128.store(dst, i32x4.shuffle(vab23, vcd23, 2, 3, 6, 7), 60);
        store<f32>(dst, load<f32>(r4 + o), 16); store<f32>(dst, load<f32>(r4 + o, 4), 36);
        store<f32>(dst, load<f32>(r4 + o, 8), 56); store<f32>(dst, load<f32>(r4 + o, 12), 76);
        dst += MR5 * 4 << 2;
      }
      for (; p < kc; p++) {
        const o = <usize>p << 2;
        store<f32>(dst, load<f32>(r0 + o)); store<f32>(dst, load<f32>(r1 + o), 4);
        store<f32>(dst, load<f32>(r2 + o), 8); store<f32>(dst, load<f32>(r3 + o), 12);
        store<f32>(dst, load<f32>(r4 + o), 16);
        dst += MR5 << 2;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      for (let ii = 0; ii < MR5; ii++) store<f32>(dst + (<usize>ii << 2), load<f32>(src + (<usize>(ii * rsA + p * csA) << 2)));
      dst += MR5 << 2;
    }
  }
}

/**
 * The FMA build's 5×8 micro-kernel: C rows c0..c4 × 8 columns += micro-panel pa (kc×5) · panel
 * chunk pb (kc×8). A fused multiply-add's latency (4 cycles) over two FMA pipes needs 8
 * chains in flight: 4×8's 8 accumulators leave no slack, 10 do. V8 issues every load of a
 * step before its arithmetic, so a step's loads all hold registers at once: five
 * load32_splat broadcasts (10 + 2 + 5 = 17 registers) and a 6×8 tile both spilled
 * accumulators to the stack every step (V8's x64 output). Here rows 0..3 come from one v128
 * load and are broadcast by shuffles, which V8 places next to their multiply-adds: 10
 * accumulators + 2 B + 1 A + 1 broadcast + row 4's = 14 of the 15 registers, no spill.
 */
// @ts-ignore: decorator
@inline function micro_5x8(c0: usize, ldc: i32, pa: usize, pb: usize, kc: i32): void {
  const c1 = c0 + (<usize>ldc << 2), c2 = c1 + (<usize>ldc << 2), c3 = c2 + (<usize>ldc << 2);
  const c4 = c3 + (<usize>ldc << 2);
  let vacc0x0123 = v128.load(c0), vacc0x4567 = v128.load(c0, 16);
  let vacc1x0123 = v128.load(c1), vacc1x4567 = v128.load(c1, 16);
  let vacc2x0123 = v128.load(c2), vacc2x4567 = v128.load(c2, 16);
  let vacc3x0123 = v128.load(c3), vacc3x4567 = v128.load(c3, 16);
  let vacc4x0123 = v128.load(c4), vacc4x4567 = v128.load(c4, 16);
  const end = pa + <usize>(kc * MR5 * 4);
  while (pa < end) {
    const vb0123 = v128.load(pb);
    const vb4567 = v128.load(pb, 16);
    const va0123 = v128.load(pa);
    let va = i32x4.shuffle(va0123, va0123, 0, 0, 0, 0);
    vacc0x0123 = fmadd4(va, vb0123, vacc0x0123);
    vacc0x4567 = fmadd4(va, vb4567, vacc0x4567);
    va = i32x4.shuffle(va0123, va0123, 1, 1, 1, 1);
    vacc1x0123 = fmadd4(va, vb0123, vacc1x0123);
    vacc1x4567 = fmadd4(va, vb4567, vacc1x4567);
    va = i32x4.shuffle(va0123, va0123, 2, 2, 2, 2);
    vacc2x0123 = fmadd4(va, vb0123, vacc2x0123);
    vacc2x4567 = fmadd4(va, vb4567, vacc2x4567);
    va = i32x4.shuffle(va0123, va0123, 3, 3, 3, 3);
    vacc3x0123 = fmadd4(va, vb0123, vacc3x0123);
    vacc3x4567 = fmadd4(va, vb4567, vacc3x4567);
    va = v128.load32_splat(pa, 16);
    vacc4x0123 = fmadd4(va, vb0123, vacc4x0123);
    vacc4x4567 = fmadd4(va, vb4567, vacc4x4567);
    pa += MR5 * 4;
    pb += NR * 4;
  }
  v128.store(c0, vacc0x0123); v128.store(c0, vacc0x4567, 16);
  v128.store(c1, vacc1x0123); v128.store(c1, vacc1x4567, 16);
  v128.store(c2, vacc2x0123); v128.store(c2, vacc2x4567, 16);
  v128.store(c3, vacc3x0123); v128.store(c3, vacc3x4567, 16);
  v128.store(c4, vacc4x0123); v128.store(c4, vacc4x4567, 16);
}

/** A 5-row micro-panel × the last, narrower panel (nr < 8 columns): through a 5×8 edge tile. */
function edge_tile_5(c0: usize, ldc: i32, nr: i32, pa: usize, pb: usize, kc: i32, edge: usize): void {
  memory.fill(edge, 0, MR5 * NR * 4);
  for (let ii = 0; ii < MR5; ii++) memory.copy(edge + (<usize>(ii * NR) << 2), c0 + (<usize>(ii * ldc) << 2), <usize>nr << 2);
  micro_5x8(edge, NR, pa, pb, kc);
  for (let ii = 0; ii < MR5; ii++) memory.copy(c0 + (<usize>(ii * ldc) << 2), edge + (<usize>(ii * NR) << 2), <usize>nr << 2);
}

/**
 * The 1×8 micro-kernel for a row left over by M % 4: one row of A' from pa, `sa` bytes
 * from one step of p to the next (a packed micro-panel's 16, or A's own column stride).
 */
// @ts-ignore: decorator
@inline function micro_1x8(c0: usize, pa: usize, sa: usize, pb: usize, kc: i32): void {
  let vacc0123 = v128.load(c0), vacc4567 = v128.load(c0, 16);
  for (let p = 0; p < kc; p++) {
    const va = v128.load32_splat(pa);
    vacc0123 = fmadd4(va, v128.load(pb), vacc0123);
    vacc4567 = fmadd4(va, v128.load(pb, 16), vacc4567);
    pa += sa;
    pb += NR * 4;
  }
  v128.store(c0, vacc0123); v128.store(c0, vacc4567, 16);
}

/**
 * The 1×24 micro-kernel: one row of C × three consecutive full panels (24 columns), for the
 * rows M % 4 leaves (all of them at batch size 1: streaming and generation). Six independent
 * accumulators hide most of the add latency that bounds a single 1×8 chain. Not 1×32: V8
 * issues all loads of a step before its multiplies, and 8 accumulators + 8 loads + the
 * broadcast exceed the 15 xmm registers it allocates, so 1×32 spilled (seen in its x64
 * output); 6 + 6 + 1 fit. One running pointer per panel and an end pointer for A: written
 * as base + offset, V8 kept the offsets in stack slots and reloaded them every step (its x64
 * output); this form was 13% faster at batch size 1 (bench A/B, same process).
 */
// @ts-ignore: decorator
@inline function micro_1x24(c0: usize, pa: usize, sa: usize, pb: usize, panelBytes: usize, kc: i32): void {
  let pb0 = pb, pb1 = pb + panelBytes, pb2 = pb1 + panelBytes;
  let vacc0 = v128.load(c0), vacc1 = v128.load(c0, 16), vacc2 = v128.load(c0, 32);
  let vacc3 = v128.load(c0, 48), vacc4 = v128.load(c0, 64), vacc5 = v128.load(c0, 80);
  const end = pa + <usize>kc * sa;
  while (pa < end) {
    const va = v128.load32_splat(pa);
    vacc0 = fmadd4(va, v128.load(pb0), vacc0);
    vacc1 = fmadd4(va, v128.load(pb0, 16), vacc1);
    vacc2 = fmadd4(va, v128.load(pb1), vacc2);
    vacc3 = fmadd4(va, v128.load(pb1, 16), vacc3);
    vacc4 = fmadd4(va, v128.load(pb2), vacc4);
    vacc5 = fmadd4(va, v128.load(pb2, 16), vacc5);
    pa += sa;
    pb0 += NR * 4; pb1 += NR * 4; pb2 += NR * 4;
  }
  v128.store(c0, vacc0); v128.store(c0, vacc1, 16); v128.store(c0, vacc2, 32);
  v128.store(c0, vacc3, 48); v128.store(c0, vacc4, 64); v128.store(c0, vacc5, 80);
}

/** The 1×16 micro-kernel: one row × two consecutive full panels (what 1×24 leaves of N). */
// @ts-ignore: decorator
@inline function micro_1x16(c0: usize, pa: usize, sa: usize, pb: usize, panelBytes: usize, kc: i32): void {
  let pb0 = pb, pb1 = pb + panelBytes;
  let vacc0 = v128.load(c0), vacc1 = v128.load(c0, 16), vacc2 = v128.load(c0, 32), vacc3 = v128.load(c0, 48);
  const end = pa + <usize>kc * sa;
  while (pa < end) {
    const va = v128.load32_splat(pa);
    vacc0 = fmadd4(va, v128.load(pb0), vacc0);
    vacc1 = fmadd4(va, v128.load(pb0, 16), vacc1);
    vacc2 = fmadd4(va, v128.load(pb1), vacc2);
    vacc3 = fmadd4(va, v128.load(pb1, 16), vacc3);
    pa += sa;
    pb0 += NR * 4; pb1 += NR * 4;
  }
  v128.store(c0, vacc0); v128.store(c0, vacc1, 16); v128.store(c0, vacc2, 32); v128.store(c0, vacc3, 48);
}

/** A 4-row micro-panel × the last, narrower panel (nr < 8 columns): through a 4×8 edge tile. */
function edge_tile_4(c0: usize, ldc: i32, nr: i32, pa: usize, pb: usize, kc: i32, edge: usize): void {
  memory.fill(edge, 0, MR * NR * 4);
  for (let ii = 0; ii < MR; ii++) memory.copy(edge + (<usize>(ii * NR) << 2), c0 + (<usize>(ii * ldc) << 2), <usize>nr << 2);
  micro_4x8(edge, NR, pa, pb, kc);
  for (let ii = 0; ii < MR; ii++) memory.copy(c0 + (<usize>(ii * ldc) << 2), edge + (<usize>(ii * NR) << 2), <usize>nr << 2);
}

/** One row × the last, narrower panel: through one 8-wide row of the edge tile. */
function edge_tile_1(c0: usize, nr: i32, pa: usize, sa: usize, pb: usize, kc: i32, edge: usize): void {
  v128.store(edge, f32x4.splat(0));
  v128.store(edge, f32x4.splat(0), 16);
  memory.copy(edge, c0, <usize>nr << 2);
  micro_1x8(edge, pa, sa, pb, kc);
  memory.copy(c0, edge, <usize>nr << 2);
}

/**
 * C += A'·B over one K-chunk (columns p0..p0+kc of A'), with that chunk of B packed at Bp
 * (panels `panelStride` floats apart). A' is packed in blocks of MC rows; full 4×8 tiles
 * (5×8 first in the FMA build) run in place in C, rows left by M % 4 run 1×24 / 1×8 in place, and the panel cut by N
 * runs on an edge tile copied in and out.
 */
function gemm_chunk(
  C: usize, ldc: i32, A: usize, rsA: i32, csA: i32, Bp: usize, panelStride: i32,
  M: i32, N: i32, p0: i32, kc: i32, scratch: usize,
): void {
  const Ap = scratch;
  const edge = scratch + (<usize>(MC * KC) << 2);
  const full = N / NR;                 // panels with all 8 columns
  const nr = N - full * NR;            // columns of the last, narrower panel (0: none)
  const panelBytes = <usize>panelStride << 2;
  for (let i0 = 0; i0 < M; i0 += MC) {
    const mc = min(MC, M - i0);
    // The FMA build first runs whole 5-row micro-panels (micro_5x8), then what mc % 5 leaves
    // as below: a 4-row micro-panel if 4 or more rows remain, then single rows.
    let m5 = 0;
    if (ASC_FEATURE_RELAXED_SIMD) {
      m5 = mc - mc % MR5;
      if (m5 > 0) {
        pack_a5(Ap, A, rsA, csA, i0, m5, p0, kc);
        for (let q = 0; q <= full; q++) {
          if (q == full && nr == 0) break;
          const pb = Bp + <usize>q * panelBytes;
          const j = q * NR;
          for (let r = 0; r < m5; r += MR5) {
            const pa = Ap + (<usize>(r * kc) << 2);
            const c0 = C + (<usize>((i0 + r) * ldc + j) << 2);
            if (q < full) micro_5x8(c0, ldc, pa, pb, kc);
            else edge_tile_5(c0, ldc, nr, pa, pb, kc, edge);
          }
        }
      }
    }
    const i4 = i0 + m5;
    const m4 = (mc - m5) & ~(MR - 1);
    // Whole micro-panels (4 rows) from packed A: panel by panel, so a panel chunk stays in L1.
    if (m4 > 0) {
      pack_a(Ap, A, rsA, csA, i4, m4, p0, kc);
      for (let q = 0; q <= full; q++) {
        if (q == full && nr == 0) break;
        const pb = Bp + <usize>q * panelBytes;
        const j = q * NR;
        for (let r = 0; r < m4; r += MR) {
          const pa = Ap + (<usize>(r * kc) << 2);
          const c0 = C + (<usize>((i4 + r) * ldc + j) << 2);
          if (q < full) micro_4x8(c0, ldc, pa, pb, kc);
          else edge_tile_4(c0, ldc, nr, pa, pb, kc, edge);
        }
      }
    }
    // Rows left by mc % 4 (every row at batch size 1), one at a time across the panels,
    // reading A in place: packing would cost as much as the product.
    for (let i = i4 + m4; i < i0 + mc; i++) {
      const pa = A + (<usize>(i * rsA + p0 * csA) << 2);
      const sa = <usize>csA << 2;
      const c0 = C + (<usize>(i * ldc) << 2);
      let q = 0;
      for (; q + 3 <= full; q += 3) micro_1x24(c0 + (<usize>(q * NR) << 2), pa, sa, Bp + <usize>q * panelBytes, panelBytes, kc);
      if (q + 2 <= full) { micro_1x16(c0 + (<usize>(q * NR) << 2), pa, sa, Bp + <usize>q * panelBytes, panelBytes, kc); q += 2; }
      if (q < full) micro_1x8(c0 + (<usize>(q * NR) << 2), pa, sa, Bp + <usize>q * panelBytes, kc);
      if (nr) edge_tile_1(c0 + (<usize>(full * NR) << 2), nr, pa, sa, Bp + <usize>full * panelBytes, kc, edge);
    }
  }
}

/**
 * C (M×N) += A'·B with B packed whole (f32_pack_b / f32_pack_bt over K×N).
 * `scratch`: at least f32_gemm_scratch_floats(N) floats.
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
 * C (M×N) += A'·B for a row-major B (K×N, ldb), packing each K-chunk of B into scratch.
 * `scratch`: at least f32_gemm_scratch_floats(N) floats.
 */
export function f32_gemm(
  C: usize, ldc: i32, A: usize, rsA: i32, csA: i32, B: usize, ldb: i32,
  M: i32, N: i32, K: i32, scratch: usize,
): void {
  const Bc = scratch + (<usize>(MC * KC + MRE * NR) << 2);
  for (let p0 = 0; p0 < K; p0 += KC) {
    const kc = min(KC, K - p0);
    pack_b_rows(Bc, B, ldb, p0, kc, N, kc * NR);
    gemm_chunk(C, ldc, A, rsA, csA, Bc, kc * NR, M, N, p0, kc, scratch);
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
