// Command-line flags with node:util parseArgs (strict), checked values, and how a program of
// the apps runs its main: a CliError printed without a stack and turned into the exit code.
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { CliError, EXIT } from "./errors.js";

/**
 * parseArgs over `argv` with these options ({ name: { type, short?, default?, multiple? } }),
 * strict: an unknown flag, a missing value or a stray positional is a usage CliError.
 */
export function parseFlags(argv, options, { positionals = false, command = "rnn-wasm" } = {}) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
  } catch (e) {
    const m = String(e.message).replace(/\. To specify a positional argument.*$/s, "").replace(/^Unknown option/, "unknown flag");
    throw new CliError(`${command}: ${m} (see ${command} --help)`, EXIT.usage);
  }
}

const label = (name) => `--${name}`;

/** An integer flag value ≥ min (strings from the command line or numbers from a config file). */
export function intFlag(name, value, min = 1) {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min) throw new CliError(`${label(name)}: expected an integer ≥ ${min}, got ${JSON.stringify(value)}`, EXIT.usage);
  return n;
}

/** A number flag value in [min, max]. */
export function numFlag(name, value, min = -Infinity, max = Infinity) {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n < min || n > max) {
    throw new CliError(`${label(name)}: expected a number${min > -Infinity ? ` ≥ ${min}` : ""}${max < Infinity ? ` ≤ ${max}` : ""}, got ${JSON.stringify(value)}`, EXIT.usage);
  }
  return n;
}

/** One of the allowed words. */
export function choiceFlag(name, value, choices) {
  if (!choices.includes(value)) throw new CliError(`${label(name)}: expected one of ${choices.join(", ")}, got ${JSON.stringify(value)}`, EXIT.usage);
  return value;
}

/** A boolean from a flag (true) or a config file (true/false). */
export function boolFlag(name, value) {
  if (typeof value !== "boolean") throw new CliError(`${label(name)}: expected true or false, got ${JSON.stringify(value)}`, EXIT.usage);
  return value;
}

/** Whether the module of `meta` (its import.meta) is the program node was started with, not an import (a test's). */
export function isMain(meta) {
  return Boolean(process.argv[1]) && meta.url === pathToFileURL(process.argv[1]).href;
}

/**
 * Run a program's `main(argv)` (resolving to its exit code) on the command line's arguments.
 * A CliError is printed without a stack and ends with its code; a usage error (exit 2) names
 * the program `name`, as the flag parser's own messages do; anything else is a bug: printed
 * whole, exit 1.
 */
export function runMain(name, main, argv = process.argv.slice(2)) {
  return main(argv).then((code) => { process.exitCode = code; }, (e) => {
    console.error(e instanceof CliError ? (e.code === EXIT.usage && !e.message.startsWith(`${name}:`) ? `${name}: ${e.message}` : e.message) : e);
    process.exitCode = e instanceof CliError ? e.code : 1;
  });
}
