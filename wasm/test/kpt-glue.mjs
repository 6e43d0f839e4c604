// kpt's node glue for WASM functions, taken from the installed kpt itself: kpt writes it to a
// temporary file and runs `node <file>`, so a fake `node` first on PATH copies it out.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { kptModule, run, target } from "./support.mjs";

const dir = join(target, "wasm", "kpt-glue");

/** The path of a copy of the glue kpt runs (extracted anew on each call). */
export function extractGlue() {
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "package"), { recursive: true });
  const glue = join(dir, "kpt-fn-wasm-glue-runner.js");
  const fakeNode = join(dir, "bin", "node");
  writeFileSync(fakeNode, `#!/bin/sh\ncp "$1" '${glue}'\ncat >/dev/null\n`);
  chmodSync(fakeNode, 0o755);
  writeFileSync(join(dir, "package", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\n");
  const result = run("kpt", ["fn", "eval", join(dir, "package"), "--allow-alpha-wasm", "--exec", kptModule], {
    env: { PATH: `${join(dir, "bin")}:${process.env.PATH}`, KPT_FN_WASM_RUNTIME: "nodejs" },
  });
  const text = readFileSync(glue, "utf8");
  if (!text.includes("processResourceList")) {
    throw new Error(`kpt did not run its node glue:\n${result.stdout}${result.stderr}`);
  }
  return glue;
}

/** The glue's `Go` class (its part before the lines that read stdin and run the module). */
export function goClass() {
  const glue = readFileSync(extractGlue(), "utf8");
  const marker = "// The code below run the wasm function.";
  const at = glue.indexOf(marker);
  if (at < 0) throw new Error("kpt's glue changed: marker line not found");
  const file = join(dir, "go-class.cjs");
  writeFileSync(file, glue.slice(0, at) + "\nmodule.exports = globalThis.Go;\n");
  return createRequire(import.meta.url)(file);
}
