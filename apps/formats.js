// The data formats of the CLI and the corpora, parsed from text with errors that name the
// file and the line:
//   tokens     one sequence per line, tokens separated by spaces (or each character a token)
//   tagged     one sentence per line: token/TAG token/TAG … (split at the last "/"); the
//              Brown corpus files too (apps/brown.js)
//   labelled   one example per line: label<TAB>text
//   series     dense sequences: CSV (a header; rows are steps) or JSON
// Blank lines are skipped (in CSV they end a sequence); a UTF-8 byte order mark is ignored.
// Text in, plain arrays out, no Node built-ins: the browser demo parses corpus files with it.
// The line formats are parsers fed one line at a time (line(raw, number), then end()), so the
// CLI can read a file as a stream (apps/files.js readLines); parseX(text) feeds them a text.
import { CliError, EXIT } from "./errors.js";

const bad = (path, line, message) => new CliError(`${path}:${line}: ${message}`, EXIT.data);
const show = (s) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

function lines(text) {
  return text.replace(/^\uFEFF/, "").split(/\r?\n/);
}

function nonEmpty(items, path, what) {
  if (items.length === 0) throw new CliError(`${path}: no ${what} (the file is empty or has only blank lines)`, EXIT.data);
  return items;
}

/** Feed a text's lines (numbered from 1) to a line parser and return what it made. */
function parseLines(text, parser) {
  lines(text).forEach((raw, i) => parser.line(raw, i + 1));
  return parser.end();
}

/** Token sequences, one per non-blank line: [{ tokens, line }]. `chars`: every character (spaces too) is a token. */
export function parseTokens(text, path, options = {}) {
  return parseLines(text, tokensParser(path, options));
}

/** parseTokens, a line at a time. */
export function tokensParser(path, { chars = false } = {}) {
  const out = [];
  return {
    line(raw, line) {
      if (raw.trim() === "") return;
      out.push({ tokens: chars ? Array.from(raw) : raw.trim().split(/\s+/), line });
    },
    end: () => nonEmpty(out, path, "sequences"),
  };
}

/** Tagged sentences `word/TAG …`: [{ words, tags, line }]. A token without a word and a tag is an error. */
export function parseTagged(text, path) {
  return parseLines(text, taggedParser(path));
}

/** parseTagged, a line at a time. */
export function taggedParser(path) {
  const out = [];
  return {
    line(raw, line) {
      if (raw.trim() === "") return;
      const words = [], tags = [];
      raw.trim().split(/\s+/).forEach((token, j) => {
        const slash = token.lastIndexOf("/");
        if (slash <= 0 || slash === token.length - 1) {
          throw bad(path, line, `token ${j + 1} ${show(token)}: expected word/TAG (a word, a "/", a tag)`);
        }
        words.push(token.slice(0, slash));
        tags.push(token.slice(slash + 1));
      });
      out.push({ words, tags, line });
    },
    end: () => nonEmpty(out, path, "sentences"),
  };
}

/**
 * The text of a `label<TAB>text` line (trimmed): a line with more tab-separated columns (other
 * than empty ones at the end) is an error, since a third column would be read as text.
 */
export function labelledText(raw, path, line) {
  const columns = raw.split("\t");
  while (columns.length > 2 && columns.at(-1).trim() === "") columns.pop();      // trailing tabs
  if (columns.length > 2) {
    throw bad(path, line, `${columns.length} tab-separated columns (${columns.slice(0, 4).map((c) => show(c.trim())).join(", ")}${columns.length > 4 ? ", …" : ""}); expected 2: label<TAB>text`);
  }
  return columns[1].trim();
}

/** Labelled texts `label<TAB>text`: [{ label, words, text, line }] (text may be empty: words []). */
export function parseLabelled(text, path) {
  return parseLines(text, labelledParser(path));
}

/** parseLabelled, a line at a time. */
export function labelledParser(path) {
  const out = [];
  return {
    line(raw, line) {
      if (raw.trim() === "") return;
      const tab = raw.indexOf("\t");
      if (tab < 0) throw bad(path, line, `expected label<TAB>text, found no tab in ${show(raw)}`);
      const label = raw.slice(0, tab).trim();
      const body = labelledText(raw, path, line);
      if (label === "") throw bad(path, line, "empty label before the tab");
      // An empty text (nothing after the tab) is an example too: an empty message, a review
      // with a rating and no words; the CLI reads it as one <eos> step.
      out.push({ label, words: body === "" ? [] : body.split(/\s+/), text: body, line });
    },
    end: () => nonEmpty(out, path, "examples"),
  };
}

