//! monitoring-stack: a KRM function that expands a `MonitoringStack` into the Flux-deployed
//! Grafana / Loki / Mimir / Alloy stack.
//!
//! Data flows one way: bytes → [`resource_list`] (items and the stacks among them) → [`spec`]
//! (typed, validated) → [`stack`] (objects) → [`resource_list`] (upsert, prune, write). Both
//! front ends — the native binary and the WebAssembly builds — call [`process`] or [`render`].

pub mod diff;
pub mod output_dir;
pub mod resource_list;
pub mod spec;
pub mod stack;
pub mod versions;

use resource_list::annotations::{self, ObjectKey};
use resource_list::results::{stderr_summary, FnResult};
use resource_list::{ownership, ResourceList};
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A `BTreeMap` built by inserting: `collect()` and `from([..])`
/// sort their input first, and each element type then carries its own copy of the sort in the
/// WebAssembly builds (about 3 KB each).
pub(crate) fn map_of<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(pairs);
    map
}

/// A `BTreeSet` built by inserting (see [`map_of`]).
pub(crate) fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    set.extend(items);
    set
}

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
    let list = match resource_list::parse(input) {
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

/// Expands the MonitoringStack documents of a YAML stream into their generated objects, each
/// annotated with the file it belongs in. Used by `render`, the kustomize legacy plugin and the
/// npm package.
pub fn render(stream: &[u8]) -> Result<Vec<Value>, Vec<FnResult>> {
    let read_error = |e: resource_list::limits::ReadError| {
        let error = FnResult::error(e.message);
        vec![match e.path {
            Some(path) => error.with_field(path),
            None => error,
        }]
    };
    resource_list::limits::check_size(stream).map_err(read_error)?;
    let text = std::str::from_utf8(stream).map_err(|_| {
        vec![FnResult::error(
            "input is not UTF-8 text: expected a YAML MonitoringStack",
        )]
    })?;
    // Bounded like `process`: size, nesting depth and alias expansion (see `limits`).
    let documents = resource_list::limits::read_documents(text).map_err(read_error)?;
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
            resource_list::Item::Value(value) => Some(value),
            resource_list::Item::Source { value, .. } => value,
        })
        .collect())
}

/// What the cluster must already have for the stacks of a YAML stream to deploy (APIs, cluster
/// objects, user-provided Secrets), one table for all of them, duplicates dropped.
pub fn prerequisites(
    stream: &[u8],
) -> Result<Vec<stack::prerequisites::Prerequisite>, Vec<FnResult>> {
    let read_error = |e: resource_list::limits::ReadError| {
        let error = FnResult::error(e.message);
        vec![match e.path {
            Some(path) => error.with_field(path),
            None => error,
        }]
    };
    resource_list::limits::check_size(stream).map_err(read_error)?;
    let text = std::str::from_utf8(stream).map_err(|_| {
        vec![FnResult::error(
            "input is not UTF-8 text: expected a YAML MonitoringStack",
        )]
    })?;
    let documents = resource_list::limits::read_documents(text).map_err(read_error)?;
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
            Err(found) => errors.extend(found.into_iter().map(|e| {
                FnResult::error(e.message)
                    .about(document)
                    .with_field(e.path)
            })),
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

/// Whether an object is a MonitoringStack of any version (wrong versions are reported, not
/// passed through silently).
fn is_stack(object: &Value) -> bool {
    object.get("kind").and_then(Value::as_str) == Some(spec::KIND)
        && object
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|v| v.split('/').next() == Some(spec::GROUP))
}

fn stack_name(object: &Value) -> Option<&str> {
    object.get("metadata")?.get("name")?.as_str()
}

/// What to change when two stacks generate the same object (`key`).
fn clash_advice(key: &ObjectKey) -> String {
    if key.namespace.is_empty() {
        format!(
            "a cluster-wide {} is one per cluster: give one stack's components other namespaces",
            key.kind
        )
    } else {
        "give them different namespaces".to_string()
    }
}

