#!/usr/bin/env node
// rnn-wasm's command line (README "CLI"): rnn-wasm train | eval | predict | generate.
import { main } from "../cli/main.js";

process.exitCode = await main(process.argv.slice(2));
