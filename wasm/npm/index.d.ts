// Types of the package `monitoring-stack` (both entry points: Node and browsers/bundlers).

/** A KRM function result, as in a ResourceList's `results:`. */
export interface FnResult {
  message: string;
  severity: "error" | "warning" | "info";
  /** The object the result is about. */
  resourceRef?: {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
  };
  /** The offending field as a dotted path: `spec.loki.retention`, `spec.alloy.metrics.extraScrapes[0].name`. */
  field?: { path: string };
  /** The file the object came from, when the orchestrator annotated it. */
  file?: { path: string; index?: number };
}

/** What every function throws on invalid input. */
export interface MonitoringStackError extends Error {
  name: "MonitoringStackError";
  /** One line per error or warning (`error: spec.loki.retention: ...`). */
  message: string;
  /** Every result, errors first as the function reported them. */
  results: FnResult[];
  /** `process()` only: the output ResourceList (input items unchanged, with the results). */
  resourceList?: string;
}

/**
 * Loads the WebAssembly module. Browsers and bundlers: await it once before calling anything
 * else (it fetches `monitoring_stack_bg.wasm` beside the package's JS unless given the module's
 * URL, a Response, its bytes or a compiled WebAssembly.Module). Node: already loaded on import;
 * resolves at once.
 */
export function init(
  module?: string | URL | Request | Response | BufferSource | WebAssembly.Module,
): Promise<void>;

/**
 * The KRM function: a ResourceList (YAML) in, the output ResourceList out, exactly as the
 * `monitoring-stack` binary writes it. The MonitoringStack is the `functionConfig` or an item.
 * @throws {MonitoringStackError} when the output has error results.
 */
export function process(resourceListYaml: string | Uint8Array): string;

/**
 * The manifests a MonitoringStack (a YAML stream of one or more) expands to, as one YAML stream:
 * what `monitoring-stack render FILE` prints.
 * @throws {MonitoringStackError} on an invalid stack.
 */
export function render(monitoringStackYaml: string): string;

/**
 * The same expansion as the files of the rendered folder tree: path (`loki/release/helmrelease.yaml`,
 * `kustomizations.yaml`, ...) to content, in path order. What
 * `monitoring-stack render FILE --output-dir DIR` writes.
 * @throws {MonitoringStackError} on an invalid stack.
 */
export function renderFiles(monitoringStackYaml: string): Record<string, string>;

/** The example stacks: `seed` (every choice of the seed cluster spelled out) and `minimal`. */
export function examples(): { seed: string; minimal: string };
