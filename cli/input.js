// The CLI's input files: read (a clear message for a missing or unreadable file) and parsed
// by kind, with the parsers of apps/formats.js.
import { readText } from "../apps/files.js";
import { parseTokens, parseTagged, parseLabelled, parseSeries } from "../apps/formats.js";

/** Read and parse a file of the given kind ("tokens", "chars", "tagged", "labelled", "series"). */
export function readData(path, kind, options = {}) {
  const text = readText(path, "data file");
  switch (kind) {
    case "tokens": return parseTokens(text, path);
    case "chars": return parseTokens(text, path, { chars: true });
    case "tagged": return parseTagged(text, path);
    case "labelled": return parseLabelled(text, path);
    case "series": return parseSeries(text, path, options);
    default: throw new Error(`unknown data kind ${kind}`);
  }
}
