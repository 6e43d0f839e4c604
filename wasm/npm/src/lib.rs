//! The wasm-bindgen module of the npm package `@monitoring-stack/wasm` (wasm/npm/README.md).
//!
//! The package's entry points (`wasm/npm/js/`) re-export these functions; their public types are
//! `wasm/npm/index.d.ts`. Every function takes and returns strings; a failure throws a JS `Error`
//! named `MonitoringStackError` whose `results` are the KRM results (`message`, `severity`,
//! `resourceRef`, `field.path`, `file`) as plain objects.

use monitoring_stack::krm::results::{FnResult, Severity};
use serde_yaml_ng::Value;
use wasm_bindgen::prelude::*;

/// The KRM function: a ResourceList (YAML, UTF-8 bytes) in, the output ResourceList out. Throws
/// a `MonitoringStackError` when the output has error results; its `resourceList` property is
/// then the output ResourceList (input items unchanged, with the results).
///
/// Bytes, not a string: wasm-bindgen copies a `Uint8Array` into memory in one call, while a
/// string goes through a JavaScript loop over its characters (77 ms of a 10 MB run). The
/// package's `process` encodes a string with the platform's `TextEncoder` first.
#[wasm_bindgen(js_name = processResourceList)]
pub fn process_resource_list(resource_list: &[u8]) -> Result<String, JsValue> {
    let output = monitoring_stack::process(resource_list);
    if !output.failed {
        return Ok(output.yaml);
    }
    let results = Value::Sequence(output.results.iter().map(FnResult::to_value).collect());
    let error = error(output.stderr.trim_end(), &results)?;
    js_sys::Reflect::set(&error, &"resourceList".into(), &output.yaml.into())?;
    Err(error.into())
}

/// The manifests a MonitoringStack YAML stream expands to, as one YAML stream (local-config
/// files such as `kustomization.yaml` left out, as `monitoring-stack render` prints them).
#[wasm_bindgen]
pub fn render(stack: &str) -> Result<String, JsValue> {
    let objects = monitoring_stack::render(stack.as_bytes()).map_err(render_error)?;
    Ok(monitoring_stack::output_dir::stream(&objects))
}

/// The same expansion as files: an object mapping each path in the rendered tree
/// (`loki/release/helmrelease.yaml`, ...) to its content, in path order.
#[wasm_bindgen(js_name = renderFiles)]
pub fn render_files(stack: &str) -> Result<js_sys::Object, JsValue> {
    let objects = monitoring_stack::render(stack.as_bytes()).map_err(render_error)?;
    let files = js_sys::Object::new();
    for (path, content) in monitoring_stack::output_dir::files(&objects) {
        js_sys::Reflect::set(&files, &path.into(), &content.into())?;
    }
    Ok(files)
}

/// The example stacks shipped with the function: `seed` (the seed cluster, every choice spelled
/// out) and `minimal` (only the required field).
#[wasm_bindgen]
pub fn examples() -> Result<js_sys::Object, JsValue> {
    let examples = js_sys::Object::new();
    for (name, text) in [
        ("seed", include_str!("../../../krm/examples/seed.yaml")),
        (
            "minimal",
            include_str!("../../../krm/examples/minimal.yaml"),
        ),
    ] {
        js_sys::Reflect::set(&examples, &name.into(), &text.into())?;
    }
    Ok(examples)
}

fn render_error(results: Vec<FnResult>) -> JsValue {
    let message = results
        .iter()
        .filter(|r| r.severity != Severity::Info)
        .map(FnResult::summary_line)
        .collect::<Vec<_>>()
        .join("\n");
    let values = Value::Sequence(results.iter().map(FnResult::to_value).collect());
    match error(&message, &values) {
        Ok(error) => error.into(),
        Err(error) => error,
    }
}

/// `Error(message)` named `MonitoringStackError`, with `results` as plain JS objects.
fn error(message: &str, results: &Value) -> Result<js_sys::Error, JsValue> {
    let error = js_sys::Error::new(message);
    error.set_name("MonitoringStackError");
    let json = serde_json::to_string(results).map_err(|e| JsValue::from_str(&e.to_string()))?;
    js_sys::Reflect::set(&error, &"results".into(), &js_sys::JSON::parse(&json)?)?;
    Ok(error)
}

/// talc instead of the standard library's dlmalloc: about 5 KB smaller (wasm/README.md, "Size"),
/// growing the memory as dlmalloc does. The kpt module uses talc too, over a fixed arena.
#[cfg(target_family = "wasm")]
#[global_allocator]
// SAFETY: TalckWasm needs a single-threaded module: wasm-bindgen builds without threads here.
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };
