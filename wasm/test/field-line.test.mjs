// The playground's field-path → editor-line mapping.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldLine, parsePath } from "../playground/field-line.js";
import { example } from "./support.mjs";

const lineOf = (text, needle) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

test("paths split into keys and indexes", () => {
  assert.deepEqual(parsePath("spec.loki.retention"), ["spec", "loki", "retention"]);
  assert.deepEqual(parsePath("spec.alloy.metrics.extraScrapes[0].name"), ["spec", "alloy", "metrics", "extraScrapes", 0, "name"]);
  assert.deepEqual(parsePath("spec.a[1][2]"), ["spec", "a", 1, 2]);
});

test("every key of the seed maps to its own line", () => {
  const seed = example("seed");
  const mimir = lineOf(seed, "  mimir:");
  assert.deepEqual(fieldLine(seed, "spec.loki.retention"), { line: lineOf(seed, "retention: 30d"), exact: true, found: "spec.loki.retention" });
  const mimirRetention = seed.split("\n").findIndex((l, i) => i >= mimir && l.includes("retention:")) + 1;
  assert.equal(fieldLine(seed, "spec.mimir.retention").line, mimirRetention);
  assert.equal(fieldLine(seed, "spec.grafana.oidc.clientSecret.key").line, lineOf(seed, "key: client-secret"));
  assert.equal(fieldLine(seed, "metadata.name").line, lineOf(seed, "name: main"));
  assert.equal(fieldLine(seed, "spec.flux.sourceRef.namespace").line, lineOf(seed, "namespace: flux-system"));
});

test("a field the text lacks resolves to its nearest ancestor", () => {
  const seed = example("seed");
  assert.deepEqual(fieldLine(seed, "spec.loki.replicas"), { line: lineOf(seed, "  loki:"), exact: false, found: "spec.loki" });
  assert.equal(fieldLine("apiVersion: v1\n", "spec.loki"), null);
});

test("sequence items, inline items and open keys", () => {
  const text = [
    "spec:",
    "  alloy:",
    "    metrics:",
    "      extraScrapes:",
    "      - name: a",
    "        targets: [x]",
    "      -   name: b",
    "          targets:",
    "            - host: h",
    "              port: 1",
  ].join("\n");
  assert.equal(fieldLine(text, "spec.alloy.metrics.extraScrapes[0].targets").line, 6);
  assert.equal(fieldLine(text, "spec.alloy.metrics.extraScrapes[1].name").line, 7);
  assert.equal(fieldLine(text, "spec.alloy.metrics.extraScrapes[1].targets[0].port").line, 10);
  assert.deepEqual(fieldLine(text, "spec.alloy.metrics.extraScrapes[2]"), { line: 4, exact: false, found: "spec.alloy.metrics.extraScrapes" });
  // A path into a flow collection stops at its key.
  assert.equal(fieldLine(text, "spec.alloy.metrics.extraScrapes[0].targets[0]").line, 6);
});

test("block scalars, comments, quoted and dotted keys", () => {
  const text = [
    "# a stack",
    "spec:",
    "  grafana:",
    "    script: |",
    "      loki:",
    "        retention: 1d",
    "    'quoted key': 1 # comment",
    "    config:",
    "      auth.generic_oauth:",
    "        scopes: openid",
    "  loki:",
    "    retention: 30d",
  ].join("\n");
  assert.equal(fieldLine(text, "spec.loki.retention").line, 12);
  assert.equal(fieldLine(text, "spec.grafana.quoted key").line, 7);
  assert.equal(fieldLine(text, "spec.grafana.config.auth.generic_oauth.scopes").line, 10);
});

test("with several documents, the one the result is about", () => {
  const text = "kind: MonitoringStack\nmetadata:\n  name: a\nspec:\n  x: 1\n---\nkind: MonitoringStack\nmetadata:\n  name: b\nspec:\n  x: 2\n";
  assert.equal(fieldLine(text, "spec.x", { kind: "MonitoringStack", name: "b" }).line, 11);
  assert.equal(fieldLine(text, "spec.x", { kind: "MonitoringStack", name: "a" }).line, 5);
  assert.equal(fieldLine(text, "spec.x").line, 5);
});
