// Validation shared by every public entry point, with one message format:
//
//   <field>: expected <what>, got <value>                a value of the wrong kind or range
//   <field>.<key>: unknown option (known: a, b, c)       a key no option of that object has
//
// Everything here throws RnnError and nothing else, before any effect.

import { RnnError } from "./errors.js";

/** The longest array-like accepted anywhere (a wasm32 memory could not hold more elements). */
export const MAX_LENGTH = 2 ** 31 - 1;

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === "object" && typeof (value as { length?: unknown }).length === "number") {
    return `an object with length ${(value as { length: number }).length}`;
  }
  return typeof value;
}

/**
 * Whether a value is a number that stays finite as a 32-bit float: everything that reaches
 * wasm is f32, where 1e39 is Infinity (f32's largest finite value is about 3.4e38).
 */
export function finiteF32(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(Math.fround(value));
}

/** What a finite input must be, for error messages. */
export const FINITE_F32 = "a finite number (as a 32-bit float: |x| < 3.4e38)";

/** What a value is, for an error: "1e+39 (Infinity as a 32-bit float)" where rounding makes the difference. */
export function describeF32(value: unknown): string {
  return typeof value === "number" && Number.isFinite(value) && !Number.isFinite(Math.fround(value))
    ? `${value} (${Math.fround(value)} as a 32-bit float)` : describe(value);
}

/**
 * Arrays, typed arrays (not DataView) and objects with a whole `length` in 0..2^31−1. A
 * larger length (2^32 + 4, 2^40) is refused by name here rather than wrapped to 32 bits later.
 */
export function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  if (Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView))) return true;
  if (x === null || typeof x !== "object") return false;
  const n = (x as { length?: unknown }).length;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= MAX_LENGTH;
}

/** An array-like, or an RnnError that says why not (a length too large is named as such). */
export function checkArrayLike(field: string, value: unknown, what = "an array"): asserts value is ArrayLike<unknown> {
  if (isArrayLike(value)) return;
  const n = value !== null && typeof value === "object" ? (value as { length?: unknown }).length : undefined;
  if (typeof n === "number" && Number.isInteger(n) && n > MAX_LENGTH) {
    throw new RnnError(`${field}: length ${n} is more than the ${MAX_LENGTH} elements anything here can hold`);
  }
  throw new RnnError(`${field}: expected ${what}, got ${describe(value)}`);
}

/** An options object: undefined (all defaults) or an object of known keys only, so a typo is not silently ignored. */
export function checkOptionKeys(field: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new RnnError(`${field}: expected an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new RnnError(`${field}.${key}: unknown option (known: ${known.join(", ") || "none"})`);
  }
}

/** An integer ≥ `min` (default 1); `fallback` when undefined, if one is given. */
export function positiveInt(field: string, value: unknown, fallback?: number, min = 1): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new RnnError(`${field}: expected an integer ≥ ${min}, got ${describe(value)}`);
  }
  return value;
}

/** true or false; `fallback` when undefined. "no", 0 and null are refused, not read as false. */
export function flag(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new RnnError(`${field}: expected true or false, got ${describe(value)}`);
  return value;
}

/** A function, or undefined. */
export function callback<F>(field: string, value: unknown): F | undefined {
  if (value !== undefined && typeof value !== "function") throw new RnnError(`${field}: expected a function, got ${describe(value)}`);
  return value as F | undefined;
}
