// Files for the CLI and the examples: reading with clear messages (text as strict UTF-8, whole
// or line by line from a stream), writing atomically.
import { readFileSync, writeFileSync, renameSync, rmSync, mkdirSync, statSync, createReadStream } from "node:fs";
import { dirname } from "node:path";
import { CliError, EXIT } from "./errors.js";

/** Read a file's bytes, or "-" for standard input; a missing, unreadable or non-file path is a CliError. */
export function readBytes(path, what = "file") {
  try {
    if (path === "-") return readFileSync(0);
    if (statSync(path).isDirectory()) throw new CliError(`${what} ${path}: is a directory, not a file`, EXIT.data);
    return readFileSync(path);
  } catch (e) {
    throw cannotRead(e, path, what);
  }
}

function cannotRead(e, path, what) {
  if (e instanceof CliError) return e;
  const why = e.code === "ENOENT" ? "no such file" : e.code === "EACCES" ? "permission denied" : e.message;
  return new CliError(`${what} ${path}: cannot read it (${why})`, EXIT.data);
}

/**
 * Read a text file (or "-": standard input) line by line from a stream, never holding it whole,
 * and call `onLine(text, number)` for each line, numbered from 1: the lines and the messages
 * of readText's callers, which split its text at "\n" (dropping a "\r" before it) after a
 * leading byte order mark. Not node:readline, which also ends a line at a lone "\r" (old Mac
 * text) and so would number and split such a file otherwise.
 *
 * A file that readText refuses is refused with the same message, and first: bytes that are not
 * UTF-8 win over a NUL byte, which wins over an error of `onLine` (a parse error); once one of
 * these is found, onLine is called no more, and the rest of the file is only scanned for the
 * kinds that win over it. `chunkSize`: bytes per read (tests use tiny ones).
 */
export async function readLines(path, what, onLine, { chunkSize } = {}) {
  const name = path === "-" ? "standard input" : path;
  let stream;
  try {
    if (path !== "-" && statSync(path).isDirectory()) throw new CliError(`${what} ${path}: is a directory, not a file`, EXIT.data);
    stream = path === "-" ? process.stdin : createReadStream(path, chunkSize ? { highWaterMark: chunkSize } : {});
  } catch (e) {
    throw cannotRead(e, path, what);
  }
  let line = 1;                  // the number of the next line
  let offset = 0;                // the byte offset of the next segment
  let nul;                       // the first NUL byte: { line, offset }
  let failed;                    // the first error of onLine
  // A segment: whole lines (each ending in "\n"), or the rest of the file after the last "\n".
  const segment = (bytes, last) => {
    let text = decodeUtf8(lineDecoder, bytes, name, line, offset);
    const at = nul === undefined ? bytes.indexOf(0) : -1;
    if (at >= 0) nul = { line: line + newlines(bytes, at), offset: offset + at };
    if (offset === 0) text = text.replace(/^\uFEFF/, "").replace(/^\uFEFF/, "");   // readText's decoder drops one, its callers another
    const parts = text.split("\n");
    if (!last) parts.pop();                                                        // the "" after the final "\n"
    if (nul === undefined && failed === undefined) {
      for (let i = 0; i < parts.length; i++) {
        const raw = !last || i < parts.length - 1 ? parts[i].replace(/\r$/, "") : parts[i];
        try {
          onLine(raw, line + i);
        } catch (e) {
          failed = e;
          break;
        }
      }
    }
    line += parts.length;
    offset += bytes.length;
  };
  let carry;                     // the bytes of an unfinished line
  try {
    for await (const chunk of stream) {
      const bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
      const end = bytes.lastIndexOf(0x0a);
      if (end < 0) { carry = bytes; continue; }
      carry = bytes.subarray(end + 1);
      segment(bytes.subarray(0, end + 1), false);
    }
  } catch (e) {
    stream.destroy?.();
    throw cannotRead(e, path, what);
  }
  segment(carry ?? new Uint8Array(0), true);
  if (nul !== undefined) throw nulByte(name, nul.line, nul.offset);
  if (failed !== undefined) throw failed;
}

/** Strict UTF-8 for one segment of lines; a byte order mark is kept (readLines drops the file's first). */
const lineDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Read a text file (or "-": standard input) as strict UTF-8: bytes that are not UTF-8, or a
 * NUL byte, are a CliError naming the file, the line and the byte (a binary file read as text
 * would otherwise train on U+FFFD and noise).
 */
export function readText(path, what = "file") {
  return decodeText(readBytes(path, what), path === "-" ? "standard input" : path);
}

const strict = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 bytes → text (a leading byte order mark dropped); anything else is a CliError `name:line: …`. */
export function decodeText(bytes, name) {
  const text = decodeUtf8(strict, bytes, name);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw nulByte(name, 1 + newlines(bytes, nul), nul);
  return text;
}

/**
 * Bytes that start at line `line` and byte `offset` of a file (a whole file, or one segment of
 * readLines) → text by `decoder` (strict UTF-8). At the file's start a UTF-16 byte order mark is
 * refused; bytes that are not UTF-8 are a CliError naming the file, the line and the byte. One
 * place for readText's and readLines' refusals, so the two say the same.
 */
function decodeUtf8(decoder, bytes, name, line = 1, offset = 0) {
  if (offset === 0 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new CliError(`${name}: UTF-16 text (it starts with a UTF-16 byte order mark): save it as UTF-8`, EXIT.data);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new CliError(`${name}:${line + newlines(bytes, bad)}: not UTF-8 text (byte 0x${bytes[bad].toString(16).padStart(2, "0")} at offset ${offset + bad}): a binary file?`, EXIT.data);
  }
}

/** The refusal of a NUL byte at `line` and byte `offset` of the file. */
const nulByte = (name, line, offset) => new CliError(`${name}:${line}: a NUL byte (offset ${offset}): a binary file, not text`, EXIT.data);

/** The number of newlines in bytes[0, end). */
function newlines(bytes, end) {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

/**
 * The offset of the first byte that does not start a well-formed UTF-8 sequence (-1: none).
 * The well-formed sequences are those of the Unicode Standard, Table 3-7: no overlong forms
 * (C0, C1, E0 80–9F, F0 80–8F), no surrogates (ED A0–BF), nothing above U+10FFFF (F4 90–, F5–FF).
 */
export function firstInvalidUtf8(bytes) {
  const cont = (i, lo = 0x80, hi = 0xbf) => i < bytes.length && bytes[i] >= lo && bytes[i] <= hi;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    let n;                                                   // bytes in this sequence, 0: ill-formed
    if (b < 0x80) n = 1;
    else if (b >= 0xc2 && b <= 0xdf) n = cont(i + 1) ? 2 : 0;
    else if (b >= 0xe0 && b <= 0xef) {
      const [lo, hi] = b === 0xe0 ? [0xa0, 0xbf] : b === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
      n = cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
    } else if (b >= 0xf0 && b <= 0xf4) {
      const [lo, hi] = b === 0xf0 ? [0x90, 0xbf] : b === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
      n = cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    } else n = 0;
    if (n === 0) return i;
    i += n;
  }
  return -1;
}

/**
 * Write bytes or text to `path` atomically: a temporary file in the same folder, then a rename
 * over the old one, so an interrupted write never leaves half a file (the old one stays).
 */
export function writeAtomic(path, data) {
  mkdirSync(dirname(path) || ".", { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${e.message}`, EXIT.data);
  }
}