/// The function proper, on a parsed list.
fn run(mut list: ResourceList) -> ResourceList {
    // Items still held as their source text (resource_list::source) are read where this run
    // needs their value: the stacks here, the items it could replace or collide with below.
    list.read(|item| item.kind().as_deref() == Some(spec::KIND));
    let mut results = list.check_items();

    // The stacks: the functionConfig, and items (kpt and kustomize also pass the config as an
    // item; the same name means the same stack).
    let mut sources: Vec<&Value> = Vec::new();
    if let Some(config) = list.function_config.as_ref().filter(|c| is_stack(c)) {
        sources.push(config);
    }
    let mut seen: BTreeMap<&str, bool> = BTreeMap::new();
    if let Some(name) = sources.first().and_then(|c| stack_name(c)) {
        seen.insert(name, true);
    }
    for item in list.values().filter(|i| is_stack(i)) {
        match stack_name(item) {
            Some(name) => match seen.get(name) {
                Some(true) => {
                    seen.insert(name, false);
                }
                Some(false) => results.push(
                    FnResult::error(format!(
                        "two MonitoringStacks are named {name:?}: their objects would overwrite each other"
                    ))
                    .about(item)
                    .with_field("metadata.name"),
                ),
                None => {
                    seen.insert(name, false);
                    sources.push(item);
                }
            },
            None => sources.push(item),
        }
    }
    if sources.is_empty() {
        let found = list
            .function_config
            .as_ref()
            .and_then(|c| c.get("kind"))
            .and_then(Value::as_str)
            .map_or(String::new(), |kind| {
                format!(" (functionConfig is a {kind})")
            });
        results.push(FnResult::error(format!(
            "no MonitoringStack ({}) found in functionConfig or items{found}",
            spec::API_VERSION
        )));
    }

    let mut stacks = Vec::new();
    for source in &sources {
        match spec::parse_stack(source) {
            Ok(stack) => stacks.push(stack),
            Err(errors) => results.extend(
                errors
                    .into_iter()
                    .map(|e| FnResult::error(e.message).about(source).with_field(e.path)),
            ),
        }
    }

    let owners: Vec<ownership::Owner<'_>> = stacks
        .iter()
        .map(|s| stack::owner(s.name.as_str()))
        .collect();
    let mut generated: Vec<(String, Value)> = Vec::new();
    let mut origin: BTreeMap<ObjectKey, String> = BTreeMap::new();
    for stack in &stacks {
        for stack::Generated { path, object } in stack::expand(stack) {
            let key = ObjectKey::of(&object);
            if let Some(other) = origin.insert(key.clone(), stack.name.to_string()) {
                results.push(
                    FnResult::error(format!(
                        "MonitoringStacks {other:?} and {:?} both generate {key}: {}",
                        stack.name.as_str(),
                        clash_advice(&key)
                    ))
                    .with_field("spec"),
                );
                continue;
            }
            generated.push((path, object));
        }
    }

    // The items this run may replace or collide with are read: those named like a generated
    // object and those carrying an owner's label.
    let names: BTreeSet<&str> = set_of(origin.keys().map(|key| key.name.as_str()));
    list.read(|item| {
        item.name()
            .is_some_and(|name| names.contains(name.as_ref()))
            || owners.iter().any(|owner| item.has_label(owner.label_key))
    });
    // An unowned item with a generated object's identity would be silently overwritten.
    for item in list.values() {
        let key = ObjectKey::of(item);
        if origin.contains_key(&key) && !owners.iter().any(|o| o.owns(item)) {
            results.push(
                FnResult::error(format!(
                    "{key} already exists in the input and is not managed by this stack: rename or remove it"
                ))
                .about(item)
                .with_field("metadata.name"),
            );
        }
    }

    // The places (file and index) of the items this run keeps: a generated object never takes
    // one, or the orchestrator would find two objects at one place.
    let taken: BTreeSet<(String, u64)> =
        set_of(list.files(|item| owners.iter().any(|o| o.owns(item))));
    let mut next_index: BTreeMap<String, u64> = BTreeMap::new();
    let generated: Vec<Value> = generated
        .into_iter()
        .map(|(path, mut object)| {
            let index = next_index.entry(path.clone()).or_default();
            while taken.contains(&(path.clone(), *index)) {
                *index += 1;
            }
            annotations::set_file(&mut object, &path, *index);
            *index += 1;
            object
        })
        .collect();

    if results.iter().any(FnResult::is_error) {
        list.results = results;
        return list;
    }
    let counts: Vec<(String, usize)> = stacks
        .iter()
        .map(|s| {
            let name = s.name.to_string();
            let count = origin.values().filter(|o| **o == name).count();
            (name, count)
        })
        .collect();
    let (items, _changes) = ownership::upsert(std::mem::take(&mut list.items), &owners, generated);
    list.items = items;
    for (name, count) in counts {
        results.push(FnResult::info(format!(
            "MonitoringStack {name:?}: {count} objects generated"
        )));
    }
    list.results = results;
    list
}
