//! The function: read the stacks of a list, expand each, upsert and prune their objects, and
//! return the list with its results. Knows the spec and the expansion; the protocol ([`krm`])
//! and the text ([`yaml`](crate::yaml)) below it know nothing of monitoring.

use crate::collections::set_of;
use crate::krm::annotations::{self, ObjectKey};
use crate::krm::results::FnResult;
use crate::krm::{ownership, ResourceList};
use crate::{spec, stack};
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Whether an object is a MonitoringStack of any version (wrong versions are reported, not
/// passed through silently).
pub(crate) fn is_stack(object: &Value) -> bool {
    object.get("kind").and_then(Value::as_str) == Some(spec::KIND)
        && object
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|v| v.split('/').next() == Some(spec::GROUP))
}

fn stack_name(object: &Value) -> Option<&str> {
    object.get("metadata")?.get("name")?.as_str()
}

/// A spec error is an error result at its field.
impl From<spec::SpecError> for FnResult {
    fn from(error: spec::SpecError) -> FnResult {
        FnResult::error(error.message).with_field(error.path)
    }
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
pub(crate) fn run(mut list: ResourceList) -> ResourceList {
    // Items still held as their source text (krm::source) are read where this run
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
            Err(errors) => {
                results.extend(errors.into_iter().map(|e| FnResult::from(e).about(source)))
            }
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
                // A local-config object is a file of the package, not a cluster object: the
                // clash is the file both stacks write, whatever their namespaces.
                let message = if annotations::is_local_config(&object) {
                    format!(
                        "MonitoringStacks {other:?} and {:?} both write {path} ({key}): stacks in one package share its component folders; give each stack its own package",
                        stack.name.as_str()
                    )
                } else {
                    format!(
                        "MonitoringStacks {other:?} and {:?} both generate {key}: {}",
                        stack.name.as_str(),
                        clash_advice(&key)
                    )
                };
                results.push(FnResult::error(message).with_field("spec"));
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
    // Items sharing anchors are written as values once one of them is replaced or removed.
    if list.shares_anchors()
        && list
            .values()
            .any(|item| owners.iter().any(|owner| owner.owns(item)))
    {
        list.detach();
    }
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
