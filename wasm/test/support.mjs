// Shared helpers of the node tests of the WebAssembly builds (run by `cargo test` through
// tests/wasm_kpt.rs and tests/wasm_npm.rs, or by hand: `cd wasm && npm test` after
// `wasm/build.sh` and `cargo build`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const repo = fileURLToPath(new URL("../../", import.meta.url));
// Cargo's target directory: the tests pass theirs; by hand, CARGO_TARGET_DIR or ./target.
export const target = process.env.MONITORING_STACK_TARGET_DIR ?? process.env.CARGO_TARGET_DIR ?? join(repo, "target");
export const pkg = join(repo, "wasm", "pkg");

/** The native binary the WebAssembly builds must agree with. */
export const nativeBinary =
  process.env.MONITORING_STACK_BIN ?? join(target, "debug", "monitoring-stack");

/** The kpt module (`wasm/build.sh kpt`). */
export const kptModule = process.env.MONITORING_STACK_KPT_WASM ?? join(target, "wasm", "monitoring-stack.wasm");

export const example = (name) => readFileSync(join(repo, "krm", "examples", `${name}.yaml`), "utf8");

/** A fresh directory under target/wasm/tests. */
export function scratch(label) {
  const base = join(target, "wasm", "tests");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${label}-`));
}

/** Runs a command; returns { status, stdout, stderr, ms }. */
export function run(command, args, { input, env, cwd } = {}) {
  const started = performance.now();
  const result = spawnSync(command, args, {
    input,
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 512 << 20,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: performance.now() - started };
}

/** The native binary on `input` (a ResourceList on stdin, or args such as `render FILE`). */
export function native(args, input) {
  if (!existsSync(nativeBinary)) {
    throw new Error(`${nativeBinary} is missing: run cargo build (or set MONITORING_STACK_BIN)`);
  }
  return run(nativeBinary, args, { input });
}

/** Every file below dir: relative path → content. */
export function readTree(dir) {
  const files = {};
  const walk = (folder) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, "utf8");
    }
  };
  walk(dir);
  return files;
}

const indent = (text, prefix) =>
  text
    .split("\n")
    .map((line) => (line === "" ? line : prefix + line))
    .join("\n");

/** A ResourceList with `stack` (YAML text) as functionConfig and the given item documents. */
export function resourceList(stack, items = []) {
  let text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:";
  text += items.length === 0 ? " []\n" : "\n" + items.map((item) => indent(item, "  ").replace(/^ /, "-")).join("");
  text += "functionConfig:\n" + indent(stack, "  ");
  return text.endsWith("\n") ? text : text + "\n";
}

/** A ResourceList of about `bytes` bytes: the seed stack plus ConfigMaps of 1 KiB of data each. */
export function bigResourceList(bytes) {
  const items = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const item =
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: filler-${i}\n  namespace: apps\n` +
      `  labels:\n    app: filler\ndata:\n` +
      Array.from({ length: 8 }, (_, k) => `  key${k}: "${String(i * 8 + k).padStart(6, "0")}-${"x".repeat(100)}"\n`).join("");
    items.push(item);
    size += item.length + 8 * 2;
  }
  return resourceList(example("seed"), items);
}

/** The seed stack with `from` replaced by `to` (exactly once). */
export function seedWith(from, to) {
  const seed = example("seed");
  if (seed.split(from).length !== 2) throw new Error(`expected one ${JSON.stringify(from)} in the seed`);
  return seed.replace(from, to);
}
