//! End-to-end tests under the real `kpt` (1.0.0-beta.56): `kpt fn render` of a package whose
//! Kptfile runs the binary as an `exec:` mutator, and `kpt fn eval --exec` with a function
//! config from outside the package. Each test works in its own scratch directory.
//!
//! Without `kpt` on PATH the tests print SKIPPED and pass, except under `CI=true`, where they fail.

mod tools;

use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use tools::{Run, TempDir, Tree};

/// Files the generator writes at the package root (flux layout).
const ROOT_FILES: &[&str] = &[
    "namespace.yaml",
    "sources.yaml",
    "prometheus-crds/helmrelease.yaml",
    "kustomizations.yaml",
    "kustomization.yaml",
];

/// One folder per component, each reconciled by the Flux Kustomization of the same name.
const COMPONENTS: &[&str] = &[
    "grafana-operator",
    "grafana",
    "loki",
    "mimir",
    "alloy-operator",
    "alloy",
    "kube-state-metrics",
    "node-exporter",
];

/// Components whose folder holds a `helmrelease.yaml` today.
const WITH_HELMRELEASE: &[&str] = &[
    "grafana-operator",
    "loki",
    "mimir",
    "alloy-operator",
    "kube-state-metrics",
    "node-exporter",
];

/// Components applied in two stages: the folder (storage, credentials Job), then
/// `<folder>/release/` (the HelmRelease) by the Kustomization `<folder>-release`.
const STAGED: &[&str] = &["loki", "mimir"];

/// Where a component's HelmRelease file is.
fn helmrelease_file(component: &str) -> String {
    if STAGED.contains(&component) {
        format!("{component}/release/helmrelease.yaml")
    } else {
        format!("{component}/helmrelease.yaml")
    }
}

/// The folder a Flux Kustomization applies, relative to the tree's root.
fn kustomization_folder(name: &str) -> String {
    match name.strip_suffix("-release") {
        Some(component) if STAGED.contains(&component) => format!("{component}/release"),
        _ => name.to_string(),
    }
}

/// `spec.flux.path` of the seed example.
const FLUX_PATH: &str = "./k8s/clusters/main/infrastructure/monitoring";

const STACK_FILE: &str = "monitoring-stack.yaml";

/// An unrelated resource with full-line and inline comments and values whose quoting style a
/// re-serialisation may change (the parsed data must not change).
const APP_CONFIGMAP: &str = r#"# Settings of the app; not generated, must survive every render.
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-settings
  namespace: apps # the app's own namespace
  annotations:
    note: 'single quoted'
data:
  # the log level
  level: debug # inline comment on a value
  enabled: "true"
  port: '8080'
  answer: 'yes'
  start: "2024-01-01"
  window: 30d
"#;

/// Unrelated files exactly as `kubectl create ... --dry-run=client -o yaml` (kubectl v1.32)
/// writes them: no YAML-1.1-ambiguous value is left unquoted, so nothing needs re-quoting.
const KUBECTL_FILES: &[(&str, &str)] = &[
    (
        "web/deployment.yaml",
        // kubectl create deployment web --image=nginx:1.27 --port=8080 -n apps
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
  namespace: apps
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: nginx:1.27
        name: nginx
        ports:
        - containerPort: 8080
        resources: {}
status: {}
"#,
    ),
    (
        "web/configmap.yaml",
        // kubectl create configmap web-env --from-literal=PORT=8080 --from-literal=MODE=production
        //   --from-literal=FLAG=true --from-literal=START=2024-01-01 -n apps
        r#"apiVersion: v1
data:
  FLAG: "true"
  MODE: production
  PORT: "8080"
  START: "2024-01-01"
kind: ConfigMap
metadata:
  creationTimestamp: null
  name: web-env
  namespace: apps
"#,
    ),
    (
        "web/service.yaml",
        // kubectl create service clusterip web --tcp=80:8080 -n apps
        r#"apiVersion: v1
kind: Service
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
  namespace: apps
spec:
  ports:
  - name: 80-8080
    port: 80
    protocol: TCP
    targetPort: 8080
  selector:
    app: web
  type: ClusterIP
status:
  loadBalancer: {}
"#,
    ),
];

// ---------------------------------------------------------------------------------------------
// Fixtures

fn kpt_available(test: &str) -> bool {
    tools::require_tools(test, &["kpt"])
}

