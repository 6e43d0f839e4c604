//! monitoring-stack as a kpt WASM function.
//!
//! kpt runs WASM functions through Go's `js/wasm` ABI (not WASI, not wasm-bindgen): the module
//! imports its host functions from the module `"go"`, exports `mem`, `getsp`, `run` and `resume`,
//! and during `run` defines the global JS functions `processResourceList(string) -> string` and
//! `processResourceListErrors(string) -> string`. This crate implements that ABI directly on
//! `wasm32-unknown-unknown` and runs [`monitoring_stack::process`]:
//!
//! - [`go_js`]: the ABI itself (frames, NaN-boxed values, host calls): the one unsafe module;
//! - `function` (wasm32 only): the exports `run` and `resume`, and failing through node;
//! - `arena` (wasm32 only): the allocator over a fixed arena, so the memory never grows.
//!
//! What a call answers is decided here, in plain Rust ([`reply`], [`oversize_reply`]), and
//! unit-tested on the host. Build with `wasm/build.sh kpt`; see `wasm/README.md`.

pub mod go_js;

#[cfg(target_arch = "wasm32")]
mod arena;
#[cfg(target_arch = "wasm32")]
mod function;

use monitoring_stack::krm::results::{stderr_summary, FnResult};
use monitoring_stack::krm::ResourceList;

/// The fixed arena every allocation comes from: 256 MiB, part of the module's initial memory
/// (node reserves it lazily; it costs nothing in the `.wasm` file).
pub const ARENA_BYTES: usize = 256 << 20;

/// The largest input accepted: 32 MiB, an eighth of the arena. Processing holds a multiple of
/// the input at once (its bytes, the parsed items, the output text): 3.2× measured on a 10 MB
/// ResourceList (`wasm/test/kpt-module.test.mjs` fails above 6×), so a 32 MiB input peaks near
/// 100 MiB. A larger input gets one error result and is never read into the module.
pub const MAX_INPUT_BYTES: usize = 32 << 20;

/// What one `processResourceList` call answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The output ResourceList.
    pub yaml: String,
    /// The summary for stderr (one line per error or warning).
    pub stderr: String,
    /// Error results: kpt must fail (exit 1).
    pub failed: bool,
}

/// The function on an input within [`MAX_INPUT_BYTES`].
pub fn reply(input: &[u8]) -> Reply {
    let output = monitoring_stack::process(input);
    Reply {
        yaml: output.yaml,
        stderr: output.stderr,
        failed: output.failed,
    }
}

/// A ResourceList holding one error result (no items: the input could not be read).
pub fn error_reply(message: &str) -> Reply {
    let mut list = ResourceList::new(Vec::new(), None);
    list.results.push(FnResult::error(message));
    Reply {
        yaml: list.to_yaml(),
        stderr: stderr_summary(&list.results),
        failed: true,
    }
}

/// The answer to an input of `len` bytes above [`MAX_INPUT_BYTES`], which is not read at all.
pub fn oversize_reply(len: usize) -> Reply {
    error_reply(&format!(
        "the ResourceList is {len} bytes; the WebAssembly build of monitoring-stack accepts at \
         most {MAX_INPUT_BYTES} bytes (its memory is a fixed {ARENA_BYTES}-byte arena): use the \
         native binary for a package this large"
    ))
}

/// Written to stdout when even the fallback `memory.grow` fails (static: nothing can be
/// allocated then).
pub const OUT_OF_MEMORY_RESOURCE_LIST: &str = "apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
results:
- message: 'out of memory: the input is too large for the WebAssembly build of monitoring-stack; use the native binary'
  severity: error
";

/// Ends the stderr line of an out-of-memory failure.
pub const OUT_OF_MEMORY_HINT: &str =
    " bytes: the input is too large for the WebAssembly build; use the native binary\n";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_yaml_ng::Value;

    fn results(yaml: &str) -> Vec<Value> {
        let list: Value = serde_yaml_ng::from_str(yaml).expect("a YAML ResourceList");
        assert_eq!(list["kind"].as_str(), Some("ResourceList"), "{yaml}");
        list["results"].as_sequence().cloned().unwrap_or_default()
    }

    #[test]
    fn oversize_input_is_one_clear_error_result() {
        let reply = oversize_reply(MAX_INPUT_BYTES + 1);
        assert!(reply.failed);
        let results = results(&reply.yaml);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0]["severity"].as_str(), Some("error"));
        let message = results[0]["message"].as_str().unwrap();
        assert!(
            message.contains(&(MAX_INPUT_BYTES + 1).to_string()),
            "{message}"
        );
        assert!(message.contains("native binary"), "{message}");
        assert!(
            reply.stderr.starts_with("monitoring-stack: error: "),
            "{}",
            reply.stderr
        );
        // The glue prints a result only when it contains this.
        assert!(reply.yaml.contains("kind: ResourceList"));
    }

    #[test]
    fn the_static_out_of_memory_list_is_a_valid_resource_list() {
        let results = results(OUT_OF_MEMORY_RESOURCE_LIST);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0]["severity"].as_str(), Some("error"));
    }

    #[test]
    fn reply_is_the_library_function() {
        let input = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n\
                      functionConfig:\n  apiVersion: monitoring-stack.dev/v1alpha1\n  \
                      kind: MonitoringStack\n  metadata:\n    name: main\n  spec:\n    \
                      grafana:\n      hostname: grafana.example.com\n";
        let reply = reply(input);
        let native = monitoring_stack::process(input);
        assert!(!reply.failed, "{}", reply.stderr);
        assert_eq!(reply.yaml, native.yaml);
        let bad = super::reply(b"kind: [");
        assert!(bad.failed);
        assert!(!results(&bad.yaml).is_empty());
    }

    #[test]
    fn arena_holds_the_largest_input_with_room() {
        // The node test `kpt-module.test.mjs` keeps the measured peak below 6x the input.
        const { assert!(MAX_INPUT_BYTES * 6 < ARENA_BYTES) };
    }
}
