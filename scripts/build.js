// Build: rnn.wasm (AssemblyScript, release or --debug), the ESM bundle with the module
// embedded (esbuild's binary loader), and the .d.ts types (tsc). Output: dist/.
import { execFileSync } from "node:child_process";
import { build } from "esbuild";

const debug = process.argv.includes("--debug");
const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit" });

run(bin("asc"), ["assembly/index.ts", "--config", "asconfig.json", "--target", debug ? "debug" : "release",
  ...(debug ? ["--outFile", "dist/rnn.wasm", "--textFile", "dist/rnn.wat"] : [])]);
await build({
  entryPoints: ["src/index.ts"],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  outfile: "dist/index.js",
  loader: { ".wasm": "binary" },
  logLevel: "warning",
});
run(bin("tsc"), ["-p", "tsconfig.json"]);
