/**
 * The GEMM kernels (assembly/gemm.ts) against the scalar reference f32_gemm_strided_ref.
 * The kernels promise the reference's summation order, so every result must be
 * bit-identical, for every shape class: one 4×8 tile, multiples, tails only (M < 4,
 * N < 8), tiles plus tails, K spanning several 256-row chunks, A read transposed, B packed
 * whole (f32_pack_b / f32_pack_bt) or per chunk (f32_gemm), and sub-matrices of wider
 * buffers. A guard region after C must stay untouched.
 *
 * Compiled with relaxed SIMD (the FMA build, rnn-fma.wasm: npm run test:kernels:fma) the
 * kernels fuse multiply-adds and run 5-row tiles first; then each result must lie within the
 * rounding bound of the reference instead: |got − want| ≤ 2(K + 2)·2⁻²⁴·(|C| + Σ|a||b|), the
 * sum of both summations' worst cases, far below what a misplaced row or column would give.
 */
import {
  f32_gemm, f32_gemm_packed, f32_pack_b, f32_pack_bt, f32_packed_floats, f32_gemm_scratch_floats,
  f32_gemm_strided_ref,
} from "../../assembly/gemm";

let seed: u32 = 12345;
function rnd(): f32 {
  seed = seed * 1664525 + 1013904223;
  return <f32>(seed >>> 8) / 16777216.0 - 0.5;
}
function filled(n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 2);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd());
  return p;
}
function copyOf(src: usize, n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 2);
  memory.copy(p, src, <usize>n << 2);
  return p;
}
function absOf(src: usize, n: i32): usize {
  const p = copyOf(src, n);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), Mathf.abs(load<f32>(p + (<usize>i << 2))));
  return p;
}

/**
 * C[i] against the reference Cref[i]: the same bits in the strict build; in the FMA build within
 * the rounding bound, Cabs[i] = |C0| + Σ|a||b| over K terms.
 */
function expectSame(got: f32, want: f32, bound: f32, K: i32, message: string): void {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const terms = 2 * (K + 2);
    const tol = <f32>terms * <f32>5.9604645e-8 * bound;   // 2(K + 2)·2⁻²⁴·bound
    if (!(Mathf.abs(got - want) <= tol)) expect<f32>(got).toBe(want, `${message} (|Δ| > ${tol})`);
    return;
  }
  // Compare bits: toBe on floats uses ==, which would let −0 stand for +0.
  expect<u32>(reinterpret<u32>(got)).toBe(reinterpret<u32>(want), message);
}
const GUARD = 8;
const GUARD_VALUE: f32 = 12345.5;

/** C (M×N) += A'·B three ways (per-chunk packing, packed B, packed Bᵀ source) vs the reference, bit for bit. */
function check(M: i32, N: i32, K: i32, transposedA: bool): void {
  const A = filled(M * K);                 // M×K row-major, or K×M when transposedA
  const rsA = transposedA ? 1 : K, csA = transposedA ? M : 1;
  const B = filled(K * N);                 // K×N row-major
  const BT = heap.alloc(<usize>max(N * K, 1) << 2);   // N×K: Bᵀ stored row-major
  for (let p = 0; p < K; p++) for (let j = 0; j < N; j++) store<f32>(BT + (<usize>(j * K + p) << 2), load<f32>(B + (<usize>(p * N + j) << 2)));
  const C0 = filled(M * N);
  const Cref = copyOf(C0, M * N);
  f32_gemm_strided_ref(Cref, N, A, rsA, csA, B, N, M, N, K);
  const Aabs = absOf(A, M * K), Babs = absOf(B, K * N), Cabs = absOf(C0, M * N);
  f32_gemm_strided_ref(Cabs, N, Aabs, rsA, csA, Babs, N, M, N, K);

  const scratch = heap.alloc(<usize><i32>f32_gemm_scratch_floats(N) << 2);
  const Bp = heap.alloc(<usize>max(f32_packed_floats(K, N), 1) << 2);
  for (let way = 0; way < 3; way++) {
    const C = heap.alloc(<usize>(M * N + GUARD) << 2);
    memory.copy(C, C0, <usize>(M * N) << 2);
    for (let g = 0; g < GUARD; g++) store<f32>(C + (<usize>(M * N + g) << 2), GUARD_VALUE);
    if (way == 0) f32_gemm(C, N, A, rsA, csA, B, N, M, N, K, scratch);
    else {
      if (way == 1) f32_pack_b(Bp, B, N, K, N);
      else f32_pack_bt(Bp, BT, K, K, N);
      f32_gemm_packed(C, N, A, rsA, csA, Bp, M, N, K, scratch);
    }
    for (let i = 0; i < M * N; i++) {
      const got = load<f32>(C + (<usize>i << 2)), want = load<f32>(Cref + (<usize>i << 2));
      expectSame(got, want, load<f32>(Cabs + (<usize>i << 2)), K, `M=${M} N=${N} K=${K} tA=${transposedA} way=${way} at ${i}`);
    }
    for (let g = 0; g < GUARD; g++) expect<f32>(load<f32>(C + (<usize>(M * N + g) << 2))).toBe(GUARD_VALUE, "guard after C");
    heap.free(C);
  }
  heap.free(A); heap.free(B); heap.free(BT); heap.free(C0); heap.free(Cref); heap.free(scratch); heap.free(Bp);
  heap.free(Aabs); heap.free(Babs); heap.free(Cabs);
}

