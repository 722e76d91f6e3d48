// Matrix products for the batched RNN step.
//
//   f32_gemm     C (M×N) += A (M×K) · B (K×N)      A row-major, lda ≥ K
//   f32_gemm_tn  C (M×N) += Aᵀ · B                  A stored K×M row-major, lda ≥ M
//
// Both are one register-blocked kernel that reads A through two strides:
// A[i][p] = A[i*rsA + p*csA]. B and C are always row-major with contiguous rows, so the
// inner loop broadcasts one value of A and multiplies a whole 8-wide slice of a B row
// (llm.c's matmul_backward idea: every inner loop walks a contiguous row). The third form
// a step needs, A·Bᵀ, is done by packing Bᵀ once (f32_transpose) and calling f32_gemm.
//
// Accumulate contract: C is read and added to; callers zero or preset C.
// Rounding contract: every C[i][j] is C[i][j] + A[i][0]·B[0][j] + A[i][1]·B[1][j] + …,
// one f32 multiply and one f32 add per term, in order p = 0..K-1, in every tile and tail.
// So the vector kernel, its tails and f32_gemm_ref give bit-identical results, whatever
// the tile a row lands in (this is what makes a padded, sorted batch equal each sequence
// run alone, and results equal in every engine). No fused multiply-add: wasm SIMD has none
// outside relaxed SIMD, which this project does not use (it is not deterministic).

