/**
 * f32_gemm_strided (the 4×8 SIMD kernel behind f32_gemm and f32_gemm_tn) against its scalar
 * reference. The kernel promises the same summation order as the reference, so results
 * must be bit-identical, for every shape class: one tile, multiples, tails only, tile + tail.
 */
import { f32_gemm_strided, f32_gemm_strided_ref, f32_gemm, f32_gemm_tn } from "../../assembly/gemm";

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

/** Checks C += A·B (A row-major M×K, or stored K×M when transposed) kernel vs reference, bit for bit. */
function check(M: i32, N: i32, K: i32, transposed: bool): void {
  const A = filled(M * K), B = filled(K * N), C = filled(M * N);
  const Cref = copyOf(C, M * N);
  if (transposed) {
    f32_gemm_tn(C, N, A, M, B, N, M, N, K);
    f32_gemm_strided_ref(Cref, N, A, 1, M, B, N, M, N, K);
  } else {
    f32_gemm(C, N, A, K, B, N, M, N, K);
    f32_gemm_strided_ref(Cref, N, A, K, 1, B, N, M, N, K);
  }
  for (let i = 0; i < M * N; i++) {
    const got = load<f32>(C + (<usize>i << 2)), want = load<f32>(Cref + (<usize>i << 2));
    if (reinterpret<u32>(got) != reinterpret<u32>(want)) {
      expect<f32>(got).toBe(want, `M=${M} N=${N} K=${K} tn=${transposed} at ${i}`);
    }
  }
  heap.free(A); heap.free(B); heap.free(C); heap.free(Cref);
}

describe("f32_gemm (C += A·B)", () => {
  it("one 4×8 tile", () => { check(4, 8, 5, false); });
  it("multiples of the tile", () => { check(12, 24, 16, false); });
  it("tails only (M < 4, N < 4)", () => { check(3, 3, 7, false); check(1, 1, 1, false); });
  it("tiles plus tails in both directions", () => { check(13, 29, 11, false); check(6, 13, 3, false); });
  it("K = 0 leaves C unchanged", () => { check(5, 9, 0, false); });
});

describe("f32_gemm_tn (C += Aᵀ·B)", () => {
  it("one tile", () => { check(4, 8, 5, true); });
  it("multiples", () => { check(8, 16, 32, true); });
  it("tails", () => { check(3, 2, 9, true); check(17, 21, 10, true); });
});

describe("f32_gemm_strided leading dimensions", () => {
  it("reads sub-matrices of wider buffers", () => {
    // A 5×3 window of a 5×8 buffer, B 3×6 window of a 3×10 buffer, C 5×6 window of 5×9.
    const A = filled(40), B = filled(30), C = filled(45);
    const Cref = copyOf(C, 45);
    f32_gemm_strided(C, 9, A, 8, 1, B, 10, 5, 6, 3);
    f32_gemm_strided_ref(Cref, 9, A, 8, 1, B, 10, 5, 6, 3);
    for (let i = 0; i < 45; i++) expect<f32>(load<f32>(C + (<usize>i << 2))).toBe(load<f32>(Cref + (<usize>i << 2)));
  });
});
