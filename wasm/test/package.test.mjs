// The npm package as a user gets it: `npm pack` of wasm/pkg, installed into a fresh project, then
// imported from ESM, required from CommonJS, resolved with the `browser` condition (as bundlers
// do), and type-checked by TypeScript against index.d.ts.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { example, pkg, repo, run, scratch } from "./support.mjs";

const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
const declared = [...readFileSync(join(pkg, "index.d.ts"), "utf8").matchAll(/^export function (\w+)/gm)]
  .map((m) => m[1])
  .sort();

test("both entry points export exactly the functions index.d.ts declares", async () => {
  assert.deepEqual(declared, ["examples", "init", "process", "render", "renderFiles"]);
  assert.deepEqual(Object.keys(await import("../pkg/node.js")).sort(), declared);
  assert.deepEqual(Object.keys(await import("../pkg/browser.js")).sort(), declared);
});

test("the packed package installs and works from ESM, CommonJS, the browser condition and TypeScript", () => {
  const dir = scratch("package");
  const packed = run("npm", ["pack", pkg, "--pack-destination", dir, "--json"], { cwd: dir });
  assert.equal(packed.status, 0, packed.stderr);
  const [{ filename, files }] = JSON.parse(packed.stdout);
  assert.deepEqual(files.map((f) => f.path).sort(), [...manifest.files, "package.json"].sort());

  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  const install = run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(dir, filename)], { cwd: app });
  assert.equal(install.status, 0, install.stderr);

  const minimal = JSON.stringify(example("minimal"));
  const esm = run("node", ["--input-type=module", "-e",
    `import { render } from "monitoring-stack"; process.stdout.write(render(${minimal}));`], { cwd: app });
  assert.equal(esm.status, 0, esm.stderr);
  assert.match(esm.stdout, /kind: HelmRelease/);

  const cjs = run("node", ["--input-type=commonjs", "-e",
    `const { render } = require("monitoring-stack"); process.stdout.write(render(${minimal}));`], { cwd: app });
  assert.equal(cjs.status, 0, cjs.stderr);
  assert.equal(cjs.stdout, esm.stdout);

  const wasm = JSON.stringify(join(app, "node_modules", "monitoring-stack", "monitoring_stack_bg.wasm"));
  const browser = run("node", ["--conditions=browser", "--input-type=module", "-e",
    `import { readFileSync } from "node:fs";
     import { init, render } from "monitoring-stack";
     await init(readFileSync(${wasm}));
     process.stdout.write(render(${minimal}));`], { cwd: app });
  assert.equal(browser.status, 0, browser.stderr);
  assert.equal(browser.stdout, esm.stdout);

  writeFileSync(join(app, "check.ts"), `
import { examples, init, process, render, renderFiles } from "monitoring-stack";
import type { FnResult, MonitoringStackError } from "monitoring-stack";

await init();
const manifests: string = render(examples().seed);
const files: Record<string, string> = renderFiles(examples().minimal);
const output: string = process(manifests);
try {
  render("spec: {}");
} catch (e) {
  const error = e as MonitoringStackError;
  const paths: (string | undefined)[] = error.results.map((r: FnResult) => r.field?.path);
  const severity: "error" | "warning" | "info" = error.results[0].severity;
  console.log(paths, severity, error.resourceList?.length, files, output);
}
// @ts-expect-error: the input is YAML text
render(42);
// @ts-expect-error: examples are only seed and minimal
examples().flat;
`);
  const tsc = join(repo, "wasm", "node_modules", "typescript", "bin", "tsc");
  for (const resolution of [["bundler", "esnext"], ["node16", "node16"]]) {
    const result = run("node", [tsc, "--noEmit", "--strict", "--target", "es2022", "--module", resolution[1],
      "--moduleResolution", resolution[0], "--lib", "es2022,dom", "check.ts"], { cwd: app });
    assert.equal(result.status, 0, `moduleResolution ${resolution[0]}:\n${result.stdout}${result.stderr}`);
  }
});
