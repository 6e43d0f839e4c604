// Browser and bundler entry point of the package: `await init()` once, then call the functions.
// init() fetches `monitoring_stack_bg.wasm` next to this file (bundlers that understand
// `new URL(..., import.meta.url)` — webpack 5, Vite, Parcel — copy it), or loads what it is given:
// a URL, a Response, bytes or a WebAssembly.Module.
import initWasm, * as wasm from "./monitoring_stack.js";

let loading;
let ready = false;

export function init(input) {
  loading ??= initWasm(input === undefined ? undefined : { module_or_path: input }).then(() => {
    ready = true;
  });
  return loading;
}

function loaded(name, f) {
  return function (...args) {
    if (!ready) {
      throw new Error(`monitoring-stack: ${name}() was called before init() resolved`);
    }
    return f(...args);
  };
}

const encoder = new TextEncoder();

/** The KRM function; takes the ResourceList as a string or as UTF-8 bytes. */
export const process = loaded("process", (resourceList) =>
  wasm.processResourceList(
    typeof resourceList === "string" ? encoder.encode(resourceList) : resourceList,
  ),
);
export const render = loaded("render", wasm.render);
export const renderFiles = loaded("renderFiles", wasm.renderFiles);
export const examples = loaded("examples", wasm.examples);
