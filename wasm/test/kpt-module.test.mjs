// The kpt WASM module (target/wasm/monitoring-stack.wasm, `wasm/build.sh kpt`) under kpt's own
// node glue: as a child process exactly as kpt runs it (exit codes, stdout, stderr), and in this
// process (memory: the arena never grows; a host-grown memory is picked up).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, test } from "node:test";
import { extractGlue, goClass } from "./kpt-glue.mjs";
import { bigResourceList, example, kptModule, native, resourceList, run, seedWith } from "./support.mjs";

let glue;
let Go;
const bytes = readFileSync(kptModule);

before(() => {
  glue = extractGlue();
  Go = goClass();
});

/** Runs the module the way kpt does: `node <glue>` with the ResourceList on stdin. */
const asKpt = (input) => run("node", [glue], { input, env: { KPT_FN_WASM_PATH: kptModule } });

async function instantiate() {
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(bytes, go.importObject);
  go.run(instance); // resolves only on exit, which the module never does
  return { go, instance, call: (input) => globalThis.processResourceList(input) };
}

test("under kpt's glue the seed ResourceList gives the native binary's output", () => {
  const input = resourceList(example("seed"));
  const expected = native([], input);
  assert.equal(expected.status, 0, expected.stderr);
  const result = asKpt(input);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, expected.stdout + "\n", "the glue prints with console.log");
  console.log(`seed: wasm ${result.ms.toFixed(0)} ms, native ${expected.ms.toFixed(0)} ms (process start included)`);
});

test("an invalid stack exits 1 with the ResourceList and its results on stdout", () => {
  const input = resourceList(seedWith("  loki:\n    retention: 30d", "  loki:\n    retntion: 30d"));
  const expected = native([], input);
  assert.equal(expected.status, 1);
  const result = asKpt(input);
  assert.equal(result.status, 1, result.stderr);
  assert.equal(result.stdout, expected.stdout);
  assert.equal(result.stderr, expected.stderr);
  assert.match(result.stdout, /path: spec\.loki\.retntion/);
});

test("an input above the 32 MiB limit is refused with one error result, not a crash", () => {
  const input = "# padding\n".repeat((33 << 20) / 10) + resourceList(example("minimal"));
  const result = asKpt(input);
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stdout, /kind: ResourceList/);
  assert.match(result.stdout, /accepts at most 33554432 bytes/);
  assert.match(result.stderr, /^monitoring-stack: error: the ResourceList is \d+ bytes/);
});

test("a 10 MB ResourceList passes inside the fixed arena: the memory never grows", async () => {
  const input = bigResourceList(10 << 20);
  const expected = native([], input);
  assert.equal(expected.status, 0, expected.stderr);
  const { instance, call } = await instantiate();
  const memory = instance.exports.mem;
  const size = memory.buffer.byteLength;
  const started = performance.now();
  const output = call(input);
  const ms = performance.now() - started;
  assert.equal(output, expected.stdout);
  assert.equal(memory.buffer.byteLength, size, "the memory grew");
  assert.equal(instance.exports.ms_grown_pages(), 0);
  const peak = instance.exports.ms_arena_peak_bytes();
  const ratio = peak / Buffer.byteLength(input);
  console.log(
    `10 MB: wasm ${ms.toFixed(0)} ms in process, native ${expected.ms.toFixed(0)} ms; ` +
      `arena peak ${(peak / 2 ** 20).toFixed(1)} MiB = ${ratio.toFixed(1)}x the input, memory ${size / 2 ** 20} MiB`,
  );
  // lib.rs sizes MAX_INPUT_BYTES (32 MiB) against the 256 MiB arena for a ratio below 6.
  assert.ok(ratio < 6, `peak ${ratio.toFixed(2)}x the input: revisit MAX_INPUT_BYTES`);
  // And a second call reuses the freed arena.
  call(input);
  assert.ok(instance.exports.ms_arena_peak_bytes() < peak * 1.2);
});

test("a 10 MB ResourceList under kpt's glue, as a process", () => {
  const input = bigResourceList(10 << 20);
  const expected = native([], input);
  const result = asKpt(input);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, expected.stdout + "\n");
  console.log(`10 MB: wasm ${result.ms.toFixed(0)} ms, native ${expected.ms.toFixed(0)} ms (process start included)`);
});

test("when the host grows the memory, the module refreshes the host's view before using it", async () => {
  const { go, instance, call } = await instantiate();
  const input = resourceList(example("minimal"));
  call(input);
  instance.exports.mem.grow(4);
  // The glue's DataView is now over the detached old buffer: any read through it would throw.
  assert.equal(go.mem.buffer.byteLength, 0);
  assert.equal(call(input), native([], input).stdout);
  assert.equal(go.mem.buffer, instance.exports.mem.buffer);
});

test("processResourceListErrors answers the error summary and does not exit", async () => {
  await instantiate();
  const bad = resourceList(seedWith("  loki:\n    retention: 30d", "  loki:\n    retntion: 30d"));
  assert.match(globalThis.processResourceListErrors(bad), /^monitoring-stack: error: spec\.loki\.retntion: unknown field/);
  assert.equal(globalThis.processResourceListErrors(resourceList(example("minimal"))), "");
});