describe("f32_gemm / f32_gemm_packed (C += A·B)", () => {
  it("one 4×8 tile", () => { check(4, 8, 5, false); });
  it("multiples of the tile", () => { check(12, 24, 16, false); });
  it("tails only (M < 4, N < 8)", () => { check(3, 3, 7, false); check(1, 1, 1, false); check(2, 5, 4, false); });
  it("tiles plus tails in both directions", () => { check(13, 29, 11, false); check(6, 13, 3, false); });
  it("K over several 256-row chunks, with a partial last chunk", () => { check(5, 10, 600, false); });
  it("K = 0 leaves C unchanged", () => { check(5, 9, 0, false); });
  it("rows left by M % 4 (batch size 1): every mix of 1×24, 1×16, 1×8 and the edge tile", () => {
    // full panels 1..9, with and without a narrower last one; K over a chunk boundary once
    for (let N = 8; N <= 75; N += 9) { check(1, N, 37, false); check(1, N - N % 8, 37, false); }
    check(3, 64, 300, false);
    check(5, 40, 261, true);
  });
  it("the FMA build's 5-row tiles and what M % 5 leaves (a 4-row tile, single rows), across A blocks", () => {
    // M = 5, 10: 5-row tiles only; 9, 14: plus one 4-row tile; 8, 13, 32: plus single rows;
    // 4: no 5-row tile; 134 and 263: over the 130-row blocks of the FMA build (128 in the strict one).
    const Ms: i32[] = [5, 10, 9, 14, 8, 13, 32, 4];
    for (let i = 0; i < Ms.length; i++) { check(Ms[i], 29, 37, false); check(Ms[i], 16, 300, true); }
    check(134, 13, 40, false);
    check(263, 24, 9, true);
  });
});

describe("A read transposed (C += Aᵀ·B)", () => {
  it("one tile", () => { check(4, 8, 5, true); });
  it("multiples", () => { check(8, 16, 32, true); });
  it("tails", () => { check(3, 2, 9, true); check(17, 21, 10, true); });
  it("long K (the dW = Σ_t dzᵀ·s form)", () => { check(9, 12, 530, true); });
});

describe("leading dimensions", () => {
  it("reads and writes sub-matrices of wider buffers", () => {
    // A: 5×3 window of a 5×8 buffer; B: 3×6 window of a 3×10 buffer; C: 5×6 window of 5×9.
    const A = filled(40), B = filled(30), C = filled(45);
    const Cref = copyOf(C, 45);
    const scratch = heap.alloc(<usize><i32>f32_gemm_scratch_floats(6) << 2);
    const Aabs = absOf(A, 40), Babs = absOf(B, 30), Cabs = absOf(C, 45);
    f32_gemm(C, 9, A, 8, 1, B, 10, 5, 6, 3, scratch);
    f32_gemm_strided_ref(Cref, 9, A, 8, 1, B, 10, 5, 6, 3);
    f32_gemm_strided_ref(Cabs, 9, Aabs, 8, 1, Babs, 10, 5, 6, 3);
    for (let i = 0; i < 45; i++) expectSame(load<f32>(C + (<usize>i << 2)), load<f32>(Cref + (<usize>i << 2)), load<f32>(Cabs + (<usize>i << 2)), 3, `at ${i}`);
    heap.free(A); heap.free(B); heap.free(C); heap.free(Cref); heap.free(scratch);
    heap.free(Aabs); heap.free(Babs); heap.free(Cabs);
  });
});
