#!/usr/bin/env node
// Link check of the docs: every relative link and #anchor in README.md, docs/*.md and
// examples/README.md must point at a file or folder of the repository and, for a Markdown
// page, at one of its headings. External links (https:, mailto:, …) are not fetched.
//
// Anchors follow GitHub's rule for headings (github-slugger): the heading's text, lower-cased,
// with every character that is not a letter, a digit, a space, '-' or '_' dropped, and each
// space turned into '-'; a repeated heading gets -1, -2, … in order. `<a id="…">` and
// `<a name="…">` count as anchors too. Links and headings inside code (fenced blocks and
// `inline` spans) are ignored, as GitHub does.
//
// Usage: node scripts/check-links.js [--root DIR] [FILE.md …]
// Prints one line per broken link (file:line: target: why) and exits 1 if there is any.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** The pages checked by default: README.md, docs/*.md, examples/README.md (paths from root). */
export function docFiles(root = repoRoot) {
  const docs = existsSync(join(root, "docs"))
    ? readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)
    : [];
  return ["README.md", ...docs, "examples/README.md"].filter((f) => existsSync(join(root, f)));
}

/** Lines of a Markdown text with fenced code blocks blanked (so line numbers stay right). */
function proseLines(text) {
  let fence = null;
  return text.split("\n").map((line) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && /^\s*$/.test(line.slice(m[0].length))) fence = null;
      return "";
    }
    if (m) { fence = m[1]; return ""; }
    return line;
  });
}

/** GitHub's anchor for a heading's text (the text as rendered: link targets and markup gone). */
export function slug(heading) {
  // Outside `code` spans: [text](url) → text, HTML tags dropped; inside them the text stays as it is.
  const text = heading.split(/(`+[^`]*?`+)/).map((part, i) => (i % 2
    ? part
    : part.replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<\/?[a-z][^>]*>/gi, ""))).join("");
  return text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** Every anchor a Markdown page defines: heading slugs (with GitHub's -1, -2 for repeats) and <a id|name>. */
export function anchors(text) {
  const seen = new Map();
  const out = new Set();
  for (const line of proseLines(text)) {
    const h = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']/gi)) out.add(a[1]);
  }
  return out;
}

/** The link targets of a Markdown page, with line numbers: [text](target), ![alt](src), [label]: target, href="…". */
export function links(text) {
  const out = [];
  proseLines(text).forEach((raw, i) => {
    const line = raw.replace(/(`+)[^`]*?\1/g, (m) => " ".repeat(m.length)); // inline code spans
    const add = (target) => out.push({ target, line: i + 1 });
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g)) add(m[1]);
    const def = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line);
    if (def) add(def[1]);
    for (const m of line.matchAll(/\b(?:href|src)\s*=\s*["']([^"']*)["']/gi)) add(m[1]);
  });
  return out;
}

/**
 * Check the relative links and anchors of some pages.
 * @param {string[]} files paths of Markdown pages (relative to root, or absolute)
 * @returns {{ file: string, line: number, target: string, reason: string }[]} the broken ones
 */
export function checkLinks(files, root = repoRoot) {
  const broken = [];
  const anchorCache = new Map();
  const anchorsOf = (path) => {
    if (!anchorCache.has(path)) anchorCache.set(path, anchors(readFileSync(path, "utf8")));
    return anchorCache.get(path);
  };
  for (const file of files) {
    const from = isAbsolute(file) ? file : join(root, file);
    const name = relative(root, from);
    for (const { target, line } of links(readFileSync(from, "utf8"))) {
      const bad = (reason) => broken.push({ file: name, line, target, reason });
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue; // https:, mailto:, …
      if (target === "") { bad("empty link"); continue; }
      const hash = target.indexOf("#");
      let path = hash < 0 ? target : target.slice(0, hash);
      const anchor = hash < 0 ? null : target.slice(hash + 1);
      try { path = decodeURIComponent(path); } catch { bad("not a valid URL path"); continue; }
      const to = path === "" ? from : path.startsWith("/") ? join(root, path) : resolve(dirname(from), path);
      const inside = relative(root, to);
      if (inside.startsWith("..") || isAbsolute(inside)) { bad("outside the repository"); continue; }
      if (!existsSync(to)) { bad(`no such file: ${inside}`); continue; }
      if (anchor === null) continue;
      if (anchor === "") { bad("empty anchor"); continue; }
      if (statSync(to).isDirectory()) { bad(`an anchor on a folder: ${inside}`); continue; }
      if (extname(to).toLowerCase() === ".md") {
        if (!anchorsOf(to).has(anchor)) bad(`no heading or anchor "#${anchor}" in ${inside}`);
      } else if (!/^L\d+(-L\d+)?$/.test(anchor)) {
        bad(`"#${anchor}" in ${inside}: only line anchors (#L12, #L12-L20) work on a file that is not Markdown`);
      }
    }
  }
  return broken;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let root = repoRoot;
  const at = args.indexOf("--root");
  if (at >= 0) { root = resolve(args[at + 1] ?? "."); args.splice(at, 2); }
  const files = args.length ? args.map((f) => resolve(f)) : docFiles(root);
  const broken = checkLinks(files, root);
  for (const b of broken) console.log(`${b.file}:${b.line}: ${b.target}: ${b.reason}`);
  const count = files.reduce((n, f) => n + links(readFileSync(isAbsolute(f) ? f : join(root, f), "utf8")).length, 0);
  console.log(broken.length ? `${broken.length} broken of ${count} links in ${files.length} files` : `${count} links in ${files.length} files: none broken`);
  process.exit(broken.length ? 1 : 0);
}
