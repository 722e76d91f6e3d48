// Command-line flags with node:util parseArgs, and the errors the CLI turns into an exit code.
import { parseArgs } from "node:util";

/** An error for the person at the terminal: printed without a stack, exit code `code` (≠ 0). */
export class CliError extends Error {
  constructor(message, code = 1) {
    super(message);
    this.name = "CliError";
    this.code = code;
  }
}

/** Exit codes: 1 bad data or files, 2 bad usage (unknown command or flag, bad value), 130 interrupted. */
export const EXIT = Object.freeze({ data: 1, usage: 2, interrupted: 130 });

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
