// The error the apps (the CLI, the examples, the demo) show a person: a message without a
// stack, and the exit code a command-line program ends with. No Node built-ins: the parsers
// the demo imports throw it too.

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
