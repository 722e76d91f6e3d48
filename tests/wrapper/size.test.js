/**
 * `npm run size`, held as a test: an inference app on rnn-wasm/slim (load a model file,
 * predict, stream) bundles to at most 16 KB of gzip, without training, interop or the
 * embedded module — tree-shaking really drops them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { measure, SLIM_LIMIT, ABSENT } from "../../scripts/size.js";

test("the slim inference app is small and carries no training, interop or embedded module", async () => {
  const { slim, full, present } = await measure();
  assert.deepEqual(present, [], `the slim app contains ${present.join(", ")}`);
  assert.ok(slim.gzip <= SLIM_LIMIT, `the slim app is ${slim.gzip} bytes of gzip, over ${SLIM_LIMIT}`);
  // The markers are real: the same app on the package entry does contain the embedded module,
  // and the package bundle holds every left-out piece.
  assert.ok(full.text.includes(ABSENT["the embedded module (base64 of \\0asm)"]));
  assert.ok(full.gzip > slim.gzip);
});

test("the size markers are found where the code is (the check can fail)", async () => {
  const { readFileSync } = await import("node:fs");
  const all = readFileSync(new URL("../../dist/index.js", import.meta.url), "utf8");
  for (const [what, marker] of Object.entries(ABSENT)) assert.ok(all.includes(marker), `dist/index.js lacks the marker of ${what}`);
});
