/**
 * CLI input that used to be read without a word although it is not what the command expects
 * (issue #10, item 10): a classify file with its columns swapped, a third tab-separated
 * column, a binary file, an already-tagged file given to a tagger's predict. Each is an error
 * that names the file and the line, exits with 1 and writes nothing (no model file, nothing
 * on standard output); input that is plausible but odd gets a warning with a count instead.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fixtures, scratch, cli } from "./support.js";
import { Random } from "../../dist/index.js";
import { decodeText, firstInvalidUtf8 } from "../../apps/files.js";

const dir = scratch("input");
const out = (name) => join(dir, name);
const reviews = readFileSync(join(fixtures, "reviews-train.txt"), "utf8");

/** A run that must fail with `message` on stderr, exit code 1, no output and no model file. */
function refused(args, message, input) {
  const model = out("never.rnn");
  const r = cli([...args, ...(args[0] === "train" ? ["--model", model] : [])], { input });
  assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stdout, "", "nothing on standard output");
  assert.equal(existsSync(model), false, "no model file");
  assert.equal(existsSync(`${model}.json`), false, "no recipe");
  return r;
}

test("classify: swapped columns (text<TAB>label) are refused, naming the file and line", () => {
  const swapped = out("swapped.txt");
  writeFileSync(swapped, reviews.trim().split("\n").map((l) => l.split("\t").reverse().join("\t")).join("\n") + "\n");
  refused(["train", "--task", "classify", "--data", swapped],
    /^.*swapped\.txt:1: 80 different labels in 80 examples but 2 different texts: are the columns swapped\? Expected label<TAB>text, here label "acting acting great wonderful great", text "pos"\n$/);
  // The same check on the held-out file of a good training file.
  refused(["train", "--task", "classify", "--data", "reviews-train.txt", "--validation", swapped], /swapped\.txt:1: 80 different labels in 80 examples but 2 different texts/);
});

test("classify: a label per example is a warning with the count (the model would have as many outputs)", () => {
  const many = out("many-labels.txt");
  writeFileSync(many, reviews.trim().split("\n").map((l, i) => `${l.split("\t")[0]}-${i % 30}\t${l.split("\t")[1]}`).join("\n") + "\n");
  const model = out("many.rnn");
  const r = cli(["train", "--task", "classify", "--data", many, "--model", model, "--epochs", "1", "--hidden", "4", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^.*many-labels\.txt: warning: 48 different labels in 80 examples, 22 of them on one example only: is the first column the label\?\n$/);
});

test("labelled lines with a third tab-separated column are refused (train, eval, predict)", () => {
  const three = out("three.txt");
  writeFileSync(three, "pos\tgreat fun\nneg\tawful plot\t2019\npos\tloved it\n");
  const message = /^.*three\.txt:2: 3 tab-separated columns \("neg", "awful plot", "2019"\); expected 2: label<TAB>text\n$/;
  refused(["train", "--task", "classify", "--data", three], message);
  const model = out("reviews.rnn");
  assert.equal(cli(["train", "--task", "classify", "--data", "reviews-train.txt", "--model", model, "--epochs", "1", "--hidden", "4", "--quiet"]).code, 0);
  refused(["eval", "--model", model, "--data", three], message);
  refused(["predict", "--model", model, "--input", three], message);
  refused(["predict", "--model", model], /^standard input:2: 3 tab-separated columns/, "pos\tgreat fun\nneg\tawful plot\t2019\n");
});

test("binary files are refused: invalid UTF-8 (with its line and offset), NUL bytes, UTF-16", () => {
  const bin = out("data.bin");
  writeFileSync(bin, Buffer.concat([Buffer.from("one two\nthree "), Buffer.from([0xff, 0xfe, 0x00, 0x81]), Buffer.from("\n")]));
  refused(["train", "--task", "lm", "--data", bin], /^.*data\.bin:2: not UTF-8 text \(byte 0xff at offset 14\): a binary file\?\n$/);
  const nul = out("nul.txt");
  writeFileSync(nul, "one two\nthree\nfour\0five\n");
  refused(["train", "--task", "lm", "--data", nul], /^.*nul\.txt:3: a NUL byte \(offset 18\): a binary file, not text\n$/);
  const utf16 = out("utf16.txt");
  writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("pos\tgreat fun\n", "utf16le")]));
  refused(["train", "--task", "classify", "--data", utf16], /^.*utf16\.txt: UTF-16 text \(it starts with a UTF-16 byte order mark\): save it as UTF-8\n$/);
  // A truncated sequence at the very end, and an overlong encoding of "/" (C0 AF), are not UTF-8 either.
  const cut = out("cut.txt");
  writeFileSync(cut, Buffer.from([0x61, 0x2f, 0x44, 0x54, 0x0a, 0x62, 0xc0, 0xaf, 0x4e, 0x4e]));
  refused(["train", "--task", "tag", "--data", cut], /cut\.txt:2: not UTF-8 text \(byte 0xc0 at offset 6\)/);
  const model = out("count.rnn");
  assert.equal(cli(["train", "--task", "lm", "--data", "counting.txt", "--model", model, "--epochs", "1", "--hidden", "4", "--quiet"]).code, 0);
  refused(["predict", "--model", model, "--input", bin], /data\.bin:2: not UTF-8 text/);
  refused(["predict", "--model", model], /^standard input:1: not UTF-8 text \(byte 0xe9 at offset 2\)/, Buffer.from([0x6f, 0x6e, 0xe9, 0x0a]));
});

