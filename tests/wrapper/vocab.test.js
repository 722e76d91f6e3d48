/**
 * Vocabulary and LabelEncoder: the special ids (<pad> 0, <sos> 1, <eos> 2, <unk> 3), unknown
 * tokens → <unk> (never an id outside the vocabulary), minCount / maxSize / lowercase, the
 * frequency order with first-seen tie-breaking, encode/decode, the JSON round trip (ids kept
 * exactly), and clear errors on bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Vocabulary, LabelEncoder, RnnError } from "../../dist/index.js";

const corpus = [
  ["The", "cat", "sat", "on", "the", "mat"],
  ["the", "dog", "sat"],
  "a cat and a dog",          // a string is split on whitespace
];

test("special symbols have fixed ids", () => {
  const v = Vocabulary.build(corpus);
  assert.deepEqual(v.tokens.slice(0, 4), ["<pad>", "<sos>", "<eos>", "<unk>"]);
  assert.deepEqual([v.padId, v.sosId, v.eosId, v.unkId], [0, 1, 2, 3]);
  assert.deepEqual([Vocabulary.PAD, Vocabulary.SOS, Vocabulary.EOS, Vocabulary.UNK], [0, 1, 2, 3]);
  assert.equal(v.id("<eos>"), 2);
  // Special symbols in the text keep their ids and are not counted as words.
  const w = Vocabulary.build([["<eos>", "x", "<unk>"]]);
  assert.deepEqual(w.tokens, ["<pad>", "<sos>", "<eos>", "<unk>", "x"]);
});

test("tokens are ordered by count, ties by first appearance", () => {
  // counts (case kept): sat 2, cat 2, dog 2, the 2, a 2, The 1, on 1, mat 1, and 1
  // first seen:         The cat sat on the mat dog a and
  const v = Vocabulary.build(corpus);
  assert.deepEqual(v.tokens.slice(4), ["cat", "sat", "the", "dog", "a", "The", "on", "mat", "and"]);
  assert.equal(v.size, 13);
});

test("lowercase merges case when building and when encoding", () => {
  const v = Vocabulary.build(corpus, { lowercase: true });
  // the 3, cat 2, sat 2, dog 2, a 2, on 1, mat 1, and 1
  assert.deepEqual(v.tokens.slice(4), ["the", "cat", "sat", "dog", "a", "on", "mat", "and"]);
  assert.equal(v.id("THE"), 4);
  assert.ok(v.has("Cat"));
  assert.equal(Vocabulary.build(corpus).id("THE"), 3);   // case kept: unknown
});

test("minCount and maxSize", () => {
  const v = Vocabulary.build(corpus, { lowercase: true, minCount: 2 });
  assert.deepEqual(v.tokens.slice(4), ["the", "cat", "sat", "dog", "a"]);
  assert.equal(v.id("mat"), v.unkId);
  const small = Vocabulary.build(corpus, { lowercase: true, maxSize: 6 });   // 4 specials + 2 words
  assert.equal(small.size, 6);
  assert.deepEqual(small.tokens.slice(4), ["the", "cat"]);
  assert.equal(small.id("dog"), 3);
  assert.equal(Vocabulary.build(corpus, { maxSize: 4 }).size, 4);
});

test("encode maps unknown tokens to <unk>, never outside the vocabulary; decode inverts", () => {
  const v = Vocabulary.build(corpus, { lowercase: true });
  const ids = v.encode(["The", "zebra", "sat", "quietly"], { sos: true, eos: true });
  assert.deepEqual(ids, [1, 4, 3, 6, 3, 2]);
  assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < v.size));
  assert.deepEqual(v.encode("the cat"), [4, 5]);
  assert.deepEqual(v.decode(ids), ["<sos>", "the", "<unk>", "sat", "<unk>", "<eos>"]);
  assert.deepEqual(v.decode(ids, { skipSpecial: true }), ["the", "<unk>", "sat", "<unk>"]);
  assert.throws(() => v.decode([4, v.size]), (e) => e instanceof RnnError && /ids\[1\].*0\.\.11.*12/.test(e.message));
  assert.throws(() => v.decode([-1]), RnnError);
  assert.throws(() => v.token(1.5), RnnError);
  assert.throws(() => v.encode(["ok", 7]), (e) => e instanceof RnnError && /\[1\].*string/.test(e.message));
});

test("JSON round trip keeps every id", () => {
  const v = Vocabulary.build(corpus, { lowercase: true, minCount: 1 });
  const text = JSON.stringify(v);
  const back = Vocabulary.fromJSON(JSON.parse(text));
  assert.deepEqual(back.tokens, v.tokens);
  assert.equal(back.lowercase, true);
  assert.deepEqual(back.encode(["Dog", "?"]), v.encode(["Dog", "?"]));
  assert.deepEqual(Vocabulary.fromJSON(text).tokens, v.tokens);          // the JSON text works too
  const bad = JSON.parse(text);
  bad.tokens[1] = "<eos>";
  assert.throws(() => Vocabulary.fromJSON(bad), RnnError);
  assert.throws(() => Vocabulary.fromJSON({ ...JSON.parse(text), kind: "other" }), /kind/);
  assert.throws(() => Vocabulary.fromJSON({ ...JSON.parse(text), tokens: [...v.tokens, "the"] }), /twice/);
  assert.throws(() => Vocabulary.fromJSON("{not json"), RnnError);
});

test("bad build options are clear errors", () => {
  assert.throws(() => Vocabulary.build(corpus, { minCount: 0 }), (e) => e instanceof RnnError && /minCount/.test(e.message));
  assert.throws(() => Vocabulary.build(corpus, { maxSize: 3 }), (e) => e instanceof RnnError && /maxSize.*≥ 4/.test(e.message));
  assert.throws(() => Vocabulary.build(corpus, { lowercas: true }), (e) => e instanceof RnnError && /lowercas/.test(e.message));
  assert.throws(() => Vocabulary.build(42), RnnError);
  assert.throws(() => Vocabulary.build([["a", null]]), (e) => e instanceof RnnError && /texts\[0\]\[1\]/.test(e.message));
});

test("LabelEncoder: sorted classes, optional first classes, unknown labels throw, JSON round trip", () => {
  const tags = LabelEncoder.fit([["DT", "NN", "VB"], ["DT", "JJ", "NN"]]);
  assert.deepEqual(tags.classes, ["DT", "JJ", "NN", "VB"]);
  assert.deepEqual(tags.encode(["NN", "DT"]), [2, 0]);
  assert.deepEqual(tags.decode([3, 1]), ["VB", "JJ"]);
  assert.equal(tags.size, 4);
  assert.throws(() => tags.id("XX"), (e) => e instanceof RnnError && /unknown class "XX"/.test(e.message));
  assert.throws(() => tags.label(4), RnnError);
  const withFirst = LabelEncoder.fit(["spam", "ham", "ham"], { first: ["ham"] });
  assert.deepEqual(withFirst.classes, ["ham", "spam"]);
  const numeric = LabelEncoder.fit([1, 0, 1]);
  assert.deepEqual(numeric.classes, ["0", "1"]);
  assert.equal(numeric.id(1), 1);
  const back = LabelEncoder.fromJSON(JSON.parse(JSON.stringify(tags)));
  assert.deepEqual(back.classes, tags.classes);
  assert.throws(() => new LabelEncoder(["a", "a"]), /twice/);
  assert.throws(() => new LabelEncoder([]), RnnError);
});
