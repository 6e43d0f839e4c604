//! Rendered objects as plain manifests: a multi-document stream, or a folder tree laid out by the
//! objects' path annotations (the seed's `monitoring/` folder), written atomically and checked for
//! drift.
//!
//! A file in the tree is *owned* when every document in it carries the managed-by label and the
//! annotation of a stack being rendered: only owned files are ever replaced or removed.

use crate::resource_list::annotations;
use crate::resource_list::yaml;
use crate::stack::object::{MANAGED_BY_LABEL, MANAGED_BY_VALUE, STACK_ANNOTATION};
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

/// The objects as one YAML stream, without the orchestrator's path annotations and without
/// local-config objects (tool configuration such as `kustomization.yaml`, not cluster objects).
pub fn stream(objects: &[Value]) -> String {
    let objects: Vec<&Value> = objects
        .iter()
        .filter(|o| !annotations::is_local_config(o))
        .collect();
    write_stream(&objects)
}

fn write_stream(objects: &[&Value]) -> String {
    let mut out = String::new();
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let mut object = (*object).clone();
        annotations::clear_file(&mut object);
        yaml::write_document(&mut out, &object);
    }
    out
}

/// File contents by relative path, objects ordered by their index annotation.
pub fn files(objects: &[Value]) -> BTreeMap<String, String> {
    let mut grouped: BTreeMap<String, Vec<(u64, &Value)>> = BTreeMap::new();
    for object in objects {
        let file = annotations::file_of(object);
        let (path, index) = file.map_or(("generated.yaml".to_string(), 0), |f| {
            (f.path, f.index.unwrap_or(0))
        });
        grouped.entry(path).or_default().push((index, object));
    }
    crate::map_of(grouped.into_iter().map(|(path, mut entries)| {
        sort_by_index(&mut entries);
        let objects: Vec<&Value> = entries.into_iter().map(|(_, o)| o).collect();
        (path, write_stream(&objects))
    }))
}

/// A stable insertion sort by index. A file holds a few objects, already in index order as
/// `render` numbers them, so this is one pass; unlike `sort_by_key` it adds no sort routine of
/// its own to the WebAssembly builds.
fn sort_by_index(entries: &mut [(u64, &Value)]) {
    for i in 1..entries.len() {
        let mut j = i;
        while j > 0 && entries[j - 1].0 > entries[j].0 {
            entries.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// What bringing a directory up to date takes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    /// New or changed files: relative path → (current content if any, new content).
    pub writes: BTreeMap<String, (Option<String>, String)>,
    /// Owned files the render no longer produces.
    pub removes: BTreeMap<String, String>,
    pub unchanged: usize,
}

impl Plan {
    pub fn is_clean(&self) -> bool {
        self.writes.is_empty() && self.removes.is_empty()
    }

    /// A unified diff from the directory's content to the render's.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        let mut paths: BTreeSet<&String> = self.writes.keys().collect();
        paths.extend(self.removes.keys());
        for path in paths {
            let (old, new) = match (self.writes.get(path), self.removes.get(path)) {
                (Some((old, new)), _) => (old.as_deref().unwrap_or(""), new.as_str()),
                (None, Some(old)) => (old.as_str(), ""),
                (None, None) => continue,
            };
            out.push_str(&crate::diff::unified(
                &format!("a/{path}"),
                &format!("b/{path}"),
                old,
                new,
            ));
        }
        out
    }
}

/// Compares the rendered tree with `dir` (which may not exist).
pub fn plan(dir: &Path, objects: &[Value]) -> io::Result<Plan> {
    let wanted = files(objects);
    for path in wanted.keys() {
        check_relative(path)?;
    }
    let stacks: BTreeSet<String> = objects
        .iter()
        .filter_map(|o| annotations::annotation(o, STACK_ANNOTATION))
        .map(str::to_string)
        .collect();
    let mut plan = Plan::default();
    for (path, content) in &wanted {
        match std::fs::read_to_string(dir.join(path)) {
            Ok(current) if &current == content => plan.unchanged += 1,
            Ok(current) => {
                plan.writes
                    .insert(path.clone(), (Some(current), content.clone()));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                plan.writes.insert(path.clone(), (None, content.clone()));
            }
            Err(error) => return Err(with_path(error, &dir.join(path))),
        }
    }
    if dir.is_dir() {
        for path in yaml_files(dir)? {
            if wanted.contains_key(&path) {
                continue;
            }
            let text = std::fs::read_to_string(dir.join(&path)).unwrap_or_default();
            if is_owned(&text, &stacks) {
                plan.removes.insert(path, text);
            }
        }
    }
    Ok(plan)
}

/// Brings `dir` up to date: every new file is first written to a staging folder, then renamed
/// into place (a reader never sees a half-written manifest; a failure while staging leaves `dir`
/// untouched), then stale owned files are removed. A missing `dir` is staged whole and renamed.
pub fn write_tree(dir: &Path, objects: &[Value]) -> io::Result<Plan> {
    let plan = plan(dir, objects)?;
    let exists = dir.is_dir();
    let staging = staging_dir(dir, exists)?;
    let result = stage_and_apply(dir, &staging, &plan, exists);
    if staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result.map(|()| plan)
}

fn stage_and_apply(dir: &Path, staging: &Path, plan: &Plan, exists: bool) -> io::Result<()> {
    std::fs::create_dir_all(staging).map_err(|e| with_path(e, staging))?;
    for (path, (_, content)) in &plan.writes {
        let target = staging.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| with_path(e, parent))?;
        }
        std::fs::write(&target, content).map_err(|e| with_path(e, &target))?;
    }
    if !exists {
        return std::fs::rename(staging, dir).map_err(|e| with_path(e, dir));
    }
    for path in plan.writes.keys() {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| with_path(e, parent))?;
        }
        std::fs::rename(staging.join(path), &target).map_err(|e| with_path(e, &target))?;
    }
    for path in plan.removes.keys() {
        let target = dir.join(path);
        std::fs::remove_file(&target).map_err(|e| with_path(e, &target))?;
        // Drop folders the removal emptied (never the root).
        let mut folder = target.parent();
        while let Some(current) = folder.filter(|f| *f != dir) {
            if std::fs::remove_dir(current).is_err() {
                break;
            }
            folder = current.parent();
        }
    }
    Ok(())
}

