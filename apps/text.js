// Text → ids for the tagger, the classifier and the language models of the CLI, the examples
// and the demo. Plain ES module with no Node built-ins: the browser demo imports it too.
import { Vocabulary } from "../dist/index.js";

/** Suffixes that name an unknown word's class, longest first where they overlap. */
export const SHAPE_SUFFIXES = Object.freeze(["ing", "ed", "ly", "tion", "sion", "ness", "ment", "able", "ible", "ous", "ive", "ful", "less", "al", "ic", "ism", "ist", "ity", "est", "er", "s", "y"]);

/**
 * The class of a word the vocabulary does not hold, from its shape: a number, a symbol, or
 * its capitalisation (`cap`: first letter upper case, `caps`: all upper case, `low`), a hyphen,
 * and its suffix from {@link SHAPE_SUFFIXES} (for words of at least suffix + 3 letters):
 * "Tolstoyan" → `<unk:cap>`, "re-elected" → `<unk:low-hyphen-ed>`, "1,250" → `<unk:number>`.
 * Lower-case, so they sit in a lower-casing vocabulary.
 */
export function wordShape(word) {
  if (/\d/.test(word)) return /^[\d.,:/%$-]+$/.test(word) ? "<unk:number>" : "<unk:digits>";
  if (!/[A-Za-z]/.test(word)) return "<unk:symbol>";
  const caps = word.length > 1 && word === word.toUpperCase();
  const cap = caps ? "caps" : /^[A-Z]/.test(word) ? "cap" : "low";
  const hyphen = word.includes("-") ? "-hyphen" : "";
  const lower = word.toLowerCase();
  const suffix = SHAPE_SUFFIXES.find((s) => lower.endsWith(s) && lower.length >= s.length + 3);
  return `<unk:${cap}${hyphen}${suffix ? `-${suffix}` : ""}>`;
}

/**
 * A word's sub-word features, as tokens of the vocabulary: its last 1–4 letters (lower-cased,
 * for words longer than that), its capitalisation, whether it has a digit or a hyphen, and its
 * letter trigrams, the word lower-cased between the boundary marks ^ and $ (so the first and
 * last trigrams are a prefix and a suffix; "I" gives `^i$`; a trigram twice in a word is in its
 * bag twice).
 * "Running" → `<f:s1:g>` `<f:s2:ng>` `<f:s3:ing>` `<f:s4:ning>` `<f:cap:cap>` `<f:g3:^ru>`
 * `<f:g3:run>` `<f:g3:unn>` `<f:g3:nni>` `<f:g3:nin>` `<f:g3:ing>` `<f:g3:ng$>`. A word's
 * feature bag is its id and the ids of those of its features the vocabulary holds, so a
 * vocabulary built before the trigrams (no `<f:g3:…>` tokens) encodes exactly as it did.
 * The trigrams are what lifts the main job's words never seen in training: they carry the
 * word's prefixes and its inner letters, which the suffixes do not.
 */
export function wordFeatures(word) {
  const lower = word.toLowerCase();
  const out = [];
  for (let n = 1; n <= 4; n++) if (lower.length > n) out.push(`<f:s${n}:${lower.slice(-n)}>`);
  const caps = word.length > 1 && word === word.toUpperCase() && /[A-Z]/.test(word);
  out.push(`<f:cap:${caps ? "caps" : /^[A-Z]/.test(word) ? "cap" : /[a-z]/.test(word) ? "low" : "none"}>`);
  if (/\d/.test(word)) out.push("<f:digit>");
  if (word.includes("-")) out.push("<f:hyphen>");
  const marked = `^${lower}$`;
  for (let i = 0; i + 3 <= marked.length; i++) out.push(`<f:g3:${marked.slice(i, i + 3)}>`);
  return out;
}

/** The special symbols, the unknown-word classes and the features: never a word of its own. */
export function isWordClass(token) {
  return Vocabulary.SPECIALS.includes(token) || /^<unk:[a-z-]+>$/i.test(token) || token.startsWith("<f:");
}

/**
 * Words → ids with a vocabulary built on training text: words seen at least `minCount` times
 * keep their own id; the others (in training, and any word never seen) become an unknown-word
 * class: `<unk>` (`unk: "plain"`) or their {@link wordShape} (`unk: "shapes"`, when the
 * training text had that shape among its rare words; else `<unk>`). A vocabulary built with
 * `features` also holds the {@link wordFeatures} seen at least `featureMinCount` times, and
 * an encoder on such a vocabulary gives each word its feature bag (an array of ids: the word's
 * id first) instead of one id: a model file's vocabulary says how its words are encoded.
 */
export class WordEncoder {
  /**
   * @param vocabulary a Vocabulary (ids of the words and shape classes)
   * @param options.unk "plain" | "shapes"
   */
  constructor(vocabulary, { unk = "plain" } = {}) {
    if (unk !== "plain" && unk !== "shapes") throw new Error(`unk: expected "plain" or "shapes", got ${JSON.stringify(unk)}`);
    this.vocabulary = vocabulary;
    this.unk = unk;
    /** Whether words are encoded as feature bags (the vocabulary holds features). */
    this.features = vocabulary.tokens.some((t) => t.startsWith("<f:"));
    this.bags = new Map();
  }

  /** Count the training words and build the vocabulary: rare words are replaced by their class first. */
  static build(sentences, { minCount = 1, lowercase = false, unk = "plain", maxSize, features = false, featureMinCount = 5 } = {}) {
    const key = (w) => (lowercase ? w.toLowerCase() : w);
    const counts = new Map();
    for (const words of sentences) for (const w of words) counts.set(key(w), (counts.get(key(w)) ?? 0) + 1);
    const rare = (w) => (unk === "shapes" ? wordShape(w) : "<unk>");
    const mapped = sentences.map((words) => words.map((w) => ((counts.get(key(w)) ?? 0) >= minCount ? w : rare(w))));
    if (features) {
      const seen = new Map();
      for (const words of sentences) for (const w of words) for (const f of wordFeatures(w)) seen.set(f, (seen.get(f) ?? 0) + 1);
      mapped.push([...seen].filter(([, c]) => c >= featureMinCount).map(([f]) => f).sort());
    }
    return new WordEncoder(Vocabulary.build(mapped, { lowercase, ...(maxSize ? { maxSize } : {}) }), { unk });
  }

  /** The id of one word. */
  id(word) {
    const v = this.vocabulary;
    if (this.known(word)) return v.id(word);
    return this.unk === "shapes" ? v.id(wordShape(word)) : Vocabulary.UNK;
  }

  /** Whether the word has an id of its own (not an unknown-word class). */
  known(word) {
    return this.vocabulary.has(word) && !isWordClass(word);
  }

  /** A word's feature bag: its id, then its features' ids (cached per word). */
  bag(word) {
    let bag = this.bags.get(word);
    if (bag === undefined) {
      const v = this.vocabulary;
      bag = [this.id(word)];
      for (const f of wordFeatures(word)) if (v.has(f)) bag.push(v.id(f));
      this.bags.set(word, bag);
    }
    return bag;
  }

  /** The ids of a sentence's words, or their feature bags when the vocabulary holds features. */
  encode(words) {
    return words.map((w) => (this.features ? this.bag(w) : this.id(w)));
  }
}

/**
 * Split typed text into tokens roughly as the Brown corpus does: on white space, with
 * punctuation (. , ; : ! ? ( ) and quotes) split off, and double quotes as `` and ''.
 * Contractions and possessives stay whole ("didn't", "Atlanta's"), as in the corpus.
 */
export function tokenize(text) {
  const out = [];
  let open = true;
  for (const raw of String(text).replace(/[“”]/g, '"').replace(/[‘’]/g, "'").split(/\s+/)) {
    if (!raw) continue;
    const m = /^([("'`]*)(.*?)([)"'.,;:!?]*)$/.exec(raw);
    let [, lead, core, trail] = m;
    // A trailing "'s" or "n't" is part of the word; a trailing single quote after s is a possessive.
    if (/^'/.test(trail) && /s$/i.test(core) && !/^''/.test(trail)) { core += "'"; trail = trail.slice(1); }
    for (const ch of lead.match(/``|''|["(`']/g) ?? []) {
      if (ch === '"' || ch === "``" || ch === "''") { out.push(open ? "``" : "''"); open = !open; } else out.push(ch);
    }
    if (core) out.push(core);
    const tail = trail.match(/\.\.\.|[)"'.,;:!?]/g) ?? [];
    for (const ch of tail) {
      if (ch === '"') { out.push(open ? "``" : "''"); open = !open; } else out.push(ch);
    }
  }
  return out;
}
