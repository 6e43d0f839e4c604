//! The module's exports `run` and `resume`, as kpt's node glue drives them:
//!
//! 1. The glue instantiates the module with Go's import object and calls `run(argc, argv)`. `run`
//!    defines the globals `processResourceList` and `processResourceListErrors` (function
//!    wrappers made by the host's `Go._makeFuncWrapper(id)`) and returns without exiting, so the
//!    host keeps its value table.
//! 2. The glue calls `processResourceList(stdin)`. The wrapper stores an event `{id, this, args}`
//!    in `Go._pendingEvent` and calls the export `resume`, which reads and clears the event,
//!    runs the function, and sets `event.result` to the output ResourceList.
//! 3. The glue prints the result when it contains `kind: ResourceList`, and always exits 0. So
//!    on error results the module itself writes the ResourceList (with its results) to stdout,
//!    the summary to stderr, and calls `process.exit(1)`: kpt then reports `[FAIL]`.
//!
//! No `unsafe` here: the ABI is in [`crate::go_js`].

use crate::go_js::JsValue;
use crate::{Reply, MAX_INPUT_BYTES};

/// Event ids of the two wrappers (any positive number; Go numbers its funcs from 1).
const PROCESS_RESOURCE_LIST: f64 = 1.0;
const PROCESS_RESOURCE_LIST_ERRORS: f64 = 2.0;

#[no_mangle]
pub extern "C" fn run(_argc: i32, _argv: i32) {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("internal error: {info}");
        fail(&crate::error_reply(&message));
    }));
    let go = JsValue::go();
    let global = JsValue::global();
    for (id, name) in [
        (PROCESS_RESOURCE_LIST, "processResourceList"),
        (PROCESS_RESOURCE_LIST_ERRORS, "processResourceListErrors"),
    ] {
        match go.call("_makeFuncWrapper", &[&JsValue::number(id)]) {
            Ok(wrapper) => global.set(name, &wrapper),
            Err(_) => panic!("the host has no Go._makeFuncWrapper: not Go's js/wasm glue"),
        }
    }
}

#[no_mangle]
pub extern "C" fn resume() {
    let go = JsValue::go();
    let event = go.get("_pendingEvent");
    if !event.is_object() {
        return;
    }
    go.set("_pendingEvent", &JsValue::null());
    let input = event.get("args").index(0);
    let result = match event.get("id").as_f64() {
        Some(PROCESS_RESOURCE_LIST) => process_resource_list(&input),
        Some(PROCESS_RESOURCE_LIST_ERRORS) => JsValue::string(&answer(&input).stderr),
        _ => JsValue::undefined(),
    };
    event.set("result", &result);
}

fn answer(input: &JsValue) -> Reply {
    match input.to_utf8(MAX_INPUT_BYTES) {
        Ok(bytes) => crate::reply(&bytes),
        Err(len) => crate::oversize_reply(len),
    }
}

fn process_resource_list(input: &JsValue) -> JsValue {
    let reply = answer(input);
    if reply.failed {
        fail(&reply);
    }
    write("stderr", &reply.stderr);
    JsValue::string(&reply.yaml)
}

/// Writes the ResourceList with its results to stdout, the summary to stderr, and exits 1
/// through node's `process`. Returns only on a host without `process` (the caller then returns
/// the ResourceList, which any Go-glue host prints).
fn fail(reply: &Reply) {
    write("stdout", &reply.yaml);
    write("stderr", &reply.stderr);
    exit(1);
}

fn node_process() -> Option<JsValue> {
    let process = JsValue::global().get("process");
    process.is_object().then_some(process)
}

/// `process[stream].write(text)`; false without node.
fn write(stream: &str, text: &str) -> bool {
    if text.is_empty() {
        return true;
    }
    let Some(process) = node_process() else {
        return false;
    };
    let stream = process.get(stream);
    stream.is_object() && stream.call("write", &[&JsValue::string(text)]).is_ok()
}

fn exit(code: u8) {
    if let Some(process) = node_process() {
        let _ = process.call("exit", &[&JsValue::number(f64::from(code))]);
    }
}

/// The allocator's last resort. Allocates nothing: static texts, the size in a stack buffer.
pub fn fatal_out_of_memory(bytes: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = bytes;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let size = core::str::from_utf8(&digits[at..]).unwrap_or("?");
    write("stdout", crate::OUT_OF_MEMORY_RESOURCE_LIST);
    write(
        "stderr",
        "monitoring-stack: error: out of memory allocating ",
    );
    write("stderr", size);
    write("stderr", crate::OUT_OF_MEMORY_HINT);
    exit(1);
}
