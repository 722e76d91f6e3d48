/**
 * The docs' links hold: every relative link and #anchor in README.md, docs/*.md and
 * examples/README.md points at a file of the repository and, on a Markdown page, at a heading
 * (scripts/check-links.js). The checker itself is tested on pages made here: it must catch a
 * missing file and a missing anchor, follow GitHub's anchor rules, and ignore code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { anchors, checkLinks, docFiles, links, slug } from "../../scripts/check-links.js";

const script = fileURLToPath(new URL("../../scripts/check-links.js", import.meta.url));
const pages = docFiles();

test("the pages checked: README.md, every docs/*.md, examples/README.md", () => {
  assert.equal(pages[0], "README.md");
  assert.ok(pages.includes("examples/README.md"), pages.join(", "));
  assert.ok(pages.some((p) => p.startsWith("docs/")), pages.join(", "));
});

for (const page of pages) {
  test(`${page}: every relative link and anchor resolves`, () => {
    const broken = checkLinks([page]).map((b) => `${b.file}:${b.line}: ${b.target}: ${b.reason}`);
    assert.deepEqual(broken, []);
  });
}

test("anchors follow GitHub's rule: lower case, punctuation dropped, spaces to '-', repeats numbered", () => {
  const cases = [
    ["Main job: part-of-speech tagging on the Brown corpus", "main-job-part-of-speech-tagging-on-the-brown-corpus"],
    ["Cloudflare Workers / edge", "cloudflare-workers--edge"],
    ["`model.fit(data, options)` → `History`", "modelfitdata-options--history"],
    ["Streaming: `model.stepper({ h0? })`", "streaming-modelstepper-h0-"],
    ["`RNN.create(config, { engine? })` → `Promise<RNN>`", "rnncreateconfig--engine---promisernn"],
    ["PyTorch and Keras weights (safetensors)", "pytorch-and-keras-weights-safetensors"],
    ["The model's recipe", "the-models-recipe"],
    ["Ctrl-C and `--resume`", "ctrl-c-and---resume"],
    ["snake_case [linked](x.md) <em>tag</em>", "snake_case-linked-tag"],
  ];
  for (const [heading, expected] of cases) assert.equal(slug(heading), expected, heading);
  assert.deepEqual([...anchors("# A\n## A\n### A!\n<a id=\"here\"></a>\n```\n# not a heading\n```\n")], ["a", "a-1", "a-2", "here"]);
});

test("links in code blocks and inline code are not links", () => {
  const text = "[a](a.md) `[b](b.md)`\n```\n[c](c.md)\n```\n[d]: d.md\n<img src=\"e.png\">\n";
  assert.deepEqual(links(text).map((l) => `${l.line}:${l.target}`), ["1:a.md", "5:d.md", "6:e.png"]);
});

test("a broken link and a broken anchor are caught, and the script exits 1 naming each", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnn-wasm-links-"));
  try {
    mkdirSync(join(dir, "docs"));
    writeFileSync(join(dir, "README.md"), [
      "# Title",
      "## Known heading",
      "[fine](docs/page.md) [fine too](docs/page.md#a-section) [here](#known-heading) [web](https://example.com/x#y)",
      "[gone](docs/missing.md)",
      "[no such anchor](docs/page.md#no-such-section)",
      "[no local anchor](#unknown)",
      "",
    ].join("\n"));
    writeFileSync(join(dir, "docs", "page.md"), "# Page\n## A section\n[up](../README.md#title) [out](../../elsewhere.md)\n");
    const broken = checkLinks(docFiles(dir), dir).map((b) => `${b.file}:${b.line}: ${b.target}`);
    assert.deepEqual(broken, [
      "README.md:4: docs/missing.md",
      "README.md:5: docs/page.md#no-such-section",
      "README.md:6: #unknown",
      `${join("docs", "page.md")}:3: ../../elsewhere.md`,
    ]);

    const run = spawnSync(process.execPath, [script, "--root", dir], { encoding: "utf8" });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    for (const target of ["docs/missing.md", "docs/page.md#no-such-section", "#unknown", "../../elsewhere.md"]) {
      assert.ok(run.stdout.includes(`: ${target}: `), `the script names ${target}:\n${run.stdout}`);
    }

    writeFileSync(join(dir, "README.md"), "# Title\n[fine](docs/page.md#a-section)\n");
    writeFileSync(join(dir, "docs", "page.md"), "# Page\n## A section\n");
    const ok = spawnSync(process.execPath, [script, "--root", dir], { encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
