// The npm package's `process` as a whole process: ResourceList on stdin, the output on stdout
// (bench/run.sh times it against the native binary). Usage: node bench/wasm-node.mjs PKG_DIR
// where PKG_DIR holds the built package (wasm/build.sh npm: wasm/pkg). With `--load-only` it
// reads stdin and loads the module but processes nothing: node's own floor.
import { readFileSync, writeSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [dir, mode] = process.argv.slice(2);
const pkg = await import(pathToFileURL(resolve(dir, "node.js")).href);
// Bytes: the package takes UTF-8 as it is, without decoding and re-encoding a string.
const input = readFileSync(0);
if (mode !== "--load-only") {
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
