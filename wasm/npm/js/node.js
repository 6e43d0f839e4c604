// Node entry point of the package: the module is compiled synchronously from the package folder
// on import, so every function is ready at once (`init()` exists for code shared with browsers).
import { readFileSync } from "node:fs";
import {
  initSync,
  processResourceList,
  render,
  renderFiles,
  examples,
} from "./monitoring_stack.js";

initSync({
  module: readFileSync(new URL("./monitoring_stack_bg.wasm", import.meta.url)),
});

/** Resolves at once: the module is loaded on import under Node. */
export async function init() {}

const encoder = new TextEncoder();

/** The KRM function; takes the ResourceList as a string or as UTF-8 bytes (a Buffer). */
export function process(resourceList) {
  return processResourceList(
    typeof resourceList === "string" ? encoder.encode(resourceList) : resourceList,
  );
}

export { render, renderFiles, examples };
