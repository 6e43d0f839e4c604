//! Helpers shared by the end-to-end tests that drive the real orchestrators (`kpt`, `kubectl
//! kustomize`) against the `monitoring-stack` binary: scratch directories, tool detection,
//! running commands with readable failures, file-tree snapshots and YAML object comparison.

#![allow(dead_code)]

use serde_yaml_ng::{Mapping, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The binary under test (absolute path; cargo builds it before the integration tests).
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_monitoring-stack"))
}

/// The crate's root directory.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed example, as text (comments included).
pub fn seed() -> String {
    read_text(&manifest_dir().join("krm/examples/seed.yaml"))
}

// ---------------------------------------------------------------------------------------------
// Scratch directories

/// A fresh directory below cargo's per-target scratch folder. Removed on drop, except when the
/// test is panicking: then it is kept and its path printed, for a post-mortem.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// `label` names the test, so a kept directory is easy to find.
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("e2e")
            .join(format!("{label}-{}-{n}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .unwrap_or_else(|e| panic!("cannot clear {}: {e}", path.display()));
        }
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.path.join(relative)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "(test directory kept for inspection: {})",
                self.path.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tools

/// The executable `name` on PATH, if any.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Whether every tool is installed. When one is missing: panics under `CI=true` (CI must have
/// them), otherwise prints a loud SKIPPED line and returns false so the test can return early.
pub fn require_tools(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| find_on_path(tool).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "{test}: required tool(s) not found on PATH: {}",
        missing.join(", ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message} (CI=true: the CI image must provide them)");
    }
    eprintln!("\n********************************************************************");
    eprintln!("SKIPPED: {message}");
    eprintln!("********************************************************************\n");
    false
}

// ---------------------------------------------------------------------------------------------
// Running commands

/// How long any single external command may take before the test gives up on it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The outcome of one command.
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// The command line (with environment overrides and working directory) for messages.
    pub command: String,
}

impl Run {
    /// stdout and stderr together, for "the output mentions X" checks.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// A report of the whole run, for failure messages.
    pub fn report(&self) -> String {
        format!(
            "command: {}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--------------",
            self.command,
            self.status,
            truncate(&self.stdout, 20_000),
            truncate(&self.stderr, 20_000),
        )
    }
}

fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n... ({} more bytes)", &text[..end], text.len() - end)
}

fn describe(command: &Command) -> String {
    let mut out = String::new();
    if let Some(dir) = command.get_current_dir() {
        let _ = write!(out, "(cd {} && ", dir.display());
    }
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => {
                let _ = write!(
                    out,
                    "{}={} ",
                    key.to_string_lossy(),
                    value.to_string_lossy()
                );
            }
            None => {
                let _ = write!(out, "-u {} ", key.to_string_lossy());
            }
        }
    }
    out.push_str(&command.get_program().to_string_lossy());
    for arg in command.get_args() {
        out.push(' ');
        out.push_str(&arg.to_string_lossy());
    }
    if command.get_current_dir().is_some() {
        out.push(')');
    }
    out
}

/// Runs the command with empty stdin and a timeout. Never panics on a non-zero exit.
///
/// A freshly written executable (a copied plugin, a fake `docker` script) can briefly be
/// "Text file busy" while another test thread forks; such runs are retried a few times.
pub fn run(command: &mut Command) -> Run {
    let mut attempt = 0;
    loop {
        let result = run_once(command);
        attempt += 1;
        let busy = !result.status.success()
            && result
                .output()
                .to_ascii_lowercase()
                .contains("text file busy");
        if !busy || attempt >= 5 {
            return result;
        }
        std::thread::sleep(Duration::from_millis(50 * attempt));
    }
}

