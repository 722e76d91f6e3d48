// Classification metrics over class ids: accuracy, per-class accuracy and the confusion matrix
// (rows: true class, columns: predicted class). Usable alone on any arrays of ids; evaluate()
// feeds them with the scored steps of a model (every real token for many-to-many, one per
// sequence for many-to-one; padding is never among them).

import { RnnError } from "./errors.js";
import { describe, checkArrayLike } from "./check.js";

/** Per-class figures of a confusion matrix. */
export interface ClassStats {
  /** Class id. */
  id: number;
  /** Class name (the id as text when the matrix has no labels). */
  label: string;
  /** Examples whose true class this is (the row's sum). */
  support: number;
  /** Of those, predicted as this class (the diagonal cell). */
  correct: number;
  /** Per-class accuracy, correct / support (recall); NaN when support is 0. */
  accuracy: number;
  /** Examples predicted as this class (the column's sum). */
  predicted: number;
  /** correct / predicted; NaN when nothing was predicted as this class. */
  precision: number;
  /** Harmonic mean of precision and accuracy (recall); NaN when either is. */
  f1: number;
}

/** Options of {@link ConfusionMatrix.toString}. */
export interface RenderOptions {
  /** Show at most this many classes (the most frequent true classes), the rest summed as "other". @default 20 */
  top?: number;
  /** Widest class name shown; longer names are cut with "…". @default 10 */
  labelWidth?: number;
}

function ids(values: unknown, field: string): ArrayLike<number> {
  checkArrayLike(field, values, "an array of class ids");
  return values as ArrayLike<number>;
}

function pairOf(actual: unknown, predicted: unknown, who: string): [ArrayLike<number>, ArrayLike<number>] {
  const a = ids(actual, `${who} actual`);
  const p = ids(predicted, `${who} predicted`);
  if (a.length !== p.length) throw new RnnError(`${who}: actual has ${a.length} ids but predicted has ${p.length}`);
  return [a, p];
}

/** Index of the largest value (the first one on ties); -1 for an empty array. */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  let max = -Infinity;
  for (let j = 0; j < values.length; j++) {
    if (values[j] > max || best < 0) {
      max = values[j];
      best = j;
    }
  }
  return best;
}

/**
 * Fraction of positions where predicted equals actual.
 * @example accuracy([0, 1, 2, 2], [0, 2, 2, 2]);   // 0.75
 */
export function accuracy(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const [a, p] = pairOf(actual, predicted, "accuracy");
  if (a.length === 0) throw new RnnError("accuracy: no examples (actual and predicted are empty)");
  let right = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === p[i]) right++;
  return right / a.length;
}

/**
 * A k×k table of counts: cell (t, p) counts the examples of true class t predicted as p.
 *
 * @example
 * const cm = ConfusionMatrix.from([0, 0, 1, 2], [0, 1, 1, 2], ["DT", "NN", "VB"]);
 * cm.get(0, 1);                 // 1: one DT predicted as NN
 * cm.perClass()[0].accuracy;    // 0.5
 * console.log(cm.toString());
 */
export class ConfusionMatrix {
  /** Number of classes k. */
  readonly size: number;
  /** Class names, in id order. */
  readonly labels: readonly string[];
  readonly #counts: Float64Array;

  /** An empty matrix for k classes, or for these class names (anything with a `classes` array, such as a LabelEncoder, works too). */
  constructor(classes: number | ArrayLike<string> | { classes: ArrayLike<string> }) {
    let names: string[];
    if (typeof classes === "number") {
      if (!Number.isInteger(classes) || classes < 1) throw new RnnError(`ConfusionMatrix: expected a number of classes ≥ 1, got ${describe(classes)}`);
      names = Array.from({ length: classes }, (_, i) => String(i));
    } else if (classes !== null && typeof classes === "object" && "classes" in classes) {
      names = Array.from(classes.classes, String);
    } else if (classes !== null && typeof classes === "object" && typeof (classes as ArrayLike<string>).length === "number") {
      names = Array.from(classes as ArrayLike<string>, String);
    } else {
      throw new RnnError(`ConfusionMatrix: expected a number of classes or an array of class names, got ${describe(classes)}`);
    }
    if (names.length === 0) throw new RnnError("ConfusionMatrix: no classes (need at least one)");
    this.size = names.length;
    this.labels = Object.freeze(names);
    this.#counts = new Float64Array(this.size * this.size);
  }

