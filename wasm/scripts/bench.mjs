// Wall times of the WebAssembly builds against the native binary, on the seed example and on a
// 10 MB ResourceList (the seed stack plus ConfigMaps). Needs `wasm/build.sh`, `cargo build
// --release` and kpt (for its node glue):   node wasm/scripts/bench.mjs [runs]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { extractGlue, goClass } from "../test/kpt-glue.mjs";
import { bigResourceList, example, kptModule, pkg, resourceList, run, target } from "../test/support.mjs";

const runs = Number(process.argv[2] ?? 5);
const nativeBinary = process.env.MONITORING_STACK_BIN ?? join(target, "release", "monitoring-stack");
const glue = extractGlue();
const Go = goClass();
const bytes = readFileSync(kptModule);
const npm = await import(join(pkg, "node.js"));

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
function time(f) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    f();
    samples.push(performance.now() - started);
  }
  return `${median(samples).toFixed(0)} ms`.padStart(9);
}
async function kptInProcess() {
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(bytes, go.importObject);
  go.run(instance);
  return (input) => globalThis.processResourceList(input);
}

const inputs = [
  ["seed", resourceList(example("seed"))],
  ["10 MB", bigResourceList(10 << 20)],
];
console.log(`median of ${runs} runs; native: ${nativeBinary}`);
console.log("input   native process  kpt module (node glue)  kpt module in-process  npm process() in-process");
for (const [label, input] of inputs) {
  const call = await kptInProcess();
  const check = (result) => {
    if (result.status !== 0) throw new Error(result.stderr);
  };
  console.log(
    label.padEnd(7),
    time(() => check(run(nativeBinary, [], { input }))).padStart(14),
    time(() => check(run("node", [glue], { input, env: { KPT_FN_WASM_PATH: kptModule } }))).padStart(23),
    time(() => call(input)).padStart(22),
    time(() => npm.process(input)).padStart(25),
  );
}
