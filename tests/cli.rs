//! The `monitoring-stack` binary driven as orchestrators and users drive it: KRM mode on stdin,
//! `render`, the kustomize legacy-plugin call; bad input in every mode.

use serde_yaml_ng::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_monitoring-stack");

fn example(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("krm/examples")
            .join(name),
    )
    .expect("example")
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("binary finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout")
}

/// A ResourceList with the given items (YAML list entries) and functionConfig.
fn resource_list(items: &[&str], config: Option<&str>) -> String {
    let mut text =
        String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    if items.is_empty() {
        text = String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n");
    }
    for item in items {
        for (i, line) in item.lines().enumerate() {
            text.push_str(if i == 0 { "- " } else { "  " });
            text.push_str(line);
            text.push('\n');
        }
    }
    if let Some(config) = config {
        text.push_str("functionConfig:\n");
        for line in config.lines() {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

fn parse(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("output is one YAML document")
}

fn items(list: &Value) -> Vec<Value> {
    list.get("items")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default()
}

fn results(list: &Value) -> Vec<Value> {
    list.get("results")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default()
}

const UNRELATED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n  annotations:\n    internal.config.kubernetes.io/id: \"7\"\n    config.kubernetes.io/path: apps/web.yaml\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        args: [\"--port\", \"8080\"]\n";
const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  enabled: \"yes\"\n  date: \"2024-01-01\"\n  time: \"12:30\"\n  mode: \"0755\"\n  script: |\n    #!/bin/sh\n    echo hi\n";

#[test]
fn krm_mode_generates_and_passes_everything_else_through() {
    let input = resource_list(&[UNRELATED, CONFIG_MAP], Some(&example("seed.yaml")));
    let output = run(&[], input.as_bytes());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list = parse(&stdout(&output));
    let out_items = items(&list);
    let input_items = items(&parse(&input));
    // Unrelated items first, unchanged (every field and annotation), then the generated objects.
    assert_eq!(&out_items[..2], &input_items[..]);
    assert!(out_items.len() > 20);
    assert!(list.get("functionConfig").is_some());
    let info = results(&list);
    assert_eq!(info.len(), 1);
    assert_eq!(
        info[0].get("severity").and_then(Value::as_str),
        Some("info")
    );
}

#[test]
fn krm_mode_is_idempotent_byte_for_byte() {
    let input = resource_list(&[UNRELATED, CONFIG_MAP], Some(&example("seed.yaml")));
    let first = stdout(&run(&[], input.as_bytes()));
    let second = stdout(&run(&[], first.as_bytes()));
    assert_eq!(first, second);
}

#[test]
fn json_input_is_accepted() {
    let yaml_input = resource_list(&[CONFIG_MAP], Some(&example("minimal.yaml")));
    let as_json = serde_json::to_string(&parse(&yaml_input)).expect("json");
    let from_json = run(&[], as_json.as_bytes());
    assert!(from_json.status.success());
    // Unchanged items come back as their JSON text (a YAML flow mapping): the same values.
    assert_eq!(
        parse(&stdout(&from_json)),
        parse(&stdout(&run(&[], yaml_input.as_bytes())))
    );
    assert!(stdout(&from_json).contains("\n- {\"apiVersion\":\"v1\""));
}

#[test]
fn stack_as_item_and_as_function_config_is_one_stack() {
    let stack = example("seed.yaml");
    let both = resource_list(&[&stack], Some(&stack));
    let output = run(&[], both.as_bytes());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let as_item_only = run(&[], resource_list(&[&stack], None).as_bytes());
    assert!(as_item_only.status.success());
    assert_eq!(
        items(&parse(&stdout(&output))),
        items(&parse(&stdout(&as_item_only)))
    );
}

#[test]
fn switching_a_component_off_prunes_only_its_objects() {
    let first = stdout(&run(
        &[],
        resource_list(&[UNRELATED], Some(&example("seed.yaml"))).as_bytes(),
    ));
    let mut previous = items(&parse(&first));
    // An object of another stack and one without the managed-by label, both named like ours.
    let foreign: Value = serde_yaml_ng::from_str(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loki-extra\n  namespace: loki\n  labels: {app.kubernetes.io/managed-by: monitoring-stack}\n  annotations: {monitoring-stack.dev/stack: other}\n",
    )
    .expect("yaml");
    let unlabelled: Value = serde_yaml_ng::from_str(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loki-notes\n  namespace: loki\n  annotations: {monitoring-stack.dev/stack: main}\n",
    )
    .expect("yaml");
    previous.push(foreign.clone());
    previous.push(unlabelled.clone());
    let config = example("seed.yaml").replace("  loki:\n", "  loki:\n    enabled: false\n");
    let mut list = parse(&resource_list(&[], Some(&config)));
    list.as_mapping_mut()
        .expect("mapping")
        .insert("items".into(), Value::Sequence(previous));
    let output = run(
        &[],
        serde_yaml_ng::to_string(&list).expect("yaml").as_bytes(),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = items(&parse(&stdout(&output)));
    let names: Vec<String> = after
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap_or(""),
                o["metadata"]["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(
        !names.contains(&"HelmRelease/loki".to_string()),
        "{names:?}"
    );
    assert!(!names.contains(&"Namespace/loki".to_string()), "{names:?}");
    assert!(
        !names.contains(&"Kustomization/loki".to_string()),
        "{names:?}"
    );
    assert!(after.contains(&foreign) && after.contains(&unlabelled));
    assert!(names.contains(&"HelmRelease/mimir".to_string()));
    assert_eq!(
        after[0],
        items(&parse(&first))[0],
        "the unrelated item is untouched"
    );
}

/// Bad input: each case exits 1, names the field, and returns every input item unchanged.
#[test]
fn bad_input_is_reported_with_the_field_and_nothing_is_lost() {
    let seed = example("seed.yaml");
    let cases: Vec<(&str, String, Option<&str>, &str)> = vec![
        ("not YAML", "items: [\n".into(), None, "not valid YAML"),
        (
            "not a ResourceList",
            "apiVersion: v1\nkind: ConfigMap\n".into(),
            Some("apiVersion"),
            "unsupported ResourceList apiVersion",
        ),
        (
            "wrong stack apiVersion",
            resource_list(&[CONFIG_MAP], Some(&seed.replace("v1alpha1", "v1beta3"))),
            Some("apiVersion"),
            "unsupported apiVersion",
        ),
        (
            "unknown field",
            resource_list(
                &[CONFIG_MAP],
                Some(&seed.replace("  loki:\n", "  loki:\n    retntion: 7d\n")),
            ),
            Some("spec.loki.retntion"),
            "did you mean `retention`",
        ),
        (
            "invalid name",
            resource_list(
                &[CONFIG_MAP],
                Some(&seed.replace("name: main", "name: Main_Stack")),
            ),
            Some("metadata.name"),
            "DNS-1123",
        ),
        (
            "two stacks with the same name",
            resource_list(&[&seed, &seed], None),
            Some("metadata.name"),
            "two MonitoringStacks are named",
        ),
        (
            "empty list",
            resource_list(&[], None),
            None,
            "no MonitoringStack",
        ),
        (
            "invalid retention",
            resource_list(
                &[CONFIG_MAP],
                Some(&seed.replace("retention: 30d", "retention: thirty")),
            ),
            Some("spec.loki.retention"),
            "retention period",
        ),
        (
            "item that is not an object",
            resource_list(&["42"], Some(&seed)),
            Some("items[0]"),
            "not an object",
        ),
    ];
    for (name, input, field, needle) in cases {
        let output = run(&[], input.as_bytes());
        assert_eq!(output.status.code(), Some(1), "{name}: exit status");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(needle),
            "{name}: stderr lacks {needle:?}: {stderr}"
        );
        let list = parse(&stdout(&output));
        let all = results(&list);
        let errors: Vec<&Value> = all
            .iter()
            .filter(|r| r.get("severity").and_then(Value::as_str) == Some("error"))
            .collect();
        assert!(!errors.is_empty(), "{name}: no error result");
        let found = errors.iter().any(|r| {
            r.get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| m.contains(needle))
                && field.is_none_or(|f| {
                    r.get("field")
                        .and_then(|x| x.get("path"))
                        .and_then(Value::as_str)
                        == Some(f)
                })
        });
        assert!(
            found,
            "{name}: no error result with field {field:?} and {needle:?}: {errors:?}"
        );
        // Nothing lost: the input's items come back as they were.
        if let Ok(input_list) = serde_yaml_ng::from_str::<Value>(&input) {
            if input_list.get("kind").and_then(Value::as_str) == Some("ResourceList") {
                assert_eq!(items(&list), items(&input_list), "{name}: items changed");
            }
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "monitoring-stack-cli-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).expect("below").display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn render_writes_the_seed_tree() {
    let dir = temp_dir("tree");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/seed.yaml");
    let output = run(
        &[
            "render",
            seed.to_str().expect("utf-8"),
            "--output-dir",
            dir.to_str().expect("utf-8"),
        ],
        b"",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files = files_under(&dir);
    for expected in [
        "kustomization.yaml",
        "kustomizations.yaml",
        "sources.yaml",
        "loki/release/helmrelease.yaml",
        "loki/s3-setup.yaml",
        "mimir/namespace.yaml",
        "node-exporter/helmrelease.yaml",
    ] {
        assert!(
            files.contains(&expected.to_string()),
            "{expected} missing: {files:?}"
        );
    }
    let release = std::fs::read_to_string(dir.join("loki/release/helmrelease.yaml")).expect("file");
    assert!(
        !release.contains("config.kubernetes.io/path"),
        "plain manifests carry no path annotations"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn render_writes_nothing_on_error() {
    let dir = temp_dir("error");
    let bad = dir.join("stack.yaml");
    std::fs::write(
        &bad,
        example("seed.yaml").replace("storageClass: ssd-replicated-retain", "storageClass: SSD"),
    )
    .expect("write");
    let out = dir.join("out");
    let output = run(
        &[
            "render",
            bad.to_str().expect("utf-8"),
            "--output-dir",
            out.to_str().expect("utf-8"),
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("spec.cluster.storageClass"), "{stderr}");
    assert!(stderr.contains("stack.yaml"), "the file is named: {stderr}");
    assert!(!out.exists(), "nothing may be written on error");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn render_to_stdout_and_from_stdin_agree() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/seed.yaml");
    let from_file = run(&["render", seed.to_str().expect("utf-8")], b"");
    let from_stdin = run(&["render", "-"], example("seed.yaml").as_bytes());
    assert!(from_file.status.success() && from_stdin.status.success());
    assert_eq!(from_file.stdout, from_stdin.stdout);
    let text = stdout(&from_file);
    assert!(
        !text.contains("kustomize.config.k8s.io"),
        "local-config objects stay out of the stream"
    );
    assert!(text.contains("kind: HelmRelease"));
}

#[test]
fn legacy_plugin_call_prints_the_manifests() {
    let config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/kustomize/legacy-plugin/stack.yaml");
    let output = run(&[config.to_str().expect("utf-8")], b"");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stdout(&output);
    assert!(
        text.starts_with("apiVersion: v1\nkind: Namespace\n"),
        "{}",
        &text[..200.min(text.len())]
    );
    assert!(
        !text.contains("kind: Kustomization"),
        "flat layout: no Flux Kustomizations"
    );
}

#[test]
fn help_version_and_usage_errors() {
    let help = run(&["--help"], b"");
    assert!(help.status.success() && stdout(&help).contains("render FILE"));
    let version = run(&["--version"], b"");
    assert_eq!(
        stdout(&version),
        format!("monitoring-stack {}\n", env!("CARGO_PKG_VERSION"))
    );
    let bad = run(&["render"], b"");
    assert_eq!(bad.status.code(), Some(2));
    let missing = run(&["render", "/nonexistent/stack.yaml"], b"");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
}

fn render_dir(stack: &Path, dir: &Path, check: bool) -> Output {
    let mut args = vec![
        "render",
        stack.to_str().expect("utf-8"),
        "--output-dir",
        dir.to_str().expect("utf-8"),
    ];
    if check {
        args.push("--check");
    }
    run(&args, b"")
}

#[test]
fn output_dir_updates_prunes_its_own_files_and_keeps_others() {
    let dir = temp_dir("update");
    let stack = dir.join("stack.yaml");
    std::fs::write(&stack, example("seed.yaml")).expect("write");
    let out = dir.join("tree");
    assert!(render_dir(&stack, &out, false).status.success());
    // A file of the user's in the tree, and one of another tool.
    std::fs::write(
        out.join("loki/notes.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\n",
    )
    .expect("write");
    std::fs::write(out.join("README.md"), "mine\n").expect("write");
    let before = files_under(&out);

    std::fs::write(
        &stack,
        example("seed.yaml").replace("  loki:\n", "  loki:\n    enabled: false\n"),
    )
    .expect("write");
    let output = render_dir(&stack, &out, false);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = files_under(&out);
    assert!(
        !after
            .iter()
            .any(|f| f.starts_with("loki/") && f != "loki/notes.yaml"),
        "{after:?}"
    );
    assert!(
        after.contains(&"loki/notes.yaml".to_string()) && after.contains(&"README.md".to_string())
    );
    assert!(after.contains(&"mimir/release/helmrelease.yaml".to_string()));
    assert!(before.len() > after.len());
    assert!(
        !after.iter().any(|f| f.contains("staging")),
        "no staging leftovers: {after:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_reports_drift_as_a_unified_diff() {
    let dir = temp_dir("check");
    let stack = dir.join("stack.yaml");
    std::fs::write(&stack, example("seed.yaml")).expect("write");
    let out = dir.join("tree");
    // A missing tree is all drift.
    assert_eq!(render_dir(&stack, &out, true).status.code(), Some(1));
    assert!(!out.exists(), "--check writes nothing");
    assert!(render_dir(&stack, &out, false).status.success());
    let clean = render_dir(&stack, &out, true);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(clean.stdout.is_empty());

    let release = out.join("mimir/release/helmrelease.yaml");
    let edited = std::fs::read_to_string(&release)
        .expect("file")
        .replace("replicas: 3", "replicas: 5");
    std::fs::write(&release, &edited).expect("write");
    std::fs::write(
        &stack,
        example("seed.yaml").replace("  loki:\n", "  loki:\n    enabled: false\n"),
    )
    .expect("write");
    let drift = render_dir(&stack, &out, true);
    assert_eq!(drift.status.code(), Some(1));
    let diff = stdout(&drift);
    assert!(
        diff.contains(
            "--- a/mimir/release/helmrelease.yaml\n+++ b/mimir/release/helmrelease.yaml\n"
        ),
        "{diff}"
    );
    let removed = diff
        .lines()
        .any(|l| l.starts_with('-') && l.trim_start_matches('-').trim() == "replicas: 5");
    let added = diff
        .lines()
        .any(|l| l.starts_with('+') && l.trim_start_matches('+').trim() == "replicas: 3");
    assert!(removed && added, "{diff}");
    assert!(
        diff.contains("--- a/loki/namespace.yaml"),
        "stale files show as removals: {diff}"
    );
    assert_eq!(
        std::fs::read_to_string(&release).expect("file"),
        edited,
        "--check changes nothing"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unwritable_target_fails_cleanly() {
    let dir = temp_dir("unwritable");
    let stack = Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/seed.yaml");
    // A regular file where a directory is needed: no user, root included, can write below it.
    let blocker = dir.join("blocker");
    std::fs::write(&blocker, "not a directory\n").expect("write");
    let output = render_dir(&stack, &blocker.join("tree"), false);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write to"));
    assert_eq!(files_under(&dir), ["blocker"], "nothing half-written");
    // A file, or a dangling link, where the tree goes is never replaced by it.
    let output = render_dir(&stack, &blocker, false);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a folder"));
    assert_eq!(
        std::fs::read_to_string(&blocker).expect("kept"),
        "not a directory\n"
    );
    #[cfg(unix)]
    {
        let link = dir.join("dangling");
        std::os::unix::fs::symlink(dir.join("nowhere"), &link).expect("link");
        assert_eq!(render_dir(&stack, &link, false).status.code(), Some(2));
        assert!(std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()));
        std::fs::remove_file(&link).expect("unlink");
    }
    let usage = run(&["render", stack.to_str().expect("utf-8"), "--check"], b"");
    assert_eq!(usage.status.code(), Some(2), "--check needs --output-dir");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 16, class 1: a file without this stack's ownership marks at a path the render
/// generates is never replaced: the render refuses, names the file, says what to do, and
/// writes nothing at all. Generated local-config files (`kustomization.yaml`) carry the marks,
/// so a re-render still replaces them.
#[test]
fn output_dir_refuses_to_replace_a_file_it_did_not_generate() {
    let dir = temp_dir("foreign");
    let stack = Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/seed.yaml");
    let out = dir.join("o");
    std::fs::create_dir_all(out.join("loki")).expect("mkdir");
    for (path, content) in [
        ("kustomization.yaml", "# mine\n"),
        (
            "loki/namespace.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: loki\n",
        ),
    ] {
        std::fs::write(out.join(path), content).expect("write");
        let output = render_dir(&stack, &out, false);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(path), "names the file: {stderr}");
        assert!(stderr.contains("did not generate"), "{stderr}");
        assert!(stderr.contains("refusing to write"), "{stderr}");
        assert!(
            stderr.contains("move it out"),
            "says how to proceed: {stderr}"
        );
        assert_eq!(
            std::fs::read_to_string(out.join(path)).expect("kept"),
            content
        );
        assert_eq!(files_under(&out), [path], "nothing else written");
        // --check reports it too, without changing anything.
        let check = render_dir(&stack, &out, true);
        assert_eq!(check.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&check.stderr).contains("refuse"));
        std::fs::remove_file(out.join(path)).expect("move away");
    }
    // Moved away: the render works, and a re-render replaces its own kustomization.yaml.
    assert!(render_dir(&stack, &out, false).status.success());
    let kustomization = out.join("kustomization.yaml");
    let edited = std::fs::read_to_string(&kustomization).expect("file") + "# edited\n";
    std::fs::write(&kustomization, &edited).expect("write");
    let output = render_dir(&stack, &out, false);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!std::fs::read_to_string(&kustomization)
        .expect("file")
        .contains("# edited"));
    // A user's document appended to a generated file makes it the user's as well: refused.
    let namespace = out.join("mimir/namespace.yaml");
    let mixed = std::fs::read_to_string(&namespace).expect("file")
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n";
    std::fs::write(&namespace, &mixed).expect("write");
    assert_eq!(render_dir(&stack, &out, false).status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&namespace).expect("kept"), mixed);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 16, class 2: a generated folder or file replaced by a symbolic link (to anywhere) is
/// never written through: the render refuses and names the link; links elsewhere in the tree
/// are neither followed nor removed.
#[cfg(unix)]
#[test]
fn output_dir_never_follows_a_symbolic_link() {
    let dir = temp_dir("symlink");
    let stack = Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/seed.yaml");
    let out = dir.join("o");
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    assert!(render_dir(&stack, &out, false).status.success());
    // A folder replaced by a link.
    std::fs::remove_dir_all(out.join("loki")).expect("rm");
    std::os::unix::fs::symlink(&elsewhere, out.join("loki")).expect("link");
    let output = render_dir(&stack, &out, false);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("loki is a symbolic link"), "{stderr}");
    assert!(
        files_under(&elsewhere).is_empty(),
        "written through the link"
    );
    std::fs::remove_file(out.join("loki")).expect("unlink");
    assert!(render_dir(&stack, &out, false).status.success());
    // A file replaced by a link to a file outside.
    let target = elsewhere.join("secret.yaml");
    std::fs::write(&target, "outside\n").expect("write");
    std::fs::remove_file(out.join("sources.yaml")).expect("rm");
    std::os::unix::fs::symlink(&target, out.join("sources.yaml")).expect("link");
    let output = render_dir(&stack, &out, false);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("sources.yaml is a symbolic link"));
    assert_eq!(std::fs::read_to_string(&target).expect("kept"), "outside\n");
    std::fs::remove_file(out.join("sources.yaml")).expect("unlink");
    // A link the render does not need (even to one of its own files) is left alone.
    std::fs::write(
        elsewhere.join("stale.yaml"),
        std::fs::read_to_string(out.join("namespace.yaml")).unwrap_or_default(),
    )
    .expect("write");
    assert!(render_dir(&stack, &out, false).status.success());
    std::os::unix::fs::symlink(elsewhere.join("stale.yaml"), out.join("linked.yaml"))
        .expect("link");
    assert!(render_dir(&stack, &out, false).status.success());
    assert!(out.join("linked.yaml").exists() && elsewhere.join("stale.yaml").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 16, class 7: a generated file, however damaged (invalid UTF-8, broken YAML), is
/// repaired by rendering again, and `--check` reports it as drift (exit 1 with a diff), as long
/// as it still holds this stack's marks as the render writes them. A file at a generated path
/// without them is the user's: refused, never replaced.
#[test]
fn damaged_generated_files_are_drift_and_repaired_by_a_render() {
    let dir = temp_dir("damaged");
    let stack = Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/seed.yaml");
    let out = dir.join("o");
    assert!(render_dir(&stack, &out, false).status.success());
    let file = out.join("mimir/namespace.yaml");
    let good = std::fs::read(&file).expect("file");
    for damage in [&b"\xff\xfe\x00"[..], b"key: [unclosed\n\t- x: {"] {
        let mut damaged = good.clone();
        damaged.extend_from_slice(damage);
        std::fs::write(&file, &damaged).expect("write");
        let check = render_dir(&stack, &out, true);
        let stderr = String::from_utf8_lossy(&check.stderr);
        assert_eq!(check.status.code(), Some(1), "{stderr}");
        assert!(stdout(&check).contains("--- a/mimir/namespace.yaml"));
        let render = render_dir(&stack, &out, false);
        assert!(
            render.status.success(),
            "{}",
            String::from_utf8_lossy(&render.stderr)
        );
        assert_eq!(std::fs::read(&file).expect("file"), good, "repaired");
        assert_eq!(render_dir(&stack, &out, true).status.code(), Some(0));
    }
    // Damaged beyond recognition (no marks left): not provably ours, so refused.
    std::fs::write(&file, b"\xff\xfe garbage").expect("write");
    assert_eq!(render_dir(&stack, &out, false).status.code(), Some(2));
    assert_eq!(std::fs::read(&file).expect("kept"), b"\xff\xfe garbage");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 16, class 4a: unrelated files in the output directory are read only as far as needed
/// to see they cannot be ours: a deeply nested or huge file costs no parse (it used to take
/// seconds and gigabytes), and a file that names the marks is parsed within the input limits.
#[test]
fn unrelated_files_in_the_output_dir_are_cheap() {
    let dir = temp_dir("cheap");
    let stack = Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/seed.yaml");
    let out = dir.join("o");
    assert!(render_dir(&stack, &out, false).status.success());
    let deep = "[".repeat(60_000) + &"]".repeat(60_000);
    std::fs::write(out.join("deep.yaml"), &deep).expect("write");
    // The same nesting behind the marks' text: parsed, but the depth guard stops it at once.
    std::fs::write(
        out.join("deep-marked.yaml"),
        format!("# app.kubernetes.io/managed-by monitoring-stack.dev/stack\n{deep}"),
    )
    .expect("write");
    // Over the input limit: not even read.
    let big = std::fs::File::create(out.join("big.yaml")).expect("create");
    big.set_len(40 << 20).expect("sparse file");
    let started = std::time::Instant::now();
    for check in [true, false] {
        let output = render_dir(&stack, &out, check);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    for kept in ["deep.yaml", "deep-marked.yaml", "big.yaml"] {
        assert!(out.join(kept).exists(), "{kept} kept");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `prerequisites FILE` prints the table the README shows for the seed; a bad stack is an
/// error naming the field.
#[test]
fn prerequisites_prints_the_table_and_refuses_a_bad_stack() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/seed.yaml");
    let output = run(&["prerequisites", &seed.display().to_string()], b"");
    assert!(output.status.success(), "{output:?}");
    let table = stdout(&output);
    assert!(
        table.starts_with("| kind | name | spec field | needed for |"),
        "{table}"
    );
    assert!(
        table.contains("| StorageClass | `ssd-replicated-retain` | `cluster.storageClass` |"),
        "{table}"
    );
    assert!(
        table.contains("| Secret | `grafana/grafana-slack-webhook` key `url` |"),
        "{table}"
    );
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    assert!(
        readme.contains(&table),
        "README's prerequisites section is not the seed's table"
    );
    let bad = b"apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: main}\nspec: {cluster: {storageClss: x}, grafana: {hostname: g.example.com}}\n";
    let output = run(&["prerequisites", "-"], bad);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("spec.cluster.storageClss"));
}

#[test]
fn render_report_lists_each_source_its_interval_and_what_passes_the_allow_lists() {
    let path = format!(
        "{}/krm/examples/collectors-full.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let output = run(&["render", &path, "--report"], b"");
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    for row in [
        "| pod logs | alloy-logs |",
        "| events | alloy-events | Kubernetes events of default, kube-system, apps | - | kubernetes-events |",
        "| node journal | alloy-node-logs |",
        "| kubelet | alloy-metrics | every node, :10250/metrics | 60s | kubelet | 43 (allow-list) |",
        "| API server | alloy-metrics |",
        "| kube-scheduler | alloy-metrics |",
        "| etcd | alloy-metrics |",
        "| annotated pods | alloy-metrics |",
        "| kube-state-metrics | alloy-metrics (chart ServiceMonitor) |",
        "## cAdvisor (job `cadvisor`): kept metric names",
        "- container_oom_events_total",
    ] {
        assert!(text.contains(row), "missing {row:?} in:\n{text}");
    }
    // The report replaces the manifests; with --output-dir it is a usage error.
    assert!(!text.contains("apiVersion:"));
    let output = run(&["render", &path, "--report", "--output-dir", "x"], b"");
    assert_eq!(output.status.code(), Some(2));
    // An invalid stack: the errors, exit 1.
    let output = run(
        &["render", "-", "--report"],
        b"apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: main}\nspec:\n  grafana: {hostname: g.example.com}\n  alloy: {metrics: {allowLists: {kubelet: ['9bad']}}}\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("allowLists.kubelet"));
}
