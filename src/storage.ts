// Model files in browsers: a download, and IndexedDB (also in workers).

import { RnnError } from "./errors.js";
import type { SaveOptions, LoadOptions } from "./format.js";
import type { InferenceRNN } from "./inference.js";
import { RNN } from "./model.js";

/** Offer the model file as a download (browsers). @default filename "model.rnn" */
export function downloadModel(model: InferenceRNN, filename = "model.rnn", options: SaveOptions = {}): void {
  const doc = (globalThis as { document?: Document }).document;
  if (!doc || typeof URL.createObjectURL !== "function") throw new RnnError("downloadModel: needs a browser (document and URL.createObjectURL); use saveModelFile in Node or Deno");
  const url = URL.createObjectURL(new Blob([model.save(options) as BlobPart], { type: "application/octet-stream" }));
  const a = doc.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  doc.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Where models are kept in IndexedDB. */
export interface IndexedDBOptions {
  /** @default "rnn-wasm" */
  database?: string;
  /** @default "models" */
  store?: string;
}

function openStore(options: IndexedDBOptions, mode: IDBTransactionMode): Promise<IDBObjectStore> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return Promise.reject(new RnnError("IndexedDB is not available in this runtime; use saveModelFile in Node or Deno"));
  const database = options.database ?? "rnn-wasm", store = options.store ?? "models";
  const storeOf = (db: IDBDatabase): IDBObjectStore => {
    const tx = db.transaction(store, mode);
    tx.oncomplete = tx.onabort = tx.onerror = () => db.close();
    return tx.objectStore(store);
  };
  return new Promise((resolve, reject) => {
    const req = idb.open(database);
    req.onupgradeneeded = () => req.result.createObjectStore(store);
    req.onerror = () => reject(new RnnError(`IndexedDB: cannot open "${database}" (${req.error?.message ?? "unknown error"})`));
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(store)) {
        // The database exists without our store: reopen one version up to add it.
        const version = db.version + 1;
        db.close();
        const up = idb.open(database, version);
        up.onupgradeneeded = () => up.result.createObjectStore(store);
        up.onerror = () => reject(new RnnError(`IndexedDB: cannot add store "${store}" (${up.error?.message ?? "unknown error"})`));
        up.onsuccess = () => resolve(storeOf(up.result));
        return;
      }
      resolve(storeOf(db));
    };
  });
}

function done<T>(req: IDBRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new RnnError(`IndexedDB: ${what} failed (${req.error?.message ?? "unknown error"})`));
  });
}

/** Keep the model in IndexedDB under `key` (browsers, workers). */
export async function saveModelToIndexedDB(model: InferenceRNN, key: string, options: IndexedDBOptions & SaveOptions = {}): Promise<void> {
  const { database, store, ...save } = options;
  const bytes = model.save(save);
  const os = await openStore({ database, store }, "readwrite");
  await done(os.put(bytes, key), `saving "${key}"`);
}

/** Load a model kept by {@link saveModelToIndexedDB}. */
export async function loadModelFromIndexedDB(key: string, options: IndexedDBOptions & LoadOptions = {}): Promise<RNN> {
  const { database, store, ...load } = options;
  const os = await openStore({ database, store }, "readonly");
  const bytes = await done(os.get(key), `reading "${key}"`);
  if (bytes === undefined) throw new RnnError(`IndexedDB: no model under "${key}"`);
  return RNN.load(bytes as Uint8Array, load);
}
