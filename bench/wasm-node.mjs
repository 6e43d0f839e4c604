// The npm package's `process` as a whole process: ResourceList on stdin, the output on stdout
// (bench/run.sh times it against the native binary). Usage: node bench/wasm-node.mjs PKG_DIR
// where PKG_DIR holds the built package (wasm/build.sh npm: wasm/pkg). With `--load-only` it
// reads stdin and loads the module but processes nothing: node's own floor. With `--time N` it
// prints the first call's time and the median of N more, in ms (in-process).
import { readFileSync, writeSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [dir, mode, count] = process.argv.slice(2);
const pkg = await import(pathToFileURL(resolve(dir, "node.js")).href);
// Bytes: the package takes UTF-8 as it is, without decoding and re-encoding a string.
const input = readFileSync(0);
if (mode === "--time") {
  // In-process: the first call (V8 still compiling the module's hot code) and the median of
  // the next COUNT calls, in ms, without node's start or the output's write.
  const times = [];
  for (let i = 0; i <= Number(count ?? 5); i++) {
    const started = performance.now();
    pkg.process(input);
    times.push(performance.now() - started);
  }
  const [first, ...warm] = times;
  warm.sort((a, b) => a - b);
  console.log(`${first.toFixed(1)} ${warm[Math.floor(warm.length / 2)].toFixed(1)}`);
} else if (mode !== "--load-only") {
  let output;
  try {
    output = pkg.process(input);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  // writeSync in a loop: stdout may be a pipe that takes the output in parts.
  const bytes = Buffer.from(output);
  for (let at = 0; at < bytes.length; ) {
    at += writeSync(1, bytes, at);
  }
}