/// Inside `dir` when it exists (so renames stay on one filesystem), else beside it.
fn staging_dir(dir: &Path, exists: bool) -> io::Result<PathBuf> {
    let tag = format!(".monitoring-stack-staging-{}", std::process::id());
    if exists {
        return Ok(dir.join(tag));
    }
    let name = dir.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the output directory has no name",
        )
    })?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok(parent.join(format!(".{}{tag}", name.to_string_lossy())))
}

fn check_relative(path: &str) -> io::Result<()> {
    let relative = Path::new(path);
    if relative.is_absolute()
        || relative
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to write outside the output directory: {path}"),
        ));
    }
    Ok(())
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// Relative paths of the `.yaml`/`.yml` files below `dir`, skipping hidden entries.
fn yaml_files(dir: &Path) -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).map_err(|e| with_path(e, &current))? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                if let Ok(relative) = path.strip_prefix(dir) {
                    found.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Every document carries our label and the annotation of one of `stacks`.
fn is_owned(text: &str, stacks: &BTreeSet<String>) -> bool {
    let mut documents = 0;
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let Ok(value) = <Value as serde::Deserialize>::deserialize(document) else {
            return false;
        };
        if value.is_null() {
            continue;
        }
        documents += 1;
        let owned = annotations::label(&value, MANAGED_BY_LABEL) == Some(MANAGED_BY_VALUE)
            && annotations::annotation(&value, STACK_ANNOTATION)
                .is_some_and(|s| stacks.contains(s));
        if !owned {
            return false;
        }
    }
    documents > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_by_index_is_stable() {
        let (a, b, c, d) = (
            Value::from("a"),
            Value::from("b"),
            Value::from("c"),
            Value::from("d"),
        );
        let mut entries = vec![(2, &a), (0, &b), (2, &c), (1, &d)];
        sort_by_index(&mut entries);
        let order: Vec<(u64, &str)> = entries
            .iter()
            .map(|(i, v)| (*i, v.as_str().unwrap_or_default()))
            .collect();
        assert_eq!(order, vec![(0, "b"), (1, "d"), (2, "a"), (2, "c")]);
    }
}
