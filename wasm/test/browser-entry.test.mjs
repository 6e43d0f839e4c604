// The package's browser/bundler entry (browser.js), loaded under Node from bytes: it must refuse
// calls before init() and then behave exactly like the Node entry.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as browser from "../pkg/browser.js";
import { example, pkg } from "./support.mjs";

test("calls before init() throw a clear error", () => {
  assert.throws(() => browser.render(example("minimal")), /render\(\) was called before init\(\) resolved/);
});

test("after init(bytes) the browser entry renders like the Node entry", async () => {
  await browser.init(readFileSync(join(pkg, "monitoring_stack_bg.wasm")));
  await browser.init(); // idempotent
  const node = await import("../pkg/node.js");
  assert.equal(browser.render(example("seed")), node.render(example("seed")));
  assert.deepEqual(browser.examples(), node.examples());
  assert.throws(() => browser.render("kind: MonitoringStack\napiVersion: monitoring-stack.dev/v1alpha1\nmetadata: {name: x}\nspec: {grafana: {}}\n"), {
    name: "MonitoringStackError",
  });
});
