//! Rendered objects as plain manifests: a multi-document stream, or a folder tree laid out by the
//! objects' path annotations (the seed's `monitoring/` folder), written atomically and checked for
//! drift.
//!
//! A file in the tree is *owned* when every document in it carries the managed-by label and the
//! annotation of a stack being rendered: only owned files are ever replaced or removed.
//!
//! The rules that keep a user's files safe (issue 16):
//! - A file at a path the render generates that is not owned is *refused*: nothing at all is
//!   written and the error names it (move it away and render again). A file appended to by the
//!   user (one document without the marks) is refused as well.
//! - A *damaged* file (invalid UTF-8, broken YAML, over a parse limit) is treated as owned only
//!   when it sits at a path this render generates AND still holds both marks exactly as the
//!   render writes them, each ending its line (`app.kubernetes.io/managed-by: monitoring-stack`,
//!   `monitoring-stack.dev/stack: <a stack being rendered>`): then it is drift (`--check` exits
//!   1 with a diff) and a render repairs it. Without them it is refused like any user file. A
//!   damaged file at a path the render no longer generates is never removed.
//! - Nothing below the output directory is read or written through a symbolic link: a link at
//!   or above a generated path is refused, naming it; links elsewhere are neither followed nor
//!   removed. FIFOs, devices and folders at a generated path are refused too.
//! - Only regular `.yaml`/`.yml` files of at most `MAX_FILE_BYTES` are read; one is parsed
//!   only when its bytes contain both marks, and then with the input's limits.

use crate::krm::annotations;
use crate::stack::object::{MANAGED_BY_LABEL, MANAGED_BY_VALUE, STACK_ANNOTATION};
use crate::yaml;
use crate::yaml::limits;

