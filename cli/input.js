// The CLI's input files: read line by line from a stream as strict UTF-8 (apps/files.js: a
// binary file is an error, not text; a JSON series file, one document, is read whole), parsed
// by kind with apps/formats.js as the lines come, and checked for input that parses but is not
// what the command expects: a classify file whose columns are swapped, text given to a
// tagger that is tagged already. Errors name the file and the line; input that is plausible
// but odd gets a warning with a count, on standard error.
import { readText, readLines } from "../apps/files.js";
import { tokensParser, taggedParser, labelledParser, seriesCsvParser, parseSeries } from "../apps/formats.js";
import { CliError, EXIT } from "../apps/errors.js";

const show = (s) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** Print a warning about an input file: `name[:line]: warning: message`. */
export function warn(name, message) {
  process.stderr.write(`${name}: warning: ${message}\n`);
}

/** Read and parse a file of the given kind ("tokens", "chars", "tagged", "labelled", "series"); resolves to the items. */
export async function readData(path, kind, options = {}) {
  let parser;
  switch (kind) {
    case "tokens": parser = tokensParser(path); break;
    case "chars": parser = tokensParser(path, { chars: true }); break;
    case "tagged": parser = taggedParser(path); break;
    case "labelled": parser = labelledParser(path); break;
    case "series": {
      const format = options.format ?? (/\.json$/i.test(path) ? "json" : /\.csv$/i.test(path) ? "csv" : null);
      // JSON is one document, read whole; so is a file of no known format, for parseSeries' message after the file's own.
      if (format !== "csv") return parseSeries(readText(path, "data file"), path, options);
      parser = seriesCsvParser(path, options);
      break;
    }
    default: throw new Error(`unknown data kind ${kind}`);
  }
  await readLines(path, "data file", (raw, line) => parser.line(raw, line));
  const items = parser.end();
  return kind === "labelled" ? checkLabelled(items, path) : items;
}

/**
 * Labelled examples as a classifier needs them: a few labels, each on many texts. More
 * different labels than different texts, on most examples, is a file whose columns are
 * swapped (text<TAB>label): an error, since the model would get an output per text. A label
 * on (nearly) every example otherwise is a warning with the count.
 */
export function checkLabelled(items, path) {
  const labels = new Map();
  for (const it of items) labels.set(it.label, (labels.get(it.label) ?? 0) + 1);
  const texts = new Set(items.map((it) => it.text));
  const N = items.length;
  if (labels.size > texts.size && labels.size > N / 2) {
    const words = (s) => s.split(/\s+/).length;
    const it = items.find((x) => words(x.label) > words(x.text)) ?? items[0];
    throw new CliError(`${path}:${it.line}: ${labels.size} different labels in ${N} examples but ${texts.size} different texts: are the columns swapped? ` +
      `Expected label<TAB>text, here label ${show(it.label)}, text ${show(it.text)}`, EXIT.data);
  }
  if (labels.size > 10 && labels.size > N / 2) {
    const once = [...labels.values()].filter((n) => n === 1).length;
    warn(path, `${labels.size} different labels in ${N} examples, ${once} of them on one example only: is the first column the label?`);
  }
  return items;
}

/**
 * Plain sentences for a tagger's predict: a line whose every word ends in "/" and a tag of the
 * model is tagged text (an error: predict would tag the tagged words); some such words among
 * plain ones are read as words, with a warning that counts them.
 * @param lines  [words of line 1, words of line 2, …] (blank lines: [])
 */
export function checkUntagged(lines, name, tags) {
  const known = new Set(tags);
  const tagged = (w) => { const slash = w.lastIndexOf("/"); return slash > 0 && known.has(w.slice(slash + 1)); };
  let count = 0, first;
  lines.forEach((words, i) => {
    const n = words.filter(tagged).length;
    if (n > 0 && n === words.length) {
      throw new CliError(`${name}:${i + 1}: already tagged: every word ends in "/" and a tag of the model (${show(words[0])} …); ` +
        "predict reads plain words, one sentence per line (rnn-wasm eval scores tagged text)", EXIT.data);
    }
    if (n > 0 && first === undefined) first = { line: i + 1, word: words.find(tagged) };
    count += n;
  });
  if (count) warn(name, `${count} word${count === 1 ? " ends" : "s end"} in "/" and a tag of the model (line ${first.line}: ${show(first.word)}); they are read as words`);
}
