// Build: rnn.wasm (AssemblyScript, release or --debug), rnn-fma.wasm (the same source with
// relaxed SIMD: fused multiply-adds in the GEMM micro-kernels, release always), the ESM bundle
// with rnn.wasm embedded (esbuild's binary loader), the worker of fitAsync's `workers`, and the
// .d.ts types (tsc). Output: dist/.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const debug = process.argv.includes("--debug");
const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit" });

run(bin("asc"), ["assembly/index.ts", "--config", "asconfig.json", "--target", debug ? "debug" : "release",
  ...(debug ? ["--outFile", "dist/rnn.wasm", "--textFile", "dist/rnn.wat"] : [])]);
// The FMA build: asconfig.json's "fma" target (release flags plus the relaxed-simd feature).
// A custom section "rnn-wasm.fma" tells the loader which module it holds (engine.features),
// whichever way the caller passed it; the strict module has none.
run(bin("asc"), ["assembly/index.ts", "--config", "asconfig.json", "--target", "fma"]);
writeFileSync("dist/rnn-fma.wasm", Buffer.concat([readFileSync("dist/rnn-fma.wasm"), customSection("rnn-wasm.fma", "f32x4.relaxed_madd in the GEMM micro-kernels")]));

// The wrapper checks a module it is given against the exports of the one built here.
const exportsOfBuilt = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync("dist/rnn.wasm"))).map((e) => [e.name, e.kind]);
// rnn-fma.wasm has the same exports by construction (same source); the loader checks it against
// this list like any module (tests/wrapper/fma.test.js loads it where relaxed SIMD validates).
const common = {
  entryPoints: ["src/index.ts"],
  bundle: true,
  format: "esm",
  platform: "neutral",
  // The engines with wasm SIMD (README "Engine requirements"): newer syntax is lowered for them.
  // Deno 1.9 is V8 9.1, as Chrome 91 (esbuild's "deno" target would turn import() into require).
  target: ["node16.4", "chrome91", "edge91", "firefox90", "safari16.4"],
  define: { RNN_WASM_EXPORTS: JSON.stringify(exportsOfBuilt) },
  logLevel: "warning",
};
// dist/index.js: the module embedded as bytes (esbuild's binary loader), nothing to locate.
await build({ ...common, outfile: "dist/index.js", loader: { ".wasm": "binary" } });
// dist/slim.js: inference only, no module embedded (the app passes rnn.wasm to init).
await build({ ...common, entryPoints: ["src/slim.ts"], outfile: "dist/slim.js" });
// dist/worker.js: a replica for fitAsync's `workers` (src/worker.ts); the caller posts it the
// compiled module, so it embeds none. The bundle finds it as new URL("./worker.js", import.meta.url).
await build({ ...common, entryPoints: ["src/worker.ts"], outfile: "dist/worker.js" });
// Edge runtimes forbid compiling from bytes but compile a bundle's .wasm imports at deploy
// time: the same code with the import left for the platform, as its bundler spells it
// (package.json "exports" conditions workerd and edge-light pick these).
const wasmImport = (specifier) => ({
  name: "wasm-import",
  setup(b) { b.onResolve({ filter: /\.wasm$/ }, () => ({ path: specifier, external: true })); },
});
await build({ ...common, outfile: "dist/workerd.js", plugins: [wasmImport("./rnn.wasm")] });          // Cloudflare Workers (Wrangler)
await build({ ...common, outfile: "dist/edge-light.js", plugins: [wasmImport("./rnn.wasm?module")] }); // Vercel Edge, Next.js edge routes
run(bin("tsc"), ["-p", "tsconfig.json"]);

/** A wasm custom section (id 0): name and payload, each length-prefixed (LEB128). */
function customSection(name, payload) {
  const leb = (n) => { const out = []; do { out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>>= 7; } while (n); return out; };
  const body = [...leb(name.length), ...Buffer.from(name), ...Buffer.from(payload)];
  return Buffer.from([0, ...leb(body.length), ...body]);
}