/** Split one CSV line (RFC 4180 quoting: "a, b" and "" for a quote inside). */
export function splitCsv(line, path, lineNo) {
  const cells = [];
  let cell = "", quoted = false, i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cell += '"'; i += 2; continue; }
      if (ch === '"') { quoted = false; i++; continue; }
      cell += ch; i++;
    } else if (ch === '"' && cell.trim() === "") { quoted = true; cell = ""; i++; }
    else if (ch === ",") { cells.push(cell.trim()); cell = ""; i++; }
    else { cell += ch; i++; }
  }
  if (quoted) throw bad(path, lineNo, "a quoted field is not closed");
  cells.push(cell.trim());
  return cells;
}

function num(cell, path, line, column) {
  const v = cell === "" ? NaN : Number(cell);
  if (!Number.isFinite(v)) throw bad(path, line, `column ${JSON.stringify(column)}: expected a number, got ${show(cell)}`);
  return v;
}

/**
 * Dense series from CSV: a header row names the columns; every other row is one step. A
 * column `sequence` (or `seq`, `id`) groups consecutive rows into sequences; without it, blank
 * lines separate sequences. Target columns: `targets` (names), default every column whose
 * name starts with "target" (none: inputs only, for predict). The other columns are features.
 * Many-to-one: a sequence's target is its last row's (other rows may leave them empty).
 * @returns { sequences: [{ inputs: number[][], targets?: number[][] | number[], line }], features, targetColumns }
 */
export function parseSeriesCsv(text, path, options = {}) {
  return parseLines(text, seriesCsvParser(path, options));
}

/** parseSeriesCsv, a line at a time. */
export function seriesCsvParser(path, { targets, manyToOne = false, requireTargets = true } = {}) {
  let header, seqCol, tcols, fcols;
  const sequences = [];
  let current = null, currentId;
  const finish = () => { if (current) sequences.push(current); current = null; };
  // The first non-blank line: the header names the columns.
  const readHeader = (raw, line) => {
    header = splitCsv(raw, path, line);
    header.forEach((h, j) => { if (h === "") throw bad(path, line, `column ${j + 1} of the header has no name`); });
    seqCol = header.findIndex((h) => ["sequence", "seq", "id"].includes(h.toLowerCase()));
    if (targets && targets.length) {
      // For predict, target columns may be absent (only features); when present they are not features.
      tcols = (requireTargets ? targets : targets.filter((t) => header.includes(t))).map((t) => {
        const j = header.indexOf(t);
        if (j < 0) throw bad(path, line, `no column ${JSON.stringify(t)} for --targets (columns: ${header.join(", ")})`);
        return j;
      });
    } else {
      tcols = header.map((h, j) => (/^target/i.test(h) ? j : -1)).filter((j) => j >= 0);
    }
    fcols = header.map((_, j) => j).filter((j) => j !== seqCol && !tcols.includes(j));
    if (fcols.length === 0) throw bad(path, line, "no feature columns (every column is a target or the sequence id)");
    if (requireTargets && tcols.length === 0) throw bad(path, line, `no target columns (name them target…, or give --targets; columns: ${header.join(", ")})`);
  };
  return {
    line(raw, line) {
      if (header === undefined) {
        if (raw.trim() !== "") readHeader(raw, line);
        return;
      }
      if (raw.trim() === "") { if (seqCol < 0) finish(); return; }
      const cells = splitCsv(raw, path, line);
      if (cells.length !== header.length) throw bad(path, line, `expected ${header.length} columns (as the header), got ${cells.length}`);
      const id = seqCol >= 0 ? cells[seqCol] : undefined;
      if (seqCol >= 0 && id !== currentId) finish();
      currentId = id;
      if (!current) current = { inputs: [], targets: [], line, lastLine: line };
      current.inputs.push(fcols.map((j) => num(cells[j], path, line, header[j])));
      const tv = tcols.map((j) => cells[j]);
      current.targets.push({ cells: tv, line });
      current.lastLine = line;
    },
    end() {
      if (header === undefined) throw new CliError(`${path}: no sequences (the file is empty)`, EXIT.data);
      finish();
      nonEmpty(sequences, path, "sequences");
      for (const s of sequences) {
        if (tcols.length === 0) { delete s.targets; continue; }
        if (manyToOne) {
          const last = s.targets.at(-1);
          s.targets = last.cells.map((c, j) => num(c, path, last.line, header[tcols[j]]));
        } else {
          s.targets = s.targets.map(({ cells, line }) => cells.map((c, j) => num(c, path, line, header[tcols[j]])));
        }
      }
      return { sequences, features: fcols.map((j) => header[j]), targetColumns: tcols.map((j) => header[j]) };
    },
  };
}

