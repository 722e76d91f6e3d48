/**
 * The docs' complete examples (README "Example"; docs/training.md "A complete run", "Data sets
 * larger than memory", "Optimizers and weight decay", "Model summary", "Feature bags", "Pooling
 * for many-to-one", "Input and output dropout") run as printed, with
 * `rnn-wasm` resolved to the built dist/, and print exactly what the page says under "It
 * prints:" (every run is seeded).
 * examples/quickstart.js is the first of them, word for word but its import.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url);
const dist = new URL("dist/index.js", root).href;

/** The section under "## heading" of a page: its first ```js block and the block after "It prints:". */
function example(page, heading) {
  const text = readFileSync(new URL(page, root), "utf8");
  const at = text.indexOf(`\n## ${heading}\n`);
  assert.ok(at >= 0, `${page} has a "## ${heading}" section`);
  const section = text.slice(at + 1).split(/\n## /)[0];
  const code = section.match(/```js\n([\s\S]*?)\n```/);
  const printed = section.match(/It prints:\n\n```\n([\s\S]*?)\n```/);
  assert.ok(code && printed, `${page} "## ${heading}" has a js block and an "It prints:" block`);
  return { code: code[1], printed: printed[1] };
}

function run(code) {
  const dir = mkdtempSync(join(tmpdir(), "rnn-wasm-readme-"));
  try {
    const file = join(dir, "example.mjs");
    writeFileSync(file, code.replaceAll('from "rnn-wasm"', `from ${JSON.stringify(dist)}`));
    return execFileSync(process.execPath, [file], { encoding: "utf8" }).trimEnd();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [page, heading] of [["README.md", "Example"], ["docs/training.md", "A complete run"], ["docs/training.md", "Data sets larger than memory"],
  ["docs/training.md", "Optimizers and weight decay"], ["docs/training.md", "Model summary"],
  ["docs/training.md", "Feature bags"], ["docs/training.md", "Pooling for many-to-one"], ["docs/training.md", "Input and output dropout"]]) {
  test(`${page} "${heading}": the code runs as printed and prints what the page says`, () => {
    const { code, printed } = example(page, heading);
    assert.equal(run(code), printed);
  });
}

test("examples/quickstart.js is the README example", () => {
  const file = readFileSync(new URL("examples/quickstart.js", root), "utf8");
  const body = file.replace(/^(\/\/.*\n)+/, "").trim();   // the file's header comment aside
  assert.equal(body, example("README.md", "Example").code.replace('from "rnn-wasm"', 'from "../dist/index.js"').trim());
});
