// A benchmark-only wasm entry (not shipped): exposes the GEMM kernels of assembly/gemm.ts
// so `npm run bench` can time them alone at 256³. Compiled by the bench harness with the
// same options as dist/rnn.wasm (asconfig.json, release target).

import { f32_gemm, f32_gemm_packed, f32_pack_b, f32_packed_floats, f32_gemm_scratch_floats } from "../assembly/gemm";

let A: usize = 0, B: usize = 0, C: usize = 0, Bp: usize = 0, S: usize = 0;
let gM = 0, gN = 0, gK = 0;

/** Allocate and fill A (M×K), B (K×N), C (M×N) with small deterministic values; pack B. */
export function gemm_setup(M: i32, N: i32, K: i32): void {
  gM = M; gN = N; gK = K;
  A = heap.alloc(<usize>(M * K) << 2);
  B = heap.alloc(<usize>(K * N) << 2);
  C = heap.alloc(<usize>(M * N) << 2);
  Bp = heap.alloc(<usize>f32_packed_floats(K, N) << 2);
  S = heap.alloc(<usize><i32>f32_gemm_scratch_floats(N) << 2);
  for (let i = 0; i < M * K; i++) store<f32>(A + (<usize>i << 2), <f32>((i * 7) % 13) * 0.01);
  for (let i = 0; i < K * N; i++) store<f32>(B + (<usize>i << 2), <f32>((i * 5) % 11) * 0.01);
  memory.fill(C, 0, <usize>(M * N) << 2);
  f32_pack_b(Bp, B, N, K, N);
}

/** reps × C += A·B with B pre-packed (the weight products of a step). */
export function gemm_packed_run(reps: i32): f32 {
  for (let r = 0; r < reps; r++) f32_gemm_packed(C, gN, A, gK, 1, Bp, gM, gN, gK, S);
  return load<f32>(C);
}

/** reps × C += A·B packing B per chunk (the activation products dW, dV, dU). */
export function gemm_run(reps: i32): f32 {
  for (let r = 0; r < reps; r++) f32_gemm(C, gN, A, gK, 1, B, gN, gM, gN, gK, S);
  return load<f32>(C);
}

/** reps × C += Aᵀ·B (A read transposed, K×M storage) packing B per chunk. */
export function gemm_tn_run(reps: i32): f32 {
  for (let r = 0; r < reps; r++) f32_gemm(C, gN, A, 1, gM, B, gN, gM, gN, gK, S);
  return load<f32>(C);
}
