//! monitoring-stack: a KRM function that expands a `MonitoringStack` into the Flux-deployed
//! Grafana / Loki / Mimir / Alloy stack.
//!
//! This file is the public API: [`process`], [`render`], [`prerequisites`], [`Output`]. The
//! layers, each knowing only those below it:
//!
//! - [`yaml`]: YAML text, knowing no KRM (emitter, bounded reader, depth guard, field paths);
//! - [`krm`]: the KRM functions protocol, knowing no monitoring (the ResourceList and its
//!   items, kept as text unless read; results, annotations, ownership);
//! - [`spec`]: the MonitoringStack resource, typed and validated;
//! - [`stack`]: the expansion of a stack into its objects;
//! - `function`: the function itself (read the stacks, expand, upsert and prune);
//! - [`output_dir`], [`diff`]: the `render --output-dir` / `--check` front end.
//!
//! Both front ends — the native binary and the WebAssembly builds — call [`process`] or
//! [`render`].

pub mod collections;
pub mod diff;
pub mod fleet;
mod function;
mod json;
pub mod krm;
pub mod output_dir;
pub mod spec;
pub mod stack;
pub mod versions;
pub mod yaml;

use function::{is_stack, run};
use krm::results::{stderr_summary, FnResult};
use krm::ResourceList;
use serde_yaml_ng::Value;

/// The outcome of one function run.
#[derive(Debug, Clone)]
pub struct Output {
    /// The ResourceList to write on stdout (input items returned unchanged on error).
    pub yaml: String,
    /// What to write on stderr: one line per error or warning.
    pub stderr: String,
    /// True when any error result exists: the process must exit 1.
    pub failed: bool,
    /// The results written into `yaml`, for callers that want them without reading it back.
    pub results: Vec<FnResult>,
}

/// The KRM function: a ResourceList in, a ResourceList out.
pub fn process(input: &[u8]) -> Output {
    let list = match krm::parse(input) {
        Ok(list) => run(list),
        Err(error) => {
            let mut list = ResourceList::new(Vec::new(), None);
            list.results.push(error);
            list
        }
    };
    let stderr = stderr_summary(&list.results);
    let failed = list.has_errors();
    let results = list.results.clone();
    Output {
        yaml: list.into_yaml(),
        stderr,
        failed,
        results,
    }
}

/// The documents of a YAML stream (`render`, `prerequisites`), bounded like `process`: size,
/// nesting depth and alias expansion (see [`yaml::limits`]).
fn read_stream(stream: &[u8]) -> Result<Vec<Value>, Vec<FnResult>> {
    yaml::limits::check_size(stream).map_err(|e| vec![e.into()])?;
    let text = std::str::from_utf8(stream).map_err(|_| {
        vec![FnResult::error(
            "input is not UTF-8 text: expected a YAML MonitoringStack",
        )]
    })?;
    // A byte-order mark before the content says only that this is UTF-8.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    yaml::limits::read_documents(text).map_err(|e| vec![e.into()])
}

/// Expands the MonitoringStack documents of a YAML stream into their generated objects, each
/// annotated with the file it belongs in. Used by `render`, the kustomize legacy plugin and the
/// npm package.
pub fn render(stream: &[u8]) -> Result<Vec<Value>, Vec<FnResult>> {
    let documents = read_stream(stream)?;
    let input_count = documents.len();
    let list = run(ResourceList::new(documents, None));
    if list.has_errors() {
        return Err(list.results);
    }
    // The input documents come first, unchanged; what follows is generated.
    Ok(list
        .items
        .into_iter()
        .skip(input_count)
        .filter_map(|item| match item {
            krm::Item::Value(value) => Some(value),
            krm::Item::Source { value, .. } => value,
        })
        .collect())
}

/// What the cluster must already have for the stacks of a YAML stream to deploy (APIs, cluster
/// objects, user-provided Secrets), one table for all of them, duplicates dropped.
pub fn prerequisites(
    stream: &[u8],
) -> Result<Vec<stack::prerequisites::Prerequisite>, Vec<FnResult>> {
    let documents = read_stream(stream)?;
    let mut table: Vec<stack::prerequisites::Prerequisite> = Vec::new();
    let mut errors = Vec::new();
    for document in documents.iter().filter(|d| is_stack(d)) {
        match spec::parse_stack(document) {
            Ok(stack) => {
                for row in stack::prerequisites::of(&stack) {
                    if !table.contains(&row) {
                        table.push(row);
                    }
                }
            }
            Err(found) => {
                errors.extend(found.into_iter().map(|e| FnResult::from(e).about(document)))
            }
        }
    }
    if table.is_empty() && errors.is_empty() {
        errors.push(FnResult::error(format!(
            "no MonitoringStack ({}) found",
            spec::API_VERSION
        )));
    }
    if errors.is_empty() {
        Ok(table)
    } else {
        Err(errors)
    }
}