/// The seed example marked local-config (it is tool configuration, not a cluster object).
fn stack_yaml() -> String {
    tools::replace_once(
        &tools::seed(),
        "metadata:\n  name: main\n",
        "metadata:\n  name: main\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n",
    )
}

fn kptfile() -> String {
    format!(
        r#"apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: monitoring
  annotations:
    config.kubernetes.io/local-config: "true"
pipeline:
  mutators:
  - exec: {}
    configPath: {STACK_FILE}
"#,
        tools::binary().display()
    )
}

/// A kpt package: Kptfile, the stack and one unrelated ConfigMap. Returns its directory.
fn new_package(tmp: &TempDir) -> PathBuf {
    let dir = tmp.join("monitoring");
    tools::write_file(&dir.join("Kptfile"), kptfile());
    tools::write_file(&dir.join(STACK_FILE), stack_yaml());
    tools::write_file(&dir.join("apps/configmap.yaml"), APP_CONFIGMAP);
    dir
}

fn render(dir: &Path) -> Run {
    tools::run_ok(
        Command::new("kpt")
            .args(["fn", "render", "--allow-exec"])
            .arg(dir),
    )
}

/// The paths of a tree that the generator wrote, i.e. all but the given user files.
fn generated_paths<'a>(tree: &'a Tree, user_files: &[&str]) -> BTreeSet<&'a str> {
    tree.keys()
        .map(String::as_str)
        .filter(|p| !user_files.contains(p))
        .collect()
}

fn component_of(path: &str) -> Option<&str> {
    path.split_once('/').map(|(folder, _)| folder)
}

fn assert_required_files(tree: &Tree, context: &str) {
    let mut missing = Vec::new();
    for file in ROOT_FILES {
        if !tree.contains_key(*file) {
            missing.push(file.to_string());
        }
    }
    for component in COMPONENTS {
        let file = format!("{component}/namespace.yaml");
        if !tree.contains_key(&file) {
            missing.push(file);
        }
    }
    for component in WITH_HELMRELEASE {
        let file = helmrelease_file(component);
        if !tree.contains_key(&file) {
            missing.push(file);
        }
    }
    assert!(
        missing.is_empty(),
        "{context}: generated files missing: {missing:?}\nfiles: {:#?}",
        tree.keys().collect::<Vec<_>>()
    );
}

/// Every generated file is one of the root files or lies in a component folder.
fn assert_only_known_locations(generated: &BTreeSet<&str>, context: &str) {
    let stray: Vec<&&str> = generated
        .iter()
        .filter(|path| {
            !ROOT_FILES.contains(path)
                && !component_of(path).is_some_and(|folder| COMPONENTS.contains(&folder))
        })
        .collect();
    assert!(
        stray.is_empty(),
        "{context}: generated files outside the root files and component folders: {stray:?}"
    );
}

/// The objects of one file of a tree.
fn objects_in(tree: &Tree, path: &str) -> Vec<Value> {
    let bytes = tree
        .get(path)
        .unwrap_or_else(|| panic!("{path} is missing; files: {:?}", tree.keys()));
    tools::parse_stream(&String::from_utf8_lossy(bytes), path)
}

/// Full-line comments, and the comment part of lines with an inline comment.
fn comments(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with('#') {
                Some(trimmed.to_string())
            } else {
                line.find(" #").map(|at| line[at + 1..].to_string())
            }
        })
        .collect()
}