/// Largest file of the output tree read (to see whether it is ours): a generated file is a few
/// KiB; anything over this is not ours and is left alone unread.
pub const MAX_FILE_BYTES: usize = 32 << 20;
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
    crate::collections::map_of(grouped.into_iter().map(|(path, mut entries)| {
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
    /// New or changed files: relative path → (current content if any, new content). A damaged
    /// current file (not UTF-8) is shown lossily.
    pub writes: BTreeMap<String, (Option<String>, String)>,
    /// Owned files the render no longer produces.
    pub removes: BTreeMap<String, String>,
    /// Paths the render needs but may not touch (a file without this stack's ownership marks,
    /// a symbolic link, a folder, ...): relative path → why. A plan with refusals is never
    /// applied.
    pub refused: BTreeMap<String, String>,
    pub unchanged: usize,
}

impl Plan {
    pub fn is_clean(&self) -> bool {
        self.writes.is_empty() && self.removes.is_empty() && self.refused.is_empty()
    }

    /// One line per refused path: `DIR/PATH: why`.
    pub fn refusals(&self, dir: &Path) -> String {
        let mut out = String::new();
        for (path, why) in &self.refused {
            out.push_str(&format!("{}: {why}\n", dir.join(path).display()));
        }
        out
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

/// Compares the rendered tree with `dir` (which may not exist). Reads only what it may own:
/// regular `.yaml`/`.yml` files (never through a symbolic link, never a FIFO or device), at most
/// [`MAX_FILE_BYTES`] each, and parses one only when its bytes hold both ownership marks
/// (with the same limits as the function's input). Paths the render needs but may not touch
/// are listed in [`Plan::refused`].
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
    // Something that is not a folder (a file, a dangling link) where the tree goes would be
    // replaced by the staged tree's rename: refuse instead.
    if std::fs::symlink_metadata(dir).is_ok() && !dir.is_dir() {
        return Err(refusal(format!(
            "{} exists and is not a folder (or a link to one); move it away or choose another --output-dir",
            dir.display()
        )));
    }
    let mut plan = Plan::default();
    for (path, content) in &wanted {
        match inspect(dir, path, &stacks)? {
            Existing::Missing => {
                plan.writes.insert(path.clone(), (None, content.clone()));
            }
            Existing::File(bytes, _) if bytes == content.as_bytes() => plan.unchanged += 1,
            Existing::File(bytes, Ownership::Owned | Ownership::Damaged) => {
                let current = String::from_utf8_lossy(&bytes).into_owned();
                plan.writes
                    .insert(path.clone(), (Some(current), content.clone()));
            }
            Existing::File(_, Ownership::NotOurs(why)) | Existing::Refused(why) => {
                plan.refused.insert(path.clone(), why);
            }
        }
    }
    if dir.is_dir() {
        for path in yaml_files(dir)? {
            if wanted.contains_key(&path) {
                continue;
            }
            let full = dir.join(&path);
            // Only a file that reads cleanly as this stack's is removed: a damaged file the
            // render no longer generates is left alone. Most files are not ours: a streaming
            // look for the marks decides that without holding the file in memory.
            if !holds_marks(&full)? {
                continue;
            }
            if let Some(bytes) = read_bounded(&full)? {
                if classify(&bytes, &stacks) == Ownership::Owned {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    plan.removes.insert(path, text);
                }
            }
        }
    }
    Ok(plan)
}

/// What a path the render generates holds now.
enum Existing {
    Missing,
    File(Vec<u8>, Ownership),
    /// Something that must not be read or replaced: why.
    Refused(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ownership {
    /// Every document carries the managed-by label and the annotation of a stack being
    /// rendered.
    Owned,
    /// Not readable as YAML (invalid UTF-8, broken syntax, over a limit), but it still holds
    /// this stack's marks exactly as the render writes them: a generated file, damaged.
    Damaged,
    /// Why it is not this stack's.
    NotOurs(String),
}

const MOVE_AWAY: &str = "move it out of the output directory (or delete it) and render again";

fn inspect(dir: &Path, path: &str, stacks: &BTreeSet<String>) -> io::Result<Existing> {
    // Walk the path one component at a time without following links: a generated folder
    // replaced by a link (to anywhere) would otherwise take the write outside the tree.
    let mut current = dir.to_path_buf();
    let components: Vec<&str> = path.split('/').collect();
    for (i, component) in components.iter().enumerate() {
        current.push(component);
        let last = i + 1 == components.len();
        let metadata = match std::fs::symlink_metadata(&current) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Existing::Missing),
            Err(error) if error.kind() == io::ErrorKind::NotADirectory => {
                return Ok(Existing::Missing)
            }
            Err(error) => return Err(with_path(error, &current)),
        };
        let kind = metadata.file_type();
        let shown = components[..=i].join("/");
        if kind.is_symlink() {
            return Ok(Existing::Refused(format!(
                "{shown} is a symbolic link: the output tree is never written through links (a link may lead outside it); replace the link with a real {} and render again",
                if last { "file" } else { "folder" }
            )));
        }
        if !last && !kind.is_dir() {
            return Ok(Existing::Refused(format!(
                "{shown} is not a folder, but the render puts {path} below it; {MOVE_AWAY}"
            )));
        }
        if last && !kind.is_file() {
            return Ok(Existing::Refused(format!(
                "is not a regular file (a folder, FIFO or device) where the render writes one; {MOVE_AWAY}"
            )));
        }
    }
    let Some(bytes) = read_bounded(&current)? else {
        return Ok(Existing::Refused(format!(
            "is larger than {} MiB, the input limit: not a file this stack generated; {MOVE_AWAY}",
            MAX_FILE_BYTES >> 20
        )));
    };
    let ownership = classify(&bytes, stacks);
    Ok(Existing::File(bytes, ownership))
}

/// Whether the file (at most [`MAX_FILE_BYTES`]) contains both ownership marks' key texts,
/// read in chunks: a file without them cannot be owned.
fn holds_marks(path: &Path) -> io::Result<bool> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| with_path(e, path))?;
    if file.metadata().map_err(|e| with_path(e, path))?.len() > MAX_FILE_BYTES as u64 {
        return Ok(false);
    }
    let needles = [MANAGED_BY_LABEL.as_bytes(), STACK_ANNOTATION.as_bytes()];
    let keep = needles.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut found = [false; 2];
    let mut window: Vec<u8> = Vec::with_capacity(64 << 10);
    let mut chunk = vec![0u8; 64 << 10];
    let mut reader = file.take(MAX_FILE_BYTES as u64);
    loop {
        let read = reader.read(&mut chunk).map_err(|e| with_path(e, path))?;
        if read == 0 {
            return Ok(false);
        }
        window.extend_from_slice(&chunk[..read]);
        for (seen, needle) in found.iter_mut().zip(needles) {
            *seen = *seen || contains(&window, needle);
        }
        if found.iter().all(|seen| *seen) {
            return Ok(true);
        }
        // Keep the tail a mark may straddle.
        let drop = window.len().saturating_sub(keep);
        window.drain(..drop);
    }
}

/// The file's bytes, or `None` when it is larger than [`MAX_FILE_BYTES`] (then nothing is
/// read: the same limit as the function's input).
fn read_bounded(path: &Path) -> io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| with_path(e, path))?;
    if file.metadata().map_err(|e| with_path(e, path))?.len() > MAX_FILE_BYTES as u64 {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| with_path(e, path))?;
    Ok((bytes.len() <= MAX_FILE_BYTES).then_some(bytes))
}

