// The npm package (wasm/pkg, built by `wasm/build.sh npm`) under Node: the same output as the
// native binary, and errors as MonitoringStackError with the KRM results.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as ms from "../pkg/node.js";
import { initSync } from "../pkg/monitoring_stack.js";
import { example, native, pkg, readTree, resourceList, scratch, seedWith } from "./support.mjs";

for (const name of ["seed", "minimal"]) {
  test(`render(${name}) is what \`monitoring-stack render\` prints`, () => {
    const dir = scratch(`render-${name}`);
    const file = join(dir, "stack.yaml");
    writeFileSync(file, example(name));
    const expected = native(["render", file]);
    assert.equal(expected.status, 0, expected.stderr);
    assert.equal(ms.render(example(name)), expected.stdout);
  });
}

test("renderFiles(seed) is the tree `monitoring-stack render --output-dir` writes", () => {
  const dir = scratch("render-files");
  const file = join(dir, "stack.yaml");
  writeFileSync(file, example("seed"));
  const result = native(["render", file, "--output-dir", join(dir, "out")]);
  assert.equal(result.status, 0, result.stderr);
  const files = ms.renderFiles(example("seed"));
  assert.deepEqual(files, readTree(join(dir, "out")));
  assert.deepEqual(Object.keys(files), Object.keys(files).sort(), "path order");
  assert.ok(files["loki/release/helmrelease.yaml"].includes("kind: HelmRelease"));
});

test("process(ResourceList) is the native KRM function's stdout", () => {
  const unrelated = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: apps\ndata:\n  answer: 'yes'\n";
  const input = resourceList(example("seed"), [unrelated]);
  const expected = native([], input);
  assert.equal(expected.status, 0, expected.stderr);
  const output = ms.process(input);
  assert.equal(output, expected.stdout);
  assert.ok(output.includes("name: app"), "unrelated items pass through");
  // UTF-8 bytes (a Buffer or Uint8Array, as read from a file or stdin) give the same output.
  assert.equal(ms.process(Buffer.from(input)), expected.stdout);
  assert.equal(ms.process(new TextEncoder().encode(input)), expected.stdout);
});

test("render() of an invalid stack throws a MonitoringStackError naming the field", () => {
  const stack = seedWith("  loki:\n    retention: 30d", "  loki:\n    retntion: 30d");
  assert.throws(
    () => ms.render(stack),
    (error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, "MonitoringStackError");
      assert.match(error.message, /^error: spec\.loki\.retntion: unknown field `retntion`; did you mean `retention`\?/);
      assert.equal(error.results.length, 1);
      const [result] = error.results;
      assert.equal(result.severity, "error");
      // Plain objects, keys in the KRM results' order (as JSON.parse of their JSON gave them).
      assert.equal(Object.getPrototypeOf(result), Object.prototype);
      assert.ok(Array.isArray(error.results));
      assert.deepEqual(Object.keys(result), ["message", "severity", "resourceRef", "field"]);
      assert.deepEqual(result.field, { path: "spec.loki.retntion" });
      assert.deepEqual(result.resourceRef, {
        apiVersion: "monitoring-stack.dev/v1alpha1",
        kind: "MonitoringStack",
        name: "main",
      });
      return true;
    },
  );
  // The same input also throws from renderFiles.
  assert.throws(() => ms.renderFiles(stack), { name: "MonitoringStackError" });
});

test("process() of an invalid stack throws with the native output ResourceList attached", () => {
  const input = resourceList(seedWith("  grafana:\n    hostname: grafana.astaup.de", "  grafana:\n    hostname: Not_A_Host"));
  const expected = native([], input);
  assert.equal(expected.status, 1);
  assert.throws(
    () => ms.process(input),
    (error) => {
      assert.equal(error.name, "MonitoringStackError");
      assert.equal(error.resourceList, expected.stdout);
      assert.equal(error.message, expected.stderr.trimEnd());
      assert.ok(error.results.some((r) => r.field?.path === "spec.grafana.hostname"), JSON.stringify(error.results));
      return true;
    },
  );
});

test("input that is no YAML at all is an error, not a crash", () => {
  assert.throws(() => ms.render("kind: [unclosed"), { name: "MonitoringStackError", message: /not valid YAML/ });
  assert.throws(() => ms.process(""), { name: "MonitoringStackError" });
  assert.throws(() => ms.render("apiVersion: v1\nkind: ConfigMap\n"), { name: "MonitoringStackError" });
});

test("examples() are the repository's example files", async () => {
  assert.deepEqual(ms.examples(), { seed: example("seed"), minimal: example("minimal") });
  await ms.init(); // a no-op under Node, for code shared with browsers
});

test("many calls do not leak: the module's memory stays bounded", () => {
  // initSync returns the already initialised instance's exports (memory among them).
  const exports = initSync({ module: readFileSync(join(pkg, "monitoring_stack_bg.wasm")) });
  const memory = () => exports.memory.buffer.byteLength;
  const stack = example("seed");
  ms.render(stack);
  const before = memory();
  for (let i = 0; i < 50; i++) ms.render(stack);
  assert.ok(memory() <= before + (1 << 20), `memory grew from ${before} to ${memory()}`);
});