fn run_once(command: &mut Command) -> Run {
    let description = describe(command);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{description}`: {e}"));
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = reader(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = reader(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                let out = stdout.join().unwrap_or_default();
                let err = stderr.join().unwrap_or_default();
                panic!(
                    "`{description}` did not finish within {COMMAND_TIMEOUT:?}; killed it\n\
                     --- stdout ---\n{out}\n--- stderr ---\n{err}"
                );
            }
            Err(e) => panic!("cannot wait for `{description}`: {e}"),
        }
    };
    Run {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        command: description,
    }
}

/// Runs the command and panics with its full output unless it exits 0.
pub fn run_ok(command: &mut Command) -> Run {
    let result = run(command);
    assert!(
        result.status.success(),
        "command failed, expected exit status 0\n{}",
        result.report()
    );
    result
}

/// Runs the command and panics with its full output if it exits 0.
pub fn run_fails(command: &mut Command) -> Run {
    let result = run(command);
    assert!(
        !result.status.success(),
        "command succeeded, expected a failure\n{}",
        result.report()
    );
    result
}

// ---------------------------------------------------------------------------------------------
// Files

pub fn write_file(path: &Path, content: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
    }
    std::fs::write(path, content)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

pub fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Writes an executable file (mode 0755).
pub fn write_executable(path: &Path, content: impl AsRef<[u8]>) {
    use std::os::unix::fs::PermissionsExt;
    write_file(path, content);
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
}

/// `text` with the single occurrence of `from` replaced by `to`; panics unless `from` occurs
/// exactly once (so a changed fixture cannot silently make a test vacuous).
pub fn replace_once(text: &str, from: &str, to: &str) -> String {
    let count = text.matches(from).count();
    assert_eq!(
        count, 1,
        "expected exactly one occurrence of {from:?} in:\n{text}"
    );
    text.replacen(from, to, 1)
}

/// Every file below `dir` (relative paths with `/`), with its bytes. Directories themselves are
/// not recorded, so an empty folder left behind does not count as a file.
pub type Tree = BTreeMap<String, Vec<u8>>;

pub fn snapshot(dir: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, tree: &mut Tree) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
            let path = entry.path();
            let kind = entry
                .file_type()
                .unwrap_or_else(|e| panic!("cannot stat {}: {e}", path.display()));
            if kind.is_dir() {
                walk(root, &path, tree);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("below the root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let bytes = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                tree.insert(relative, bytes);
            }
        }
    }
    let mut tree = Tree::new();
    walk(dir, dir, &mut tree);
    tree
}

/// A readable account of how two trees differ (empty when they are equal).
pub fn tree_diff(before: &Tree, after: &Tree) -> String {
    let mut out = String::new();
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        let _ = writeln!(out, "removed: {path}");
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        let _ = writeln!(out, "added:   {path}");
    }
    for (path, old) in before {
        if let Some(new) = after.get(path) {
            if old != new {
                let _ = writeln!(out, "changed: {path}");
                out.push_str(&text_diff(
                    &String::from_utf8_lossy(old),
                    &String::from_utf8_lossy(new),
                ));
            }
        }
    }
    out
}

pub fn assert_trees_equal(before: &Tree, after: &Tree, context: &str) {
    let diff = tree_diff(before, after);
    assert!(diff.is_empty(), "{context}: the file tree changed:\n{diff}");
}

/// A minimal line diff (`-` old, `+` new, with line numbers), at most 60 lines.
pub fn text_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Longest common subsequence table (files here are a few hundred lines at most).
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(format!("    -{:>4}| {}", i + 1, a[i]));
            i += 1;
        } else {
            lines.push(format!("    +{:>4}| {}", j + 1, b[j]));
            j += 1;
        }
    }
    if old.ends_with('\n') != new.ends_with('\n') {
        lines.push("    (trailing newline differs)".to_string());
    }
    let total = lines.len();
    let mut out: String = lines.into_iter().take(60).map(|l| l + "\n").collect();
    if total > 60 {
        let _ = writeln!(out, "    ... {} more differing lines", total - 60);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// YAML objects

/// The documents of a YAML stream (empty documents skipped).
pub fn parse_stream(text: &str, origin: &str) -> Vec<Value> {
    use serde::Deserialize;
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|document| {
            Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{origin} is not valid YAML: {e}\n{text}"))
        })
        .filter(|v| !v.is_null())
        .collect()
}

pub fn parse_file(path: &Path) -> Vec<Value> {
    parse_stream(&read_text(path), &path.display().to_string())
}

fn text(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// apiVersion, kind, namespace and name of an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ", self.api_version, self.kind)?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        write!(f, "{}", self.name)
    }
}

pub fn key(object: &Value) -> Key {
    let metadata = object.get("metadata");
    Key {
        api_version: text(object.get("apiVersion")),
        kind: text(object.get("kind")),
        namespace: text(metadata.and_then(|m| m.get("namespace"))),
        name: text(metadata.and_then(|m| m.get("name"))),
    }
}

pub fn api_group(object: &Value) -> String {
    text(object.get("apiVersion"))
        .rsplit_once('/')
        .map_or(String::new(), |(group, _)| group.to_string())
}

pub fn annotation<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object
        .get("metadata")?
        .get("annotations")?
        .get(name)?
        .as_str()
}

pub fn label<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object.get("metadata")?.get("labels")?.get(name)?.as_str()
}

/// The value with every mapping's entries sorted by key (recursively), so that equality and
/// printed forms ignore key order.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Mapping(map) => {
            let mut entries: Vec<(String, Value, Value)> = map
                .iter()
                .map(|(k, v)| {
                    let sort_key = serde_yaml_ng::to_string(k).unwrap_or_default();
                    (sort_key, canonical(k), canonical(v))
                })
                .collect();
            entries.sort_by(|x, y| x.0.cmp(&y.0));
            let mut sorted = Mapping::new();
            for (_, k, v) in entries {
                sorted.insert(k, v);
            }
            Value::Mapping(sorted)
        }
        Value::Sequence(items) => Value::Sequence(items.iter().map(canonical).collect()),
        Value::Tagged(tagged) => {
            let mut tagged = (**tagged).clone();
            tagged.value = canonical(&tagged.value);
            Value::Tagged(Box::new(tagged))
        }
        other => other.clone(),
    }
}

/// The objects keyed by identity, canonicalised; panics on two objects with the same identity.
pub fn by_key(objects: &[Value], origin: &str) -> BTreeMap<Key, Value> {
    let mut map = BTreeMap::new();
    for object in objects {
        let k = key(object);
        if map.insert(k.clone(), canonical(object)).is_some() {
            panic!("{origin}: two objects are {k}");
        }
    }
    map
}

fn to_yaml(value: &Value) -> String {
    serde_yaml_ng::to_string(value).unwrap_or_else(|e| format!("<unprintable: {e}>"))
}

/// Asserts the two object sets are equal regardless of order (of objects and of map keys);
/// on failure names missing, extra and differing objects with a diff of each.
pub fn assert_same_objects(expected: &[Value], actual: &[Value], context: &str) {
    let expected = by_key(expected, "expected objects");
    let actual = by_key(actual, context);
    let mut problems = String::new();
    for k in expected.keys().filter(|k| !actual.contains_key(*k)) {
        let _ = writeln!(problems, "missing: {k}");
    }
    for k in actual.keys().filter(|k| !expected.contains_key(*k)) {
        let _ = writeln!(problems, "unexpected: {k}");
    }
    for (k, want) in &expected {
        if let Some(got) = actual.get(k) {
            if want != got {
                let _ = writeln!(problems, "differs: {k}");
                problems.push_str(&text_diff(&to_yaml(want), &to_yaml(got)));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{context}: objects differ from the expected ones ({} expected, {} got):\n{problems}",
        expected.len(),
        actual.len()
    );
}

/// Kinds that are cluster-scoped (no namespace) among those this stack may generate.
pub const CLUSTER_SCOPED_KINDS: &[&str] = &[
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "PriorityClass",
    "PersistentVolume",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "APIService",
    "BucketClass",
    "BucketAccessClass",
];

pub fn is_cluster_scoped(object: &Value) -> bool {
    CLUSTER_SCOPED_KINDS.contains(&text(object.get("kind")).as_str())
}
