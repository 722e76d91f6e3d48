// Model files on disk, for Node.js and Deno. Nothing here is imported statically: Deno's own
// API is used when present, and Node's fs is reached by a dynamic import whose specifier
// bundlers do not follow, so browser bundles of rnn-wasm stay free of Node built-ins.

import { RnnError } from "./errors.js";
import type { InferenceRNN } from "./inference.js";
import { RNN } from "./model.js";
import type { SaveOptions, LoadOptions } from "./format.js";

/** No valid model file is larger: parameters, m and v together stay under the 1 GiB block limit. */
const MAX_FILE_BYTES = 2 ** 30 + 100_000_008;

interface FileSystem {
  size(path: string): Promise<number>;
  read(path: string): Promise<Uint8Array>;
  write(path: string, bytes: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
}

interface DenoFs {
  stat(path: string): Promise<{ size: number }>;
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
}

interface NodeFs {
  stat(path: string): Promise<{ size: number }>;
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
}

async function fileSystem(what: string): Promise<FileSystem> {
  const deno = (globalThis as { Deno?: DenoFs }).Deno;
  if (deno && typeof deno.readFile === "function") {
    return {
      size: async (p) => (await deno.stat(p)).size,
      read: (p) => deno.readFile(p),
      write: (p, b) => deno.writeFile(p, b),
      rename: (a, b) => deno.rename(a, b),
      remove: (p) => deno.remove(p).catch(() => undefined),
    };
  }
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node) throw new RnnError(`${what}: needs Node.js or Deno (in browsers use downloadModel or saveModelToIndexedDB)`);
  const specifier = ["node:fs", "promises"].join("/");   // computed: bundlers leave it alone
  const fs = (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as NodeFs;
  return {
    size: async (p) => (await fs.stat(p)).size,
    read: (p) => fs.readFile(p),
    write: (p, b) => fs.writeFile(p, b),
    rename: (a, b) => fs.rename(a, b),
    remove: (p) => fs.rm(p, { force: true }),
  };
}

function checkPath(path: unknown, what: string): string {
  if (typeof path !== "string" || path.length === 0) throw new RnnError(`${what}: path must be a non-empty string, got ${typeof path}`);
  return path;
}

function ioError(what: string, path: string, e: unknown): RnnError {
  return new RnnError(`${what}: ${JSON.stringify(path)}: ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * Write `model.save()` to a file (Node.js, Deno). The bytes go to a temporary file first and
 * are renamed into place, so an interrupted save never leaves a half-written model.
 */
export async function saveModelFile(model: InferenceRNN, path: string, options: SaveOptions = {}): Promise<void> {
  const what = "saveModelFile";
  checkPath(path, what);
  const bytes = model.save(options);
  const fs = await fileSystem(what);
  const tmp = `${path}.tmp-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  try {
    await fs.write(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.remove(tmp);
    throw ioError(what, path, e);
  }
}

/** Load a model file written by {@link saveModelFile} (or any `model.save()` bytes on disk). */
export async function loadModelFile(path: string, options: LoadOptions = {}): Promise<RNN> {
  const what = "loadModelFile";
  checkPath(path, what);
  const fs = await fileSystem(what);
  let bytes: Uint8Array;
  try {
    const size = await fs.size(path);
    if (size > MAX_FILE_BYTES) throw new RnnError(`${what}: ${JSON.stringify(path)} is ${(size / 2 ** 20).toFixed(0)} MiB, larger than any model file can be`);
    bytes = await fs.read(path);
  } catch (e) {
    if (e instanceof RnnError) throw e;
    throw ioError(what, path, e);
  }
  return RNN.load(bytes, options);
}