  /** The matrix of these pairs. */
  static from(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes?: number | ArrayLike<string> | { classes: ArrayLike<string> }): ConfusionMatrix {
    const [a, p] = pairOf(actual, predicted, "ConfusionMatrix.from");
    let k = 0;
    if (classes === undefined) for (let i = 0; i < a.length; i++) k = Math.max(k, a[i] + 1, p[i] + 1);
    const cm = new ConfusionMatrix(classes ?? Math.max(k, 1));
    for (let i = 0; i < a.length; i++) cm.add(a[i], p[i]);
    return cm;
  }

  #check(id: unknown, field: string): number {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= this.size) {
      throw new RnnError(`ConfusionMatrix: ${field} must be a class id in 0..${this.size - 1}, got ${describe(id)}`);
    }
    return id;
  }

  /** Count `count` examples of true class `actual` predicted as `predicted`. */
  add(actual: number, predicted: number, count = 1): this {
    this.#counts[this.#check(actual, "actual") * this.size + this.#check(predicted, "predicted")] += count;
    return this;
  }

  /** Add every cell of another matrix with the same classes. */
  merge(other: ConfusionMatrix): this {
    if (other.size !== this.size) throw new RnnError(`ConfusionMatrix.merge: ${other.size} classes, expected ${this.size}`);
    const src = other.#counts;
    for (let i = 0; i < src.length; i++) this.#counts[i] += src[i];
    return this;
  }

  /** The count of true class `actual` predicted as `predicted`. */
  get(actual: number, predicted: number): number {
    return this.#counts[this.#check(actual, "actual") * this.size + this.#check(predicted, "predicted")];
  }

  /** All examples counted. */
  get total(): number {
    let s = 0;
    for (const c of this.#counts) s += c;
    return s;
  }

  /** Examples on the diagonal. */
  get correct(): number {
    let s = 0;
    for (let i = 0; i < this.size; i++) s += this.#counts[i * this.size + i];
    return s;
  }

  /** correct / total (NaN when empty). */
  get accuracy(): number {
    const t = this.total;
    return t === 0 ? NaN : this.correct / t;
  }

  /** Per-class accuracy (recall), precision, F1 and counts, in id order. */
  perClass(): ClassStats[] {
    const k = this.size;
    return Array.from({ length: k }, (_, c) => {
      let support = 0;
      let predicted = 0;
      for (let j = 0; j < k; j++) {
        support += this.#counts[c * k + j];
        predicted += this.#counts[j * k + c];
      }
      const correct = this.#counts[c * k + c];
      const accuracy = support === 0 ? NaN : correct / support;
      const precision = predicted === 0 ? NaN : correct / predicted;
      const f1 = Number.isNaN(accuracy) || Number.isNaN(precision) ? NaN : accuracy + precision === 0 ? 0 : (2 * accuracy * precision) / (accuracy + precision);
      return { id: c, label: this.labels[c], support, correct, accuracy, predicted, precision, f1 };
    });
  }

  /** The counts as k rows of k numbers (row: true class, column: predicted). */
  toArray(): number[][] {
    const k = this.size;
    return Array.from({ length: k }, (_, i) => Array.from(this.#counts.subarray(i * k, (i + 1) * k)));
  }

  /** Plain data for JSON.stringify. */
  toJSON(): { labels: string[]; counts: number[][] } {
    return { labels: this.labels.slice(), counts: this.toArray() };
  }

  /**
   * A text table: one row per true class, one column per predicted class, then the row's
   * total and the per-class accuracy, and a last line with the overall accuracy. With more
   * classes than `top`, the `top` most frequent true classes are shown (most frequent first)
   * and the others are summed into an "other" row and column, so every row still adds up.
   */
  toString(options: RenderOptions = {}): string {
    const k = this.size;
    const top = options.top ?? 20;
    const width = options.labelWidth ?? 10;
    if (!Number.isInteger(top) || top < 1) throw new RnnError(`ConfusionMatrix.toString top: expected an integer ≥ 1, got ${describe(top)}`);
    if (!Number.isInteger(width) || width < 2) throw new RnnError(`ConfusionMatrix.toString labelWidth: expected an integer ≥ 2, got ${describe(width)}`);
    const stats = this.perClass();
    let shown = stats.map((s) => s.id);
    if (k > top) shown = stats.slice().sort((a, b) => b.support - a.support || a.id - b.id).slice(0, top).map((s) => s.id);
    const other = k > shown.length;
    const slot = new Int32Array(k).fill(shown.length);     // class id → shown column (other: the last)
    shown.forEach((c, i) => (slot[c] = i));
    const m = shown.length + (other ? 1 : 0);
    const cells = Array.from({ length: m }, () => new Float64Array(m));
    const rowCorrect = new Float64Array(m);
    for (let t = 0; t < k; t++) {
      for (let p = 0; p < k; p++) {
        const c = this.#counts[t * k + p];
        cells[slot[t]][slot[p]] += c;
        if (t === p) rowCorrect[slot[t]] += c;
      }
    }
    const cut = (s: string) => (s.length > width ? s.slice(0, width - 1) + "…" : s);
    let names = [...shown.map((c) => cut(this.labels[c])), ...(other ? ["other"] : [])];
    const rowNames = shown.map((c) => cut(this.labels[c]));
    let rows = cells.map((row, i) => ({ row, correct: rowCorrect[i] }));
    if (other) {
      // An "other" row or column with nothing in it is left out.
      const o = shown.length;
      const keepCol = cells.some((r) => r[o] > 0);
      const keepRow = cells[o].some((x) => x > 0);
      if (!keepCol) rows = rows.map(({ row, correct }) => ({ row: row.subarray(0, o), correct }));
      if (!keepRow) rows = rows.slice(0, o);
      names = names.slice(0, keepCol ? o + 1 : o);
      if (keepRow) rowNames.push("other");
    }
    const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
    const pct = (x: number) => (Number.isNaN(x) ? "—" : `${(100 * x).toFixed(1)}%`);
    const colW = Math.max(5, ...names.map((s) => s.length), ...rows.flatMap((r) => Array.from(r.row, (x) => num(x).length)));
    const headW = Math.max("true \\ pred".length, ...rowNames.map((s) => s.length));
    const totals = rows.map((r) => r.row.reduce((s, x) => s + x, 0));
    const totW = Math.max(5, ...totals.map((x) => num(x).length));
    const lines: string[] = [];
    const title = other ? `confusion matrix: rows true class, columns predicted (${shown.length} of ${k} classes by frequency, the rest as "other")`
      : "confusion matrix: rows true class, columns predicted";
    lines.push(title);
    lines.push(`${"true \\ pred".padEnd(headW)}  ${names.map((s) => s.padStart(colW)).join(" ")} │ ${"total".padStart(totW)}  ${"acc".padStart(6)}`);
    rows.forEach(({ row, correct }, i) => {
      lines.push(`${rowNames[i].padEnd(headW)}  ${Array.from(row, (x) => num(x).padStart(colW)).join(" ")} │ ${num(totals[i]).padStart(totW)}  ${pct(totals[i] === 0 ? NaN : correct / totals[i]).padStart(6)}`);
    });
    lines.push(`accuracy ${pct(this.accuracy)} (${num(this.correct)} of ${num(this.total)})`);
    return lines.join("\n");
  }
}

/**
 * The confusion matrix of these pairs (row: true class, column: predicted).
 * @param classes the number of classes, or their names; default: the largest id seen + 1.
 */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes?: number | ArrayLike<string> | { classes: ArrayLike<string> }): ConfusionMatrix {
  return ConfusionMatrix.from(actual, predicted, classes);
}

/**
 * Per-class accuracy: for each true class, the fraction of its examples predicted correctly
 * (with support, precision and F1); NaN for a class with no examples.
 */
export function perClassAccuracy(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes?: number | ArrayLike<string> | { classes: ArrayLike<string> }): ClassStats[] {
  return ConfusionMatrix.from(actual, predicted, classes).perClass();
}
