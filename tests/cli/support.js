// What the CLI suites share: the CLI run as a user runs it, in the fixtures folder, and a
// scratch folder removed when the suite's process exits.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const bin = fileURLToPath(new URL("../../bin/rnn-wasm.js", import.meta.url));
export const fixtures = fileURLToPath(new URL("../fixtures/cli/", import.meta.url));

/** A fresh scratch folder named after `name`, removed when the process exits. */
export function scratch(name) {
  const dir = mkdtempSync(join(tmpdir(), `rnn-wasm-${name}-`));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Run the CLI in the fixtures folder: { code, stdout, stderr }. */
export function cli(args, { input } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: fixtures, input, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** main() in this process (fast: no Node start-up), for help and usage errors: { code, stdout, stderr }. */
export async function runMain(args) {
  const { main } = await import("../../cli/main.js");
  let stdout = "", stderr = "";
  const code = await main(args, { stdout: { write: (t) => (stdout += t) }, stderr: { write: (t) => (stderr += t) } });
  return { code, stdout, stderr };
}
