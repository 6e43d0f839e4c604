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

/// The folder (with its `/`) of a flux-layout stack's files in a package of several stacks.
fn stack_folder(name: &str) -> String {
    format!("{name}/")
}

/// `./a/b/` → (`a`, `b`): the parent folder (without `./`, `""` for the root) and the last
/// segment of a repository path.
fn split_repo_path(path: &str) -> (&str, &str) {
    let path = path.trim_end_matches('/');
    let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
    let parent = parent.trim_start_matches("./");
    (if parent == "." { "" } else { parent }, last)
}

/// In a package of several stacks, each flux-layout stack's files are in `<name>/`, and the
/// Flux Kustomizations point at `<flux.path>/<component>`: so `flux.path` must be the
/// repository path of that folder, `<package path>/<name>`, one package path for all of them.
fn check_stack_folders(stacks: &[spec::MonitoringStack], sources: &[&Value]) -> Vec<FnResult> {
    let mut results = Vec::new();
    let mut package: Option<(&str, &str)> = None;
    for (stack, source) in stacks.iter().zip(sources) {
        if !stack::uses_flux_kustomizations(&stack.spec) {
            continue;
        }
        let name = stack.name.as_str();
        let path = stack.spec.flux.path.as_str();
        let (parent, last) = split_repo_path(path);
        if last != name {
            results.push(
                FnResult::error(format!(
                    "the package holds several MonitoringStacks, so {name:?}'s files are in its \
                     folder {name}/ and its Flux Kustomizations apply <flux.path>/<component>: \
                     flux.path {path:?} must be the repository path of that folder, ending in \
                     \"/{name}\" (e.g. \"./k8s/monitoring/{name}\")"
                ))
                .about(source)
                .with_field("spec.flux.path"),
            );
            continue;
        }
        match package {
            None => package = Some((name, parent)),
            Some((other, other_parent)) if other_parent != parent => results.push(
                FnResult::error(format!(
                    "MonitoringStacks {other:?} and {name:?} are in one package, so their folders \
                     {other}/ and {name}/ sit side by side in the repository: their flux.path must \
                     differ only in the last segment (the package is at {:?} for {other:?}, at {:?} \
                     here)",
                    if other_parent.is_empty() { "." } else { other_parent },
                    if parent.is_empty() { "." } else { parent },
                ))
                .about(source)
                .with_field("spec.flux.path"),
            ),
            Some(_) => {}
        }
    }
    results
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
    // Each name seen, and whether it is (still only) the functionConfig's. A list: a package
    // holds a few stacks, and a map type of its own costs the WebAssembly modules 2 KB.
    let mut seen: Vec<(&str, bool)> = Vec::new();
    if let Some(name) = sources.first().and_then(|c| stack_name(c)) {
        seen.push((name, true));
    }
    for item in list.values().filter(|i| is_stack(i)) {
        match stack_name(item) {
            Some(name) => match seen.iter_mut().find(|(seen, _)| *seen == name) {
                Some((_, only_config @ true)) => {
                    *only_config = false;
                }
                Some((_, false)) => results.push(
                    FnResult::error(format!(
                        "two MonitoringStacks are named {name:?}: their objects would overwrite each other"
                    ))
                    .about(item)
                    .with_field("metadata.name"),
                ),
                None => {
                    seen.push((name, false));
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
    let mut stack_sources = Vec::new();
    for source in &sources {
        match spec::parse_stack(source) {
            Ok(stack) => {
                stacks.push(stack);
                stack_sources.push(*source);
            }
            Err(errors) => {
                results.extend(errors.into_iter().map(|e| FnResult::from(e).about(source)))
            }
        }
    }
    // Several stacks in one package: each flux-layout stack's files go in a folder named after
    // it, and its flux.path must be where that folder is in the repository.
    let in_folders = sources.len() > 1;
    if in_folders {
        results.extend(check_stack_folders(&stacks, &stack_sources));
    }

    let owners: Vec<ownership::Owner<'_>> = stacks
        .iter()
        .map(|s| stack::owner(s.name.as_str()))
        .collect();
    let mut generated: Vec<(String, Value)> = Vec::new();
    let mut origin: BTreeMap<ObjectKey, String> = BTreeMap::new();
    // A local-config object is a file of the package, not a cluster object: what two stacks
    // must not share is its file, whatever their namespaces.
    let mut local_files: BTreeMap<String, String> = BTreeMap::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for stack in &stacks {
        let name = stack.name.as_str();
        let folder = (in_folders && stack::uses_flux_kustomizations(&stack.spec))
            .then(|| stack_folder(name));
        let mut count = 0;
        for stack::Generated { path, object } in stack::expand(stack) {
            let path = match &folder {
                Some(folder) => format!("{folder}{path}"),
                None => path,
            };
            let key = ObjectKey::of(&object);
            if annotations::is_local_config(&object) {
                if let Some(other) = local_files.insert(path.clone(), name.to_string()) {
                    results.push(FnResult::error(format!(
                        "MonitoringStacks {other:?} and {name:?} both write {path} ({key}): stacks in one package share its component folders; give each stack its own package"
                    )).with_field("spec"));
                    continue;
                }
                origin.entry(key).or_insert_with(|| name.to_string());
            } else if let Some(other) = origin.insert(key.clone(), name.to_string()) {
                results.push(
                    FnResult::error(format!(
                        "MonitoringStacks {other:?} and {name:?} both generate {key}: {}",
                        clash_advice(&key)
                    ))
                    .with_field("spec"),
                );
                continue;
            }
            count += 1;
            generated.push((path, object));
        }
        counts.push((name.to_string(), count));
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

    // The places (file and index) of the items this run keeps, as `index path` strings (a set
    // of pairs would be one more map type in the WebAssembly modules, about 2.5 KB each). A
    // generated object takes the first free index of its file: never a kept item's place, nor
    // one an earlier generated object took. Objects of one file come one after the other, so
    // the search starts after the previous object's index when the file is the same.
    let place = |path: &str, index: u64| format!("{index} {path}");
    let mut taken: BTreeSet<String> = set_of(
        list.files(|item| owners.iter().any(|o| o.owns(item)))
            .into_iter()
            .map(|(path, index)| place(&path, index)),
    );
    let mut previous: Option<(String, u64)> = None;
    let generated: Vec<Value> = generated
        .into_iter()
        .map(|(path, mut object)| {
            let mut index = match &previous {
                Some((file, index)) if *file == path => index + 1,
                _ => 0,
            };
            while !taken.insert(place(&path, index)) {
                index += 1;
            }
            annotations::set_file(&mut object, &path, index);
            previous = Some((path, index));
            object
        })
        .collect();

    if results.iter().any(FnResult::is_error) {
        list.results = results;
        return list;
    }
    // Items sharing anchors are written as values once one of them is replaced or removed.
    if list.shares_anchors()
        && list
            .values()
            .any(|item| owners.iter().any(|owner| owner.owns(item)))
    {
        list.detach();
    }
    list.items = ownership::upsert(std::mem::take(&mut list.items), &owners, generated);
    for (name, count) in counts {
        results.push(FnResult::info(format!(
            "MonitoringStack {name:?}: {count} objects generated"
        )));
    }
    list.results = results;
    list
}