/// The file still parses to the same data and still carries every comment it had.
fn assert_same_data_and_comments(dir: &Path, path: &str, original: &str, context: &str) {
    let file = dir.join(path);
    assert!(file.is_file(), "{context}: {path} was deleted");
    let now = tools::read_text(&file);
    let before: Vec<Value> = tools::parse_stream(original, path)
        .iter()
        .map(tools::canonical)
        .collect();
    let after: Vec<Value> = tools::parse_stream(&now, path)
        .iter()
        .map(tools::canonical)
        .collect();
    assert!(
        before == after,
        "{context}: the data of {path} changed:\n{}",
        tools::text_diff(original, &now)
    );
    let lost: Vec<String> = comments(original)
        .into_iter()
        .filter(|comment| !now.contains(comment.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{context}: comments of {path} were lost: {lost:?}\nnow:\n{now}"
    );
}

/// The generated files as `monitoring-stack render --output-dir` writes them for the same stack.
fn cli_tree(tmp: &TempDir, stack_file: &Path) -> Tree {
    let out = tmp.join("cli-output");
    tools::run_ok(
        Command::new(tools::binary())
            .arg("render")
            .arg(stack_file)
            .arg("--output-dir")
            .arg(&out),
    );
    tools::snapshot(&out)
}

/// The Flux side of the tree is consistent: the root kustomization lists every root manifest,
/// one Flux Kustomization per component folder points at that folder, dependencies exist, and
/// the objects in a folder live in the namespace Flux will put them in.
fn assert_flux_tree_consistent(tree: &Tree, components: &[&str], flux_path: &str, context: &str) {
    // Root kustomization.yaml: tool configuration listing the root manifests.
    let root = objects_in(tree, "kustomization.yaml");
    assert_eq!(
        root.len(),
        1,
        "{context}: kustomization.yaml holds one object"
    );
    let root = &root[0];
    assert_eq!(
        tools::api_group(root),
        "kustomize.config.k8s.io",
        "{context}"
    );
    assert_eq!(tools::key(root).kind, "Kustomization", "{context}");
    let resources: BTreeSet<&str> = root
        .get("resources")
        .and_then(Value::as_sequence)
        .unwrap_or_else(|| panic!("{context}: kustomization.yaml has no resources list"))
        .iter()
        .map(|r| r.as_str().expect("resource entries are strings"))
        .collect();
    let root_manifests: BTreeSet<&str> = ROOT_FILES
        .iter()
        .copied()
        // prometheus-crds/ is applied by its own Flux Kustomization, like a component folder.
        .filter(|f| *f != "kustomization.yaml" && !f.contains('/'))
        .collect();
    assert_eq!(
        resources, root_manifests,
        "{context}: kustomization.yaml must list exactly the root manifests"
    );

    // Flux Kustomizations: one per enabled component.
    let kustomizations = objects_in(tree, "kustomizations.yaml");
    let mut names = BTreeSet::new();
    for object in &kustomizations {
        let key = tools::key(object);
        assert_eq!(
            (tools::api_group(object).as_str(), key.kind.as_str()),
            ("kustomize.toolkit.fluxcd.io", "Kustomization"),
            "{context}: kustomizations.yaml holds only Flux Kustomizations, found {key}"
        );
        names.insert(key.name.clone());
    }
    // ... and one for the control plane's prometheus-crds/ folder.
    let expected: BTreeSet<String> = components
        .iter()
        .flat_map(|c| {
            let release = STAGED.contains(c).then(|| format!("{c}-release"));
            std::iter::once(c.to_string()).chain(release)
        })
        .chain(std::iter::once("prometheus-crds".to_string()))
        .collect();
    assert_eq!(
        names, expected,
        "{context}: Flux Kustomizations in kustomizations.yaml"
    );
    for object in &kustomizations {
        let key = tools::key(object);
        let spec = object.get("spec").expect("Kustomization spec");
        let path = spec.get("path").and_then(Value::as_str);
        let folder = kustomization_folder(&key.name);
        assert_eq!(
            path,
            Some(format!("{flux_path}/{folder}").as_str()),
            "{context}: spec.path of {key}"
        );
        assert!(
            tree.keys().any(|p| p.starts_with(&format!("{folder}/"))),
            "{context}: {key} points at folder {folder}/, which holds no files"
        );
        let source = spec.get("sourceRef").expect("sourceRef");
        assert_eq!(
            (
                source.get("kind").and_then(Value::as_str),
                source.get("name").and_then(Value::as_str),
                source.get("namespace").and_then(Value::as_str)
            ),
            (
                Some("GitRepository"),
                Some("flux-system"),
                Some("flux-system")
            ),
            "{context}: sourceRef of {key}"
        );
        for dependency in spec
            .get("dependsOn")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let name = dependency.get("name").and_then(Value::as_str).unwrap_or("");
            assert!(
                names.contains(name),
                "{context}: {key} depends on Kustomization {name:?}, which is not generated \
                 (Flux would wait for it forever)"
            );
        }
        // Objects in the folder live in the namespace Flux forces on them.
        if let Some(target) = spec.get("targetNamespace").and_then(Value::as_str) {
            let prefix = format!("{folder}/");
            for path in tree.keys().filter(|p| p.starts_with(&prefix)) {
                for object in objects_in(tree, path) {
                    let inner = tools::key(&object);
                    // kustomization.yaml is kustomize's config, not an object in the namespace.
                    let tool_config = tools::api_group(&object) == "kustomize.config.k8s.io";
                    if !tools::is_cluster_scoped(&object) && !tool_config {
                        assert_eq!(
                            inner.namespace, target,
                            "{context}: {inner} in {path} is not in the targetNamespace of {key}"
                        );
                    }
                }
            }
        }
    }
}

