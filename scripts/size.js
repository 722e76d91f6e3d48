// `npm run size`: what an app ships. Bundles tests/fixtures/size/slim-app.js (an inference app
// on rnn-wasm/slim: load a model file, predict, stream with a stepper), and the same app with
// "rnn-wasm/slim" resolved to the package entry, with esbuild (minified, as an app would be),
// and prints their gzip sizes. The
// slim app must stay within SLIM_LIMIT and must not contain training, interop or the
// embedded module. Exit 1 if not. Needs dist/ (npm run build).
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

export const SLIM_LIMIT = 16 * 1024;

/** Strings only the left-out code holds (error messages survive minification). */
export const ABSENT = {
  "fit / fitAsync": "fit options.epochs",
  "evaluate": "evaluate options",
  "trainStep": "trainStep options",
  "importSafetensors": "importSafetensors options",
  "exportSafetensors": "exportSafetensors options",
  "generate (a function the app does not call)": "generate options",
  "staging of targets and loss weights (training, evaluation)": "target values (outputSize)",
  "the embedded module (base64 of \\0asm)": "AGFzbQ",
};

const root = fileURLToPath(new URL("..", import.meta.url));

async function bundle(entry) {
  const r = await build({
    entryPoints: [`${root}tests/fixtures/size/slim-app.js`],
    bundle: true, minify: true, format: "esm", platform: "neutral", write: false, logLevel: "silent",
    alias: { "rnn-wasm/slim": `${root}dist/${entry}` },
  });
  const text = r.outputFiles[0].text;
  return { text, bytes: Buffer.byteLength(text), gzip: gzipSync(text, { level: 9 }).length };
}

/** Both bundles, and what the slim one wrongly contains. */
export async function measure() {
  const slim = await bundle("slim.js");
  const full = await bundle("index.js");
  const present = Object.entries(ABSENT).filter(([, marker]) => slim.text.includes(marker)).map(([what]) => what);
  return { slim, full, present };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { slim, full, present } = await measure();
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`inference app on rnn-wasm/slim:  ${kb(slim.gzip)} gzip (${kb(slim.bytes)} minified), limit ${kb(SLIM_LIMIT)} (rnn.wasm is fetched beside it)`);
  console.log(`the same app on rnn-wasm:        ${kb(full.gzip)} gzip (${kb(full.bytes)} minified), module embedded`);
  console.log(`left out of the slim app: ${Object.keys(ABSENT).filter((w) => !present.includes(w)).join(", ")}`);
  if (present.length) console.log(`FAILED: the slim app contains ${present.join(", ")}`);
  if (slim.gzip > SLIM_LIMIT) console.log(`FAILED: the slim app is over ${kb(SLIM_LIMIT)}`);
  process.exit(present.length || slim.gzip > SLIM_LIMIT ? 1 : 0);
}