/// Whose a file is. Cheap first: a file whose bytes lack the label or the annotation key cannot
/// be owned and is never parsed; otherwise it is parsed with the input limits
/// (`yaml::limits`), so a deeply nested or alias-heavy file costs linear time.
fn classify(bytes: &[u8], stacks: &BTreeSet<String>) -> Ownership {
    let not_ours = || {
        Ownership::NotOurs(format!(
            "refusing to replace a file this stack did not generate (it lacks the `{MANAGED_BY_LABEL}: {MANAGED_BY_VALUE}` label or the `{STACK_ANNOTATION}` annotation of a stack being rendered); {MOVE_AWAY}"
        ))
    };
    if !contains(bytes, MANAGED_BY_LABEL.as_bytes())
        || !contains(bytes, STACK_ANNOTATION.as_bytes())
    {
        return not_ours();
    }
    let damaged_or_not_ours = || {
        if has_written_marks(bytes, stacks) {
            Ownership::Damaged
        } else {
            not_ours()
        }
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return damaged_or_not_ours();
    };
    let Ok(documents) = limits::read_documents(text) else {
        return damaged_or_not_ours();
    };
    let owned = !documents.is_empty()
        && documents.iter().all(|document| {
            annotations::label(document, MANAGED_BY_LABEL) == Some(MANAGED_BY_VALUE)
                && annotations::annotation(document, STACK_ANNOTATION)
                    .is_some_and(|s| stacks.contains(s))
        });
    if owned {
        Ownership::Owned
    } else {
        not_ours()
    }
}

/// The marks as the render writes them, each on a line of its own: the managed-by label and the
/// annotation of one of `stacks`. What a damaged generated file is recognised by.
fn has_written_marks(bytes: &[u8], stacks: &BTreeSet<String>) -> bool {
    let line = |text: &str| {
        let needle = text.as_bytes();
        let mut from = 0;
        while let Some(at) = find(&bytes[from..], needle) {
            let end = from + at + needle.len();
            if matches!(bytes.get(end), None | Some(b'\n' | b'\r')) {
                return true;
            }
            from = from + at + 1;
        }
        false
    };
    line(&format!("{MANAGED_BY_LABEL}: {MANAGED_BY_VALUE}"))
        && stacks
            .iter()
            .any(|stack| line(&format!("{STACK_ANNOTATION}: {stack}")))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The error of a render that refuses to touch a path (not an I/O failure).
#[derive(Debug)]
struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

fn refusal(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::AlreadyExists, Refusal(message))
}

/// Whether `error` is [`write_tree`] refusing to touch a path (a file it did not generate, a
/// link), rather than an I/O failure.
pub fn is_refusal(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<Refusal>())
}