test("predict with a tagger on already-tagged text: refused; a few tagged-looking words: a warning", () => {
  const model = out("tag.rnn");
  assert.equal(cli(["train", "--task", "tag", "--data", "tagged-train.txt", "--model", model, "--epochs", "1", "--hidden", "8", "--quiet"]).code, 0);
  refused(["predict", "--model", model, "--input", "tagged-valid.txt"],
    /^tagged-valid\.txt:1: already tagged: every word ends in "\/" and a tag of the model \("every\/DT" …\); predict reads plain words, one sentence per line \(rnn-wasm eval scores tagged text\)\n$/);
  refused(["predict", "--model", model], /^standard input:2: already tagged/, "the old fish\nthe/DT dog/NN\n");
  // Words that merely contain a slash and a tag are tagged as words, with a warning that counts them.
  const p = cli(["predict", "--model", model], { input: "the cat/NN saw a dog\nevery fish/VB\n" });
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^the\/\S+ cat\/NN\/\S+ saw\/\S+ a\/\S+ dog\/\S+\nevery\/\S+ fish\/VB\/\S+\n$/);
  assert.equal(p.stderr, 'standard input: warning: 2 words end in "/" and a tag of the model (line 1: "cat/NN"); they are read as words\n');
});

test("firstInvalidUtf8 agrees with the strict TextDecoder (and names the byte it stops at)", () => {
  const strict = new TextDecoder("utf-8", { fatal: true });
  const decodes = (b) => { try { strict.decode(b); return true; } catch { return false; } };
  // Edges of Table 3-7: overlong forms, surrogates, above U+10FFFF, truncated sequences.
  const cases = [[0x41], [0xc1, 0xbf], [0xc2, 0x80], [0xe0, 0x9f, 0x80], [0xe0, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xed, 0xa0, 0x80],
    [0xef, 0xbf, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80],
    [0xe2, 0x82], [0x80], [0xff]];
  const rng = new Random(7);
  for (let n = 0; n < 3000; n++) {
    // Mostly well-formed text with a few stray bytes: the random cases stay near the edges.
    const text = Buffer.from(Array.from({ length: 1 + rng.int(6) }, () => String.fromCodePoint([0x41, 0xe9, 0x20ac, 0x1f600][rng.int(4)])).join(""));
    const bytes = [...text];
    if (rng.int(2)) bytes.splice(rng.int(bytes.length + 1), 0, rng.int(256));
    cases.push(bytes);
  }
  for (const c of cases) {
    const bytes = Uint8Array.from(c);
    const bad = firstInvalidUtf8(bytes);
    assert.equal(bad === -1, decodes(bytes), `[${c.map((x) => x.toString(16)).join(" ")}]: first invalid at ${bad}`);
    if (bad >= 0) assert.ok(decodes(bytes.subarray(0, bad)), "the bytes before it are UTF-8");
  }
  assert.equal(decodeText(Uint8Array.from([0xef, 0xbb, 0xbf, 0x61]), "f"), "a", "a byte order mark is dropped");
});

test("files are read line by line from a stream, with the lines and the messages of reading them whole", async () => {
  const { readLines, readText } = await import("../../apps/files.js");
  const enc = (s) => Buffer.from(s, "utf8");
  const cases = [
    enc("a b\nc\r\nd"), enc("\uFEFF\uFEFFx\n\uFEFFy\n"), enc("x\ry\r\n\rz\r"), enc(""), enc("\n\n"), enc("é€😀 ok\n".repeat(5)),
    Buffer.concat([enc("a\nb\n"), Buffer.from([0xff]), enc("\n")]),                       // not UTF-8 on line 3
    Buffer.concat([enc("a\nb\0\nc\nd"), Buffer.from([0xe9]), enc("\n")]),                  // a NUL, then bytes that are not UTF-8: those win
    enc("BAD\nok\0\n"), enc("ok\nBAD\nBAD again\n"),                                        // a NUL wins over a parse error; the first parse error
    Buffer.concat([enc("a\n"), Buffer.from([0xc3])]), Buffer.concat([enc("a/"), Buffer.from([0xc0, 0xaf])]),   // cut short; overlong
    Buffer.from([0xff, 0xfe, 0x61, 0x00]), Buffer.from([0xfe]),
  ];
  const file = out("lines.txt");
  /** What the whole-file reading gives: its lines, as the parsers split them, or its error. */
  const whole = () => {
    try {
      const lines = readText(file, "data file").replace(/^\uFEFF/, "").split(/\r?\n/).map((raw, i) => [raw, i + 1]);
      const bad = lines.find(([raw]) => raw.startsWith("BAD"));
      return bad ? { lines: lines.slice(0, lines.indexOf(bad)), error: `parse error on line ${bad[1]}` } : { lines };
    } catch (e) {
      return { error: e.message };
    }
  };
  for (const [i, bytes] of cases.entries()) {
    writeFileSync(file, bytes);
    const want = whole();
    for (const chunkSize of [1, 2, 3, 5, 64 * 1024]) {
      const lines = [];
      let error;
      try {
        await readLines(file, "data file", (raw, line) => {
          if (raw.startsWith("BAD")) throw new Error(`parse error on line ${line}`);
          lines.push([raw, line]);
        }, { chunkSize });
      } catch (e) {
        error = e.message;
      }
      assert.deepEqual({ lines: want.error && !/^parse/.test(want.error) ? undefined : lines, ...(error ? { error } : {}) },
        { lines: want.error && !/^parse/.test(want.error) ? undefined : want.lines, ...(want.error ? { error: want.error } : {}) }, `case ${i}, chunks of ${chunkSize}`);
    }
  }
  await assert.rejects(readLines(out("missing.txt"), "data file", () => {}), /^CliError: data file .*missing\.txt: cannot read it \(no such file\)$/);
  await assert.rejects(readLines(dir, "data file", () => {}), /is a directory, not a file/);
});