/// Generated objects carry the ownership marks and none of the orchestrator's annotations.
fn assert_generated_objects_marked(
    tree: &Tree,
    generated: &BTreeSet<&str>,
    stack: &str,
    context: &str,
) {
    for path in generated {
        let objects = objects_in(tree, path);
        assert!(!objects.is_empty(), "{context}: {path} holds no object");
        for object in &objects {
            let key = tools::key(object);
            assert_eq!(
                tools::label(object, "app.kubernetes.io/managed-by"),
                Some("monitoring-stack"),
                "{context}: managed-by label of {key} in {path}"
            );
            assert_eq!(
                tools::annotation(object, "monitoring-stack.dev/stack"),
                Some(stack),
                "{context}: stack annotation of {key} in {path}"
            );
            let leaked: Vec<String> = object
                .get("metadata")
                .and_then(|m| m.get("annotations"))
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
                .filter_map(|(k, _)| k.as_str())
                .filter(|k| {
                    k.starts_with("internal.config.kubernetes.io/")
                        || *k == "config.kubernetes.io/path"
                        || *k == "config.kubernetes.io/index"
                        || *k == "config.k8s.io/id"
                })
                .map(str::to_string)
                .collect();
            assert!(
                leaked.is_empty(),
                "{context}: {key} in {path} was written with orchestrator annotations {leaked:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// kpt fn render

#[test]
fn render_writes_the_flux_tree() {
    if !kpt_available("render_writes_the_flux_tree") {
        return;
    }
    let tmp = TempDir::new("kpt-render-tree");
    let dir = new_package(&tmp);
    let run = render(&dir);
    let tree = tools::snapshot(&dir);
    let user_files = ["Kptfile", STACK_FILE, "apps/configmap.yaml"];
    let generated = generated_paths(&tree, &user_files);

    assert_required_files(&tree, "after render");
    assert_only_known_locations(&generated, "after render");
    assert_generated_objects_marked(&tree, &generated, "main", "after render");
    assert_flux_tree_consistent(&tree, COMPONENTS, FLUX_PATH, "after render");
    for file in user_files {
        assert!(tree.contains_key(file), "{file} was deleted by the render");
    }

    // The CLI's --output-dir writes exactly the files kpt wrote, byte for byte.
    let cli = cli_tree(&tmp, &dir.join(STACK_FILE));
    let kpt: Tree = tree
        .iter()
        .filter(|(path, _)| generated.contains(path.as_str()))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    let diff = tools::tree_diff(&cli, &kpt);
    assert!(
        diff.is_empty(),
        "kpt's files (+) differ from `render --output-dir` (-):\n{diff}\nkpt output:\n{}",
        run.stderr
    );
}

#[test]
fn second_render_changes_no_byte() {
    if !kpt_available("second_render_changes_no_byte") {
        return;
    }
    let tmp = TempDir::new("kpt-render-idempotent");
    let dir = new_package(&tmp);
    render(&dir);
    let first = tools::snapshot(&dir);
    let run = render(&dir);
    let second = tools::snapshot(&dir);
    let diff = tools::tree_diff(&first, &second);
    assert!(
        diff.is_empty(),
        "the second render changed the package:\n{diff}\nkpt output:\n{}",
        run.report()
    );
}

#[test]
fn render_keeps_package_files_their_data_and_comments() {
    if !kpt_available("render_keeps_package_files_their_data_and_comments") {
        return;
    }
    let tmp = TempDir::new("kpt-render-user-files");
    let dir = new_package(&tmp);
    let originals = [
        ("Kptfile", kptfile()),
        (STACK_FILE, stack_yaml()),
        ("apps/configmap.yaml", APP_CONFIGMAP.to_string()),
    ];
    assert!(
        comments(&originals[1].1).len() == 2 && comments(APP_CONFIGMAP).len() == 4,
        "fixture: the stack should carry two comments (schema modeline, description) and the ConfigMap four"
    );
    for round in 1..=2 {
        render(&dir);
        for (path, original) in &originals {
            assert_same_data_and_comments(&dir, path, original, &format!("render #{round}"));
        }
    }
}

/// Unrelated files in kubectl's own style must come back byte for byte: nothing in them needs
/// quoting for a YAML 1.1 reader, so a faithful pass-through changes nothing.
#[test]
fn render_keeps_kubectl_style_files_byte_identical() {
    if !kpt_available("render_keeps_kubectl_style_files_byte_identical") {
        return;
    }
    let tmp = TempDir::new("kpt-render-kubectl-files");
    let dir = new_package(&tmp);
    for (path, content) in KUBECTL_FILES {
        tools::write_file(&dir.join(path), content);
    }
    render(&dir);
    let mut changed = String::new();
    for (path, content) in KUBECTL_FILES {
        let now = tools::read_text(&dir.join(path));
        if now != *content {
            changed.push_str(&format!(
                "{path} (- written, + after render):\n{}",
                tools::text_diff(content, &now)
            ));
        }
    }
    assert!(
        changed.is_empty(),
        "kubectl-style files were rewritten by the render:\n{changed}"
    );
}

#[test]
fn disabling_a_component_prunes_its_files_and_reenabling_restores_them() {
    if !kpt_available("disabling_a_component_prunes_its_files_and_reenabling_restores_them") {
        return;
    }
    let tmp = TempDir::new("kpt-render-disable");
    let dir = new_package(&tmp);
    let stack = dir.join(STACK_FILE);
    render(&dir);
    let first = tools::snapshot(&dir);
    assert!(
        first.keys().any(|p| p.starts_with("loki/")),
        "the first render wrote no loki/ files"
    );

    // Disable loki (edit the file as kpt left it).
    let text = tools::read_text(&stack);
    tools::write_file(
        &stack,
        tools::replace_once(&text, "\n  loki:\n", "\n  loki:\n    enabled: false\n"),
    );
    render(&dir);
    let disabled = tools::snapshot(&dir);
    let left: Vec<&String> = disabled.keys().filter(|p| p.starts_with("loki/")).collect();
    assert!(
        left.is_empty(),
        "files of the disabled component remain: {left:?}"
    );
    let kustomizations = objects_in(&disabled, "kustomizations.yaml");
    assert!(
        !kustomizations.iter().any(|k| tools::key(k).name == "loki"),
        "the Flux Kustomization loki is still in kustomizations.yaml"
    );
    let remaining: Vec<&str> = COMPONENTS
        .iter()
        .copied()
        .filter(|c| *c != "loki")
        .collect();
    assert_flux_tree_consistent(&disabled, &remaining, FLUX_PATH, "loki disabled");
    for file in ["Kptfile", "apps/configmap.yaml"] {
        assert_eq!(
            first.get(file),
            disabled.get(file),
            "{file} changed when loki was disabled"
        );
    }
    let generated = generated_paths(&disabled, &["Kptfile", STACK_FILE, "apps/configmap.yaml"]);
    assert_only_known_locations(&generated, "loki disabled");
    for component in &remaining {
        assert!(
            disabled.contains_key(&format!("{component}/namespace.yaml")),
            "{component}/namespace.yaml vanished when loki was disabled"
        );
    }

    // Re-enable: the package is byte for byte what the first render made.
    let text = tools::read_text(&stack);
    tools::write_file(
        &stack,
        tools::replace_once(&text, "\n  loki:\n    enabled: false\n", "\n  loki:\n"),
    );
    render(&dir);
    let restored = tools::snapshot(&dir);
    tools::assert_trees_equal(
        &first,
        &restored,
        "after re-enabling loki (vs first render)",
    );
}

#[test]
fn invalid_stack_fails_the_render_and_leaves_the_package_untouched() {
    if !kpt_available("invalid_stack_fails_the_render_and_leaves_the_package_untouched") {
        return;
    }
    let tmp = TempDir::new("kpt-render-invalid");
    let dir = new_package(&tmp);
    render(&dir); // a package with generated files, so a wrong prune would show
    let stack = dir.join(STACK_FILE);
    let text = tools::read_text(&stack);
    let loki_at = text
        .find("\n  loki:\n")
        .expect("spec.loki in the stack file");
    let (head, loki) = text.split_at(loki_at);
    // The `retention:` line inside the loki block (lines indented deeper than `  loki:`).
    let retention = loki
        .lines()
        .skip(2)
        .take_while(|l| l.is_empty() || l.starts_with("    "))
        .find(|l| l.starts_with("    retention:"))
        .expect("spec.loki.retention in the stack file");
    let broken = format!(
        "{head}{}",
        loki.replacen(retention, "    retention: thirty", 1)
    );
    tools::write_file(&stack, &broken);
    let before = tools::snapshot(&dir);

    let run = tools::run_fails(
        Command::new("kpt")
            .args(["fn", "render", "--allow-exec"])
            .arg(&dir),
    );
    assert!(
        run.output().contains("spec.loki.retention"),
        "the failure does not name spec.loki.retention:\n{}",
        run.report()
    );
    let after = tools::snapshot(&dir);
    tools::assert_trees_equal(&before, &after, "after the failed render");
}

// ---------------------------------------------------------------------------------------------
// kpt fn eval

const EVAL_DEPLOYMENT: &str = r#"# The web frontend.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
  labels:
    app: web # selected by the Service
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 8080
"#;

const EVAL_CONFIGMAP: &str = r#"# Application configuration.
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: apps
data:
  # a multi-line value
  config.ini: |
    [server]
    port = 8080
    debug = false

    [log]
    level = info
  mode: production # plain value
"#;

const EVAL_CR: &str = r#"apiVersion: example.com/v1
kind: Widget
metadata:
  name: gizmo
  namespace: apps
spec:
  # size of the widget
  size: 3
  colours:
  - blue
  - green
"#;

#[test]
fn eval_with_external_fn_config_keeps_unrelated_resources() {
    if !kpt_available("eval_with_external_fn_config_keeps_unrelated_resources") {
        return;
    }
    let tmp = TempDir::new("kpt-eval");
    let dir = tmp.join("cluster");
    let user_files = [
        ("deployment.yaml", EVAL_DEPLOYMENT),
        ("configmap.yaml", EVAL_CONFIGMAP),
        ("crs/widget.yaml", EVAL_CR),
    ];
    for (path, content) in user_files {
        tools::write_file(&dir.join(path), content);
    }
    let stack = tmp.join("stack.yaml");
    tools::write_file(&stack, tools::seed());
    let eval = || {
        tools::run_ok(
            Command::new("kpt")
                .args(["fn", "eval"])
                .arg(&dir)
                .arg("--exec")
                .arg(tools::binary())
                .arg("--fn-config")
                .arg(&stack),
        )
    };

    eval();
    let tree = tools::snapshot(&dir);
    for (path, content) in user_files {
        assert_same_data_and_comments(&dir, path, content, "after kpt fn eval");
    }
    let user_paths: Vec<&str> = user_files.iter().map(|(p, _)| *p).collect();
    let generated = generated_paths(&tree, &user_paths);
    assert_required_files(&tree, "after kpt fn eval");
    assert_only_known_locations(&generated, "after kpt fn eval");
    assert_generated_objects_marked(&tree, &generated, "main", "after kpt fn eval");

    // Same files as the CLI writes for this stack.
    let cli = cli_tree(&tmp, &stack);
    let written: Tree = tree
        .iter()
        .filter(|(path, _)| generated.contains(path.as_str()))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    let diff = tools::tree_diff(&cli, &written);
    assert!(
        diff.is_empty(),
        "kpt fn eval's files (+) differ from `render --output-dir` (-):\n{diff}"
    );

    // A second eval is a no-op.
    eval();
    tools::assert_trees_equal(&tree, &tools::snapshot(&dir), "after a second kpt fn eval");
}

// ---------------------------------------------------------------------------------------------
// Two flux-layout stacks in one package (issue 16)

/// A stack of its own name, namespaces and `flux.path`, marked local-config.
fn named_stack(name: &str) -> String {
    monitoring_stack_testkit::packages::named_stack(name, true)
}

/// The files below `folder/`, relative to it.
fn subtree(tree: &Tree, folder: &str) -> Tree {
    tree.iter()
        .filter_map(|(path, bytes)| {
            path.strip_prefix(&format!("{folder}/"))
                .map(|p| (p.to_string(), bytes.clone()))
        })
        .collect()
}

/// Each stack's tree is complete and consistent in its own folder, its Kustomizations apply
/// `<flux.path>/<component>`, and nothing else was written.
fn assert_two_stack_trees(tree: &Tree, user_files: &[&str], context: &str) {
    for name in ["a", "b"] {
        let own = subtree(tree, name);
        let context = format!("{context}, stack {name}");
        assert_required_files(&own, &context);
        let paths: BTreeSet<&str> = own.keys().map(String::as_str).collect();
        assert_only_known_locations(&paths, &context);
        assert_generated_objects_marked(&own, &paths, name, &context);
        assert_flux_tree_consistent(
            &own,
            COMPONENTS,
            &format!(
                "{}/{name}",
                monitoring_stack_testkit::packages::PACKAGE_PATH
            ),
            &context,
        );
    }
    let stray: Vec<&String> = tree
        .keys()
        .filter(|p| {
            !user_files.contains(&p.as_str()) && !p.starts_with("a/") && !p.starts_with("b/")
        })
        .collect();
    assert!(
        stray.is_empty(),
        "{context}: files outside a/ and b/: {stray:?}"
    );
}

#[test]
fn two_flux_stacks_render_into_their_own_folders() {
    if !kpt_available("two_flux_stacks_render_into_their_own_folders") {
        return;
    }
    let tmp = TempDir::new("kpt-two-stacks");
    let dir = tmp.join("monitoring");
    tools::write_file(&dir.join("Kptfile"), kptfile());
    tools::write_file(&dir.join(STACK_FILE), named_stack("a"));
    tools::write_file(&dir.join("stack-b.yaml"), named_stack("b"));
    tools::write_file(&dir.join("apps/configmap.yaml"), APP_CONFIGMAP);
    let user_files = ["Kptfile", STACK_FILE, "stack-b.yaml", "apps/configmap.yaml"];

    let run = render(&dir);
    let tree = tools::snapshot(&dir);
    assert_two_stack_trees(&tree, &user_files, "after kpt fn render");
    assert_same_data_and_comments(&dir, "apps/configmap.yaml", APP_CONFIGMAP, "after render");

    // `render --output-dir` of both stacks writes exactly kpt's files.
    let both = tmp.join("both.yaml");
    tools::write_file(
        &both,
        format!("{}---\n{}", named_stack("a"), named_stack("b")),
    );
    let cli = cli_tree(&tmp, &both);
    let generated: Tree = tree
        .iter()
        .filter(|(path, _)| !user_files.contains(&path.as_str()))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    let diff = tools::tree_diff(&cli, &generated);
    assert!(
        diff.is_empty(),
        "kpt's files (+) differ from `render --output-dir` (-):\n{diff}\nkpt output:\n{}",
        run.stderr
    );

    // A second render changes nothing.
    render(&dir);
    tools::assert_trees_equal(&tree, &tools::snapshot(&dir), "after a second render");

    // kpt fn eval with stack a from outside and stack b in the package: the same files.
    let eval_dir = tmp.join("eval");
    tools::write_file(&eval_dir.join("stack-b.yaml"), named_stack("b"));
    tools::write_file(&eval_dir.join("apps/configmap.yaml"), APP_CONFIGMAP);
    let config = tmp.join("stack-a.yaml");
    tools::write_file(&config, named_stack("a"));
    tools::run_ok(
        Command::new("kpt")
            .args(["fn", "eval"])
            .arg(&eval_dir)
            .arg("--exec")
            .arg(tools::binary())
            .arg("--fn-config")
            .arg(&config),
    );
    let evaluated = tools::snapshot(&eval_dir);
    let eval_user_files = ["stack-b.yaml", "apps/configmap.yaml"];
    assert_two_stack_trees(&evaluated, &eval_user_files, "after kpt fn eval");
    let written: Tree = evaluated
        .iter()
        .filter(|(path, _)| !eval_user_files.contains(&path.as_str()))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    let diff = tools::tree_diff(&cli, &written);
    assert!(
        diff.is_empty(),
        "kpt fn eval's files (+) differ from `render --output-dir` (-):\n{diff}"
    );
}
