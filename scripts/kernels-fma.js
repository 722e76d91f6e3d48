// npm run test:kernels:fma: the GEMM specs on the FMA build (as-pect.fma.config.js). as-pect's
// own launcher (bin/asp.js) runs its test runner with whatever `node` is first on PATH, which
// may lack relaxed SIMD; this runs the runner with this Node instead, adding the flag that
// enables relaxed SIMD where it is not on by default (Node 20).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const runner = fileURLToPath(new URL("../node_modules/@as-pect/cli/lib/test.js", import.meta.url));
const major = Number(process.versions.node.split(".")[0]);
const flags = ["--enable-source-maps", "--experimental-wasi-unstable-preview1", ...(major < 22 ? ["--experimental-wasm-relaxed-simd"] : [])];
const r = spawnSync(process.execPath, [...flags, runner, "--config", "as-pect.fma.config.js", "--as-config", "as-pect.fma.asconfig.json", ...process.argv.slice(2)],
  { stdio: "inherit", env: { ...process.env, FORCE_COLOR: "2" } });
process.exit(r.status ?? 1);
