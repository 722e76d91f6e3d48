/**
 * The browser demo (demo/, served by demo/serve.js on 127.0.0.1) in Chromium via
 * playwright-core: the page loads, a Web Worker fetches Brown corpus files from the server
 * and trains a small tagger for a few steps, the live loss plot (SVG) grows as batches come
 * in, typed text comes back tagged, and a screenshot is saved (out/demo.png).
 * The browser: $CHROMIUM_PATH, else /usr/bin/chromium. Missing under CI=true: a failure.
 * Missing elsewhere: the suite is skipped, loudly.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startDemoServer } from "../../demo/serve.js";
import { UNIVERSAL_TAGS } from "../../apps/brown.js";

const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ci = process.env.CI === "true";
const missing = !existsSync(executablePath);
const shot = fileURLToPath(new URL("../../out/demo.png", import.meta.url));

if (missing && !ci) {
  const line = "━".repeat(78);
  console.error(`\n${line}\n  SKIPPED: the demo page suite. No browser at ${executablePath}.\n` +
    `  Install it (apt-get install chromium) or set CHROMIUM_PATH. Under CI=true this is a failure.\n${line}\n`);
}

if (missing && !ci) test("demo page", { skip: `SKIPPED: no browser at ${executablePath} (CHROMIUM_PATH overrides)` }, () => {});
else describe("demo page", { timeout: 120_000 }, () => {
  let browser, page, server;
  const errors = [];

  before(async () => {
    assert.ok(!missing, `CI=true and no Chromium at ${executablePath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
    server = await startDemoServer({ port: 0 });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath, headless: true, timeout: 30_000,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    page = await (await browser.newContext({ viewport: { width: 800, height: 900 } })).newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test("trains a few steps in a Web Worker, the loss plot grows, typed text is tagged, screenshot saved", async () => {
    // 8 training files, 2 epochs, 32 hidden units: a few dozen batches (a second or two).
    await page.goto(`${server.url}?files=8&epochs=2&hidden=32`);
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("Ready"), null, { timeout: 20_000 });
    assert.equal(await page.getAttribute("#loss-line", "points"), "", "the plot starts empty");
    assert.equal(await page.isDisabled("#text"), true, "nothing to tag before training");

    await page.click("#train");
    // While training: the plot has some points, and later more.
    await page.waitForFunction(() => window.demoState.losses.length >= 3, null, { timeout: 30_000 });
    await page.waitForFunction(() => document.getElementById("loss-line").getAttribute("points").split(" ").length >= 3, null, { timeout: 5_000 });
    await page.waitForFunction(() => window.demoState.done, null, { timeout: 60_000 });
    const s = await page.evaluate(() => ({
      losses: window.demoState.losses, epochs: window.demoState.epochs, planned: window.demoState.planned,
      points: document.getElementById("loss-line").getAttribute("points").trim().split(" ").length,
      marks: document.querySelectorAll("#epochs-marks line").length,
      status: document.getElementById("status").textContent,
    }));
    assert.deepEqual(errors, []);
    assert.equal(s.epochs.length, 2, s.status);
    assert.equal(s.losses.length, s.planned, "one loss per batch of the 2 epochs");
    assert.equal(s.points, s.losses.length, "every batch is on the plot");
    assert.equal(s.marks, 2, "a mark per epoch");
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(s.losses.slice(-5)) < mean(s.losses.slice(0, 5)) * 0.7, `the loss fell: ${s.losses.slice(0, 3)} … ${s.losses.slice(-3)}`);
    assert.ok(s.epochs[1].valAccuracy > 0.6, `held-out accuracy ${s.epochs[1].valAccuracy}`);
    assert.match(s.status, /^Trained in \d+\.\d s \(\d+ batches\)\. Type below\.$/);

    await page.fill("#text", "The cat sat on the mat.");
    await page.waitForFunction(() => document.querySelectorAll("#tagged .tok").length === 7, null, { timeout: 10_000 });
    const tagged = await page.$$eval("#tagged .tok", (els) => els.map((e) => [e.querySelector(".w").textContent, e.querySelector(".t").textContent]));
    assert.deepEqual(tagged.map(([w]) => w), ["The", "cat", "sat", "on", "the", "mat", "."]);
    for (const [, t] of tagged) assert.ok(UNIVERSAL_TAGS.includes(t), t);
    assert.equal(tagged[0][1], "DET");
    assert.equal(tagged[6][1], ".");

    mkdirSync(fileURLToPath(new URL("../../out/", import.meta.url)), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000, "a screenshot with something in it");
    console.log(`screenshot: ${shot}`);
    const notFound = server.requests.filter((r) => r.status !== 200);
    assert.deepEqual(notFound, [], "every request the page made was served");
    assert.ok(server.requests.some((r) => r.path === "/demo/worker.js") && server.requests.filter((r) => r.path.startsWith("/corpus/c")).length === 11, "8 training + 3 held-out corpus files");
  });
});