/** Line and column (from 1) of a character offset. */
function where(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/**
 * The offset of the first syntax error in JSON text (JSON.parse does not always say where):
 * a small recursive-descent scan of RFC 8259's grammar; -1 when the text is valid.
 */
export function jsonErrorOffset(text) {
  let i = 0;
  const fail = () => { throw i; };
  const ws = () => { while (i < text.length && " \t\n\r".includes(text[i])) i++; };
  const lit = (word) => { if (text.startsWith(word, i)) i += word.length; else fail(); };
  const str = () => {
    i++;                                                     // the opening quote
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail();
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail(); i += 5; }
        else if ('"\\/bfnrt'.includes(text[i]) && i < text.length) i++;
        else fail();
      } else i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++; ws();
      if (text[i] === "}") { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str(); ws();
        if (text[i] !== ":") fail();
        i++; value(); ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return; }
        fail();
      }
    } else if (c === "[") {
      i++; ws();
      if (text[i] === "]") { i++; return; }
      for (;;) {
        value(); ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return; }
        fail();
      }
    } else if (c === '"') str();
    else if (c === "t") lit("true");
    else if (c === "f") lit("false");
    else if (c === "n") lit("null");
    else {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!m || m[0] === "") fail();
      i += m[0].length;
    }
  };
  try {
    value(); ws();
    if (i < text.length) fail();
    return -1;
  } catch (at) {
    if (typeof at !== "number") throw at;
    return at;
  }
}

/**
 * Dense series from JSON: an array of sequences (or { "sequences": [...] }), each
 * { "inputs": [[x…], …], "targets": [[y…], …] } (many-to-many: one per step) or
 * { "inputs": …, "target": [y…] } (many-to-one). Every step has the same number of features.
 */
export function parseSeriesJson(text, path, { manyToOne = false, requireTargets = true } = {}) {
  let data;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    const clean = text.replace(/^\uFEFF/, "");
    const offset = jsonErrorOffset(clean);
    const at = offset >= 0 ? where(clean, offset) : null;
    const why = e.message.replace(/ in JSON at position \d+.*$/s, "").replace(/, ".*" is not valid JSON$/s, "");
    throw new CliError(`${path}${at ? `:${at.line}:${at.column}` : ""}: not valid JSON (${why})`, EXIT.data);
  }
  const list = Array.isArray(data) ? data : data && Array.isArray(data.sequences) ? data.sequences : null;
  if (!list) throw new CliError(`${path}: expected an array of sequences or { "sequences": [...] }`, EXIT.data);
  nonEmpty(list, path, "sequences");
  let n, k;
  const vec = (v, field, size, what) => {
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw new CliError(`${path}: ${field}: expected an array of ${what} (finite numbers), got ${JSON.stringify(v)?.slice(0, 60)}`, EXIT.data);
    }
    if (size !== undefined && v.length !== size) throw new CliError(`${path}: ${field}: expected ${size} numbers (as the first), got ${v.length}`, EXIT.data);
    return v;
  };
  const sequences = list.map((s, i) => {
    const at = `sequences[${i}]`;
    if (!s || typeof s !== "object" || !Array.isArray(s.inputs) || s.inputs.length === 0) throw new CliError(`${path}: ${at}: expected { "inputs": [[…], …] } with at least one step`, EXIT.data);
    const inputs = s.inputs.map((x, t) => (n = vec(x, `${at}.inputs[${t}]`, n, "features").length, x));
    const out = { inputs, line: i + 1 };
    const tg = manyToOne ? s.target ?? s.targets : s.targets;
    if (tg === undefined) {
      if (requireTargets) throw new CliError(`${path}: ${at}: no ${manyToOne ? '"target"' : '"targets"'}`, EXIT.data);
    } else if (manyToOne) {
      out.targets = vec(typeof tg === "number" ? [tg] : tg, `${at}.target`, k, "target values");
      k = out.targets.length;
    } else {
      if (!Array.isArray(tg) || tg.length !== inputs.length) throw new CliError(`${path}: ${at}.targets: expected one per step (${inputs.length}), got ${Array.isArray(tg) ? tg.length : JSON.stringify(tg)}`, EXIT.data);
      out.targets = tg.map((y, t) => { const v = vec(typeof y === "number" ? [y] : y, `${at}.targets[${t}]`, k, "target values"); k = v.length; return v; });
    }
    return out;
  });
  return { sequences, features: Array.from({ length: n }, (_, j) => `x${j + 1}`), targetColumns: k ? Array.from({ length: k }, (_, j) => `y${j + 1}`) : [] };
}

/** A series file by its extension (.csv, .json) or `format`. */
export function parseSeries(text, path, options = {}) {
  const format = options.format ?? (/\.json$/i.test(path) ? "json" : /\.csv$/i.test(path) ? "csv" : null);
  if (format === "json") return parseSeriesJson(text, path, options);
  if (format === "csv") return parseSeriesCsv(text, path, options);
  throw new CliError(`${path}: a series file must end in .csv or .json (or give --format csv|json)`, EXIT.usage);
}
