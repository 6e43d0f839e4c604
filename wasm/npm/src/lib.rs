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
    js_sys::Reflect::set(&error, &"results".into(), &to_js(results)?)?;
    Ok(error)
}

/// The plain JS value of a result value, built directly: what `JSON.parse` of its JSON text
/// gives (the results hold only mappings with string keys, strings and integers), without
/// going through serde_json's writer (about 2 KB of the module).
fn to_js(value: &Value) -> Result<JsValue, JsValue> {
    Ok(match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(if let Some(u) = n.as_u64() {
            u as f64
        } else if let Some(i) = n.as_i64() {
            i as f64
        } else {
            n.as_f64().unwrap_or(f64::NAN)
        }),
        Value::String(s) => JsValue::from_str(s),
        Value::Sequence(items) => {
            let array = js_sys::Array::new();
            for item in items {
                array.push(&to_js(item)?);
            }
            array.into()
        }
        Value::Mapping(map) => {
            let object = js_sys::Object::new();
            for (key, value) in map {
                let Value::String(key) = key else {
                    return Err(JsValue::from_str("key must be a string"));
                };
                js_sys::Reflect::set(&object, &key.into(), &to_js(value)?)?;
            }
            object.into()
        }
        // Never in results (FnResult::to_value writes no tags): the value without its tag.
        Value::Tagged(tagged) => to_js(&tagged.value)?,
    })
}

/// talc instead of the standard library's dlmalloc: about 5 KB smaller (wasm/README.md, "Size"),
/// growing the memory as dlmalloc does. The kpt module uses talc too, over a fixed arena.
#[cfg(target_family = "wasm")]
#[global_allocator]
// SAFETY: TalckWasm needs a single-threaded module: wasm-bindgen builds without threads here.
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };
