// Files for the CLI and the examples: reading with clear messages, writing atomically.
import { readFileSync, writeFileSync, renameSync, rmSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { CliError, EXIT } from "./errors.js";

/** Read a text file, or "-" for standard input; a missing, unreadable or non-file path is a CliError. */
export function readText(path, what = "file") {
  try {
    if (path === "-") return readFileSync(0, "utf8");
    if (statSync(path).isDirectory()) throw new CliError(`${what} ${path}: is a directory, not a file`, EXIT.data);
    return readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof CliError) throw e;
    const why = e.code === "ENOENT" ? "no such file" : e.code === "EACCES" ? "permission denied" : e.message;
    throw new CliError(`${what} ${path}: cannot read it (${why})`, EXIT.data);
  }
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
