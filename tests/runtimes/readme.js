// The README's copy-paste snippets, so that the runtime tests run exactly what users copy:
// readmeSnippet("Node") is the first ```js (or ```html) block under "## Node".
import { readFileSync } from "node:fs";

export function readmeSnippet(heading, lang = "js") {
  const text = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const at = text.indexOf(`\n## ${heading}\n`);
  if (at < 0) throw new Error(`README has no "## ${heading}" section`);
  const section = text.slice(at + 1).split(/\n## /)[0];
  const m = section.match(new RegExp("```" + lang + "\\n([\\s\\S]*?)\\n```"));
  if (!m) throw new Error(`README "## ${heading}" has no \`\`\`${lang} block`);
  return m[1] + "\n";
}