/// Brings `dir` up to date: every new file is first written to a staging folder, then renamed
/// into place (a reader never sees a half-written manifest; a failure while staging leaves `dir`
/// untouched), then stale owned files are removed. A missing `dir` is staged whole and renamed.
/// A plan with refusals is not applied at all: the error lists every refused path.
pub fn write_tree(dir: &Path, objects: &[Value]) -> io::Result<Plan> {
    let plan = plan(dir, objects)?;
    if !plan.refused.is_empty() {
        return Err(refusal(format!(
            "nothing was written:\n{}",
            plan.refusals(dir).trim_end()
        )));
    }
    let exists = dir.is_dir();
    let staging = staging_dir(dir, exists)?;
    // `create_dir`, not `create_dir_all`: the staging folder must be new (never someone's
    // folder or a link), and only a folder this run created is removed afterwards.
    if let Some(parent) = staging.parent() {
        std::fs::create_dir_all(parent).map_err(|e| with_path(e, parent))?;
    }
    std::fs::create_dir(&staging).map_err(|e| with_path(e, &staging))?;
    let result = stage_and_apply(dir, &staging, &plan, exists);
    if std::fs::symlink_metadata(&staging).is_ok_and(|m| m.is_dir()) {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result.map(|()| plan)
}

fn stage_and_apply(dir: &Path, staging: &Path, plan: &Plan, exists: bool) -> io::Result<()> {
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
        // Checked again right before the rename: no link may have appeared on the way.
        if let Existing::Refused(why) = inspect(dir, path, &BTreeSet::new())? {
            return Err(refusal(format!("{}: {why}", dir.join(path).display())));
        }
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
        || path.is_empty()
        || relative
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
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

/// Relative paths of the regular `.yaml`/`.yml` files below `dir`, skipping hidden entries and
/// never following a symbolic link (a linked folder is not descended, a linked file not listed).
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
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "yaml" || e == "yml")
            {
                if let Ok(relative) = path.strip_prefix(dir) {
                    found.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stacks() -> BTreeSet<String> {
        BTreeSet::from(["main".to_string()])
    }

    const OWNED: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: loki\n  labels:\n    app.kubernetes.io/managed-by: monitoring-stack\n  annotations:\n    monitoring-stack.dev/stack: main\n";

    #[test]
    fn ownership_is_decided_by_the_marks() {
        assert_eq!(classify(OWNED.as_bytes(), &stacks()), Ownership::Owned);
        // Another stack's file, a user's file, a user's document appended: not ours.
        let other = OWNED.replace("stack: main", "stack: other");
        for text in [
            other.as_str(),
            "# mine\n",
            "",
            &format!("{OWNED}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n"),
            "# app.kubernetes.io/managed-by monitoring-stack.dev/stack\n[[[",
        ] {
            assert!(
                matches!(classify(text.as_bytes(), &stacks()), Ownership::NotOurs(_)),
                "{text:?}"
            );
        }
        // Damaged, marks intact (as written, each ending its line): ours, to repair.
        let mut damaged = OWNED.as_bytes().to_vec();
        damaged.extend_from_slice(b"\xff\xfe: [");
        assert_eq!(classify(&damaged, &stacks()), Ownership::Damaged);
        // A prefix of the name is not the name.
        let mut other = OWNED
            .replace("stack: main", "stack: mainframe")
            .into_bytes();
        other.extend_from_slice(b"\xff");
        assert!(matches!(classify(&other, &stacks()), Ownership::NotOurs(_)));
    }

    #[test]
    fn marks_are_found_across_chunk_boundaries() {
        let dir = std::env::temp_dir().join(format!("ms-marks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        for padding in [0, (64 << 10) - 20, (64 << 10) - 5, 200 << 10] {
            let path = dir.join(format!("f{padding}.yaml"));
            let text = format!("# {}\n{OWNED}", "x".repeat(padding));
            std::fs::write(&path, &text).expect("write");
            assert!(holds_marks(&path).expect("read"), "{padding}");
            std::fs::write(&path, "x".repeat(padding) + "monitoring-stack.dev/stack")
                .expect("write");
            assert!(!holds_marks(&path).expect("read"), "{padding}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

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
