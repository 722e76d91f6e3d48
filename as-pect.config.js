// as-pect: kernel specs in tests/assembly/, compiled with the same AssemblyScript (0.27.37)
// and SIMD as dist/rnn.wasm (see as-pect.asconfig.json).
export default {
  entries: ["tests/assembly/**/*.spec.ts"],
  include: ["tests/assembly/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
