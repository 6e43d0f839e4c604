// The playground in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// served on 127.0.0.1 by a tiny static server, it loads the npm package's module, renders the
// seed, shows an error with its field marked in the editor, and recovers. Screenshots go to
// target/wasm/playground-*.png.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import * as ms from "../pkg/node.js";
import { serve } from "../scripts/serve.mjs";
import { example, repo, target } from "./support.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let server;
let context;
let page;
let userDataDir;
const problems = [];
const foreign = [];

before(async () => {
  server = await serve(join(repo, "wasm"));
  userDataDir = mkdtempSync(join(target, "wasm", "chromium-profile-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => message.type() === "error" && problems.push(`console: ${message.text()}`));
  page.on("request", (request) => {
    if (!request.url().startsWith(server.url) && !request.url().startsWith("data:")) foreign.push(request.url());
  });
});

after(async () => {
  await context?.close();
  await server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

const lineOf = (text, needle) => text.split("\n").findIndex((line) => line.includes(needle)) + 1;

test("the playground renders the seed, grouped by component folder", async () => {
  await page.goto(`${server.url}/playground/`);
  await page.waitForSelector(".status.ok", { timeout: 30_000 });
  assert.equal(await page.inputValue("#editor"), example("seed"));

  const files = ms.renderFiles(example("seed"));
  const shown = await page.$$eval("details.file", (nodes) => nodes.map((n) => n.dataset.path));
  assert.deepEqual([...shown].sort(), Object.keys(files).sort());
  const groups = await page.$$eval("details.group .folder", (nodes) => nodes.map((n) => n.textContent));
  assert.equal(groups[0], "./ (control plane)");
  for (const folder of ["grafana/", "loki/", "mimir/", "alloy/", "grafana-operator/"]) {
    assert.ok(groups.includes(folder), `${folder} in ${groups}`);
  }
  assert.match(await page.textContent("#status"), /^✓ \d+ objects/);
  await page.screenshot({ path: join(target, "wasm", "playground-seed.png") });
  // The loki folder holds its release subfolder; a file opens to its exact content.
  const path = "loki/release/helmrelease.yaml";
  assert.equal(await page.getAttribute(`details.file[data-path="${path}"]`, "data-path"), path);
  assert.ok((await page.$$(`details.group[data-group="loki"] details.file[data-path="${path}"]`)).length === 1);
  await page.click(`details.file[data-path="${path}"] > summary`);
  assert.equal(await page.textContent(`details.file[data-path="${path}"] pre`), files[path]);
});

test("an error shows its message and marks the offending line in the editor", async () => {
  const broken = example("seed").replace("  loki:\n    retention: 30d", "  loki:\n    retntion: 30d");
  await page.fill("#editor", broken);
  await page.waitForSelector(".status.error");
  const message = await page.textContent("#errors");
  assert.match(message, /1 error: nothing was generated/);
  assert.match(message, /spec\.loki\.retntion/);
  assert.match(message, /unknown field `retntion`; did you mean `retention`\?/);
  assert.equal(await page.isVisible("#output"), false);

  const line = lineOf(broken, "retntion");
  assert.deepEqual(await page.$$eval(".mark", (nodes) => nodes.map((n) => Number(n.dataset.line))), [line]);
  assert.equal(await page.textContent(".gutter .err"), String(line));
  // The mark sits on that line of the textarea (10 px padding, 20 px lines, as scrolled).
  const [mark, editor] = await Promise.all([page.$(".mark"), page.$("#editor")]);
  const [markBox, editorBox] = [await mark.boundingBox(), await editor.boundingBox()];
  const scrolled = await page.$eval("#editor", (e) => e.scrollTop);
  assert.equal(Math.round(markBox.y - editorBox.y), 10 + (line - 1) * 20 - scrolled);
  // Clicking the error selects the line.
  await page.click(`#errors button[data-line="${line}"]`);
  const selected = await page.$eval("#editor", (e) => e.value.slice(e.selectionStart, e.selectionEnd));
  assert.equal(selected, "    retntion: 30d");
  await page.screenshot({ path: join(target, "wasm", "playground-error.png") });
});

test("a missing required field marks its nearest ancestor", async () => {
  const broken = example("minimal").replace("  grafana:\n    hostname: grafana.example.com", "  grafana: {}");
  assert.notEqual(broken, example("minimal"));
  await page.fill("#editor", broken);
  await page.waitForFunction(() => !document.querySelector("#errors").textContent.includes("retntion"));
  const text = await page.textContent("#errors");
  assert.match(text, /spec\.grafana\.hostname/);
  assert.match(text, /line \d+ \(nearest\)/);
  const marked = await page.$$eval(".mark", (nodes) => nodes.map((n) => Number(n.dataset.line)));
  assert.deepEqual(marked, [lineOf(broken, "grafana:")]);
});

test("fixing the text brings the manifests back; the minimal example works too", async () => {
  await page.selectOption("#example", "minimal");
  await page.waitForSelector(".status.ok");
  assert.equal(await page.inputValue("#editor"), example("minimal"));
  assert.equal(await page.$$eval(".mark", (nodes) => nodes.length), 0);
  const shown = await page.$$eval("details.file", (nodes) => nodes.length);
  assert.equal(shown, Object.keys(ms.renderFiles(example("minimal"))).length);
});

test("nothing failed in the page and nothing left 127.0.0.1", () => {
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
});
