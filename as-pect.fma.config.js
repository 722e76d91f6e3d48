// as-pect for the FMA build (rnn-fma.wasm): the GEMM specs compiled with relaxed SIMD, as
// asconfig.json's "fma" target compiles the kernels (as-pect.fma.asconfig.json). The other specs
// pin the strict build's bits (simd.spec.ts checks that fmadd4 does not fuse) and run in
// as-pect.config.js. Run through scripts/kernels-fma.js, which picks the engine flag.
import base from "./as-pect.config.js";

export default { ...base, entries: ["tests/assembly/gemm.spec.ts"] };