/** C (M×N) += A·B with A read through strides (rsA, csA); the 4×8 kernel plus tails. */
export function f32_gemm_strided(
  C: usize, ldc: i32,
  A: usize, rsA: i32, csA: i32,
  B: usize, ldb: i32,
  M: i32, N: i32, K: i32,
): void {
  const sa = <usize>csA << 2;  // bytes from A[i][p] to A[i][p+1]
  const sb = <usize>ldb << 2;  // bytes from B[p][j] to B[p+1][j]
  const ra = <usize>rsA << 2;  // bytes from A[i][p] to A[i+1][p]
  let i = 0;
  // Main: 4 rows of C at a time.
  for (; i + 4 <= M; i += 4) {
    const a0 = A + <usize>i * ra;
    const c0 = C + (<usize>(i * ldc) << 2);
    const c1 = c0 + (<usize>ldc << 2);
    const c2 = c1 + (<usize>ldc << 2);
    const c3 = c2 + (<usize>ldc << 2);
    let j = 0;
    // 4×8 tile: 8 accumulators, 2 loads of B and 4 broadcasts of A per step of p.
    for (; j + 8 <= N; j += 8) {
      const oj = <usize>j << 2;
      let vacc0x0123 = v128.load(c0 + oj), vacc0x4567 = v128.load(c0 + oj, 16);
      let vacc1x0123 = v128.load(c1 + oj), vacc1x4567 = v128.load(c1 + oj, 16);
      let vacc2x0123 = v128.load(c2 + oj), vacc2x4567 = v128.load(c2 + oj, 16);
      let vacc3x0123 = v128.load(c3 + oj), vacc3x4567 = v128.load(c3 + oj, 16);
      let pa = a0;
      let pb = B + oj;
      for (let p = 0; p < K; p++) {
        const vb0123 = v128.load(pb);
        const vb4567 = v128.load(pb, 16);
        const va0 = f32x4.splat(load<f32>(pa));
        const va1 = f32x4.splat(load<f32>(pa + ra));
        const va2 = f32x4.splat(load<f32>(pa + 2 * ra));
        const va3 = f32x4.splat(load<f32>(pa + 3 * ra));
        vacc0x0123 = f32x4.add(vacc0x0123, f32x4.mul(va0, vb0123));
        vacc0x4567 = f32x4.add(vacc0x4567, f32x4.mul(va0, vb4567));
        vacc1x0123 = f32x4.add(vacc1x0123, f32x4.mul(va1, vb0123));
        vacc1x4567 = f32x4.add(vacc1x4567, f32x4.mul(va1, vb4567));
        vacc2x0123 = f32x4.add(vacc2x0123, f32x4.mul(va2, vb0123));
        vacc2x4567 = f32x4.add(vacc2x4567, f32x4.mul(va2, vb4567));
        vacc3x0123 = f32x4.add(vacc3x0123, f32x4.mul(va3, vb0123));
        vacc3x4567 = f32x4.add(vacc3x4567, f32x4.mul(va3, vb4567));
        pa += sa;
        pb += sb;
      }
      v128.store(c0 + oj, vacc0x0123); v128.store(c0 + oj, vacc0x4567, 16);
      v128.store(c1 + oj, vacc1x0123); v128.store(c1 + oj, vacc1x4567, 16);
      v128.store(c2 + oj, vacc2x0123); v128.store(c2 + oj, vacc2x4567, 16);
      v128.store(c3 + oj, vacc3x0123); v128.store(c3 + oj, vacc3x4567, 16);
    }
    // 4×4 tile for a column remainder of 4..7.
    for (; j + 4 <= N; j += 4) {
      const oj = <usize>j << 2;
      let vacc0 = v128.load(c0 + oj), vacc1 = v128.load(c1 + oj);
      let vacc2 = v128.load(c2 + oj), vacc3 = v128.load(c3 + oj);
      let pa = a0;
      let pb = B + oj;
      for (let p = 0; p < K; p++) {
        const vb = v128.load(pb);
        vacc0 = f32x4.add(vacc0, f32x4.mul(f32x4.splat(load<f32>(pa)), vb));
        vacc1 = f32x4.add(vacc1, f32x4.mul(f32x4.splat(load<f32>(pa + ra)), vb));
        vacc2 = f32x4.add(vacc2, f32x4.mul(f32x4.splat(load<f32>(pa + 2 * ra)), vb));
        vacc3 = f32x4.add(vacc3, f32x4.mul(f32x4.splat(load<f32>(pa + 3 * ra)), vb));
        pa += sa;
        pb += sb;
      }
      v128.store(c0 + oj, vacc0); v128.store(c1 + oj, vacc1);
      v128.store(c2 + oj, vacc2); v128.store(c3 + oj, vacc3);
    }
    // Scalar tail: the last N % 4 columns.
    for (; j < N; j++) {
      const oj = <usize>j << 2;
      let acc0 = load<f32>(c0 + oj), acc1 = load<f32>(c1 + oj);
      let acc2 = load<f32>(c2 + oj), acc3 = load<f32>(c3 + oj);
      let pa = a0;
      let pb = B + oj;
      for (let p = 0; p < K; p++) {
        const b = load<f32>(pb);
        acc0 += load<f32>(pa) * b;
        acc1 += load<f32>(pa + ra) * b;
        acc2 += load<f32>(pa + 2 * ra) * b;
        acc3 += load<f32>(pa + 3 * ra) * b;
        pa += sa;
        pb += sb;
      }
      store<f32>(c0 + oj, acc0); store<f32>(c1 + oj, acc1);
      store<f32>(c2 + oj, acc2); store<f32>(c3 + oj, acc3);
    }
  }
  // Row tail: the last M % 4 rows, one at a time.
  for (; i < M; i++) {
    const a0 = A + <usize>i * ra;
    const c0 = C + (<usize>(i * ldc) << 2);
    let j = 0;
    for (; j + 8 <= N; j += 8) {
      const oj = <usize>j << 2;
      let vacc0123 = v128.load(c0 + oj), vacc4567 = v128.load(c0 + oj, 16);
      let pa = a0;
      let pb = B + oj;
      for (let p = 0; p < K; p++) {
        const va = f32x4.splat(load<f32>(pa));
        vacc0123 = f32x4.add(vacc0123, f32x4.mul(va, v128.load(pb)));
        vacc4567 = f32x4.add(vacc4567, f32x4.mul(va, v128.load(pb, 16)));
        pa += sa;
        pb += sb;
      }
      v128.store(c0 + oj, vacc0123); v128.store(c0 + oj, vacc4567, 16);
    }
    for (; j + 4 <= N; j += 4) {
      const oj = <usize>j << 2;
      let vacc = v128.load(c0 + oj);
      let pa = a0;
      let pb = B + oj;
      for (let p = 0; p < K; p++) {
        vacc = f32x4.add(vacc, f32x4.mul(f32x4.splat(load<f32>(pa)), v128.load(pb)));
        pa += sa;
        pb += sb;
      }
      v128.store(c0 + oj, vacc);
    }
    for (; j < N; j++) {
      const oj = <usize>j << 2;
      let acc = load<f32>(c0 + oj);
      let pa = a0;
      let pb = B + oj;
      for (let p = 0; p < K; p++) {
        acc += load<f32>(pa) * load<f32>(pb);
        pa += sa;
        pb += sb;
      }
      store<f32>(c0 + oj, acc);
    }
  }
}

/** C (M×N) += A (M×K) · B (K×N); all row-major with leading dimensions lda, ldb, ldc. */
export function f32_gemm(C: usize, ldc: i32, A: usize, lda: i32, B: usize, ldb: i32, M: i32, N: i32, K: i32): void {
  f32_gemm_strided(C, ldc, A, lda, 1, B, ldb, M, N, K);
}

/** C (M×N) += Aᵀ · B with A stored K×M (row-major, leading dimension lda): dW += dZᵀ·H. */
export function f32_gemm_tn(C: usize, ldc: i32, A: usize, lda: i32, B: usize, ldb: i32, M: i32, N: i32, K: i32): void {
  f32_gemm_strided(C, ldc, A, 1, lda, B, ldb, M, N, K);
}

/** Scalar reference for f32_gemm_strided: the definition, in the same summation order. */
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
