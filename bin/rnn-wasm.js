#!/usr/bin/env node
// rnn-wasm's command line (docs/cli.md): rnn-wasm train | eval | predict | generate.
import * as util from "node:util";

if (typeof util.parseArgs !== "function") {
  // The library runs on Node ≥ 16.4; the CLI parses its flags with node:util parseArgs (Node ≥ 18.3).
  console.error(`rnn-wasm: the command line needs Node.js 18.3 or newer (this is ${process.version})`);
  process.exit(1);
}
const { main } = await import("../cli/main.js");
process.exitCode = await main(process.argv.slice(2));
