// A static server for the browser tests: 127.0.0.1, an ephemeral port, a fixed set of routes
// (no directory walking), and a bounded life: it closes itself after `lifetimeMs` if nobody
// closed it. Every request is logged as { path, status, type } for the tests to inspect.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";

const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html; charset=utf-8", ".json": "application/json", ".ts": "text/plain" };
const typeOf = (name) => TYPES[name.slice(name.lastIndexOf("."))] ?? "application/octet-stream";

/**
 * @param root   file URL of the repository root
 * @param pages  extra routes: path → { body, type?, headers? }
 * @param mounts url prefix → directory (relative to root) whose files (one level, plain names) are served
 * @param headers sent with every response (a page's own headers win), e.g. cross-origin isolation's
 */
export async function serve({ root, pages = {}, mounts = {}, headers: common = {}, lifetimeMs = 120_000 }) {
  const requests = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    let status = 200, type, body, headers = {};
    const page = pages[path];
    const mount = Object.keys(mounts).find((prefix) => path.startsWith(prefix) && /^[\w.-]+$/.test(path.slice(prefix.length)));
    try {
      if (page) ({ body, type = "text/html; charset=utf-8", headers = {} } = page);
      else if (mount) {
        const name = path.slice(mount.length);
        body = readFileSync(new URL(`${mounts[mount]}/${name}`, root));
        type = typeOf(name);
      } else throw new Error("no route");
    } catch {
      status = 404; type = "text/plain"; body = `not found: ${path}`;
    }
    requests.push({ path, status, type });
    res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store", ...common, ...headers });
    res.end(body);
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const close = () => new Promise((resolve) => {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close(() => resolve());
  });
  const timer = setTimeout(close, lifetimeMs);
  timer.unref();
  return { base: `http://127.0.0.1:${server.address().port}`, requests, close };
}
