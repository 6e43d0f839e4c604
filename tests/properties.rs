//! Property tests of the promises the function makes about everything that is not its own:
//! unrelated Kubernetes-like items (random kinds, names, nested maps and lists, multi-line
//! strings, YAML 1.1 look-alikes such as `yes`, `0755`, `12:30`, `2024-01-01`, unicode) pass
//! through semantically unchanged and in their order; a second run changes nothing, byte for
//! byte; the generated part does not depend on where the stack or the unrelated items are; and
//! pruning removes exactly the objects the stack generated before and no longer generates.
//!
//! Every run is also checked against the invariants shared with the fuzz targets
//! (`testkit/src/invariants.rs`). Case counts are small so the file runs in seconds in debug; the
//! fuzz targets do the long searches.

use monitoring_stack_testkit::invariants;

use monitoring_stack::yaml;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_yaml_ng::{Mapping, Value};

/// Strings that YAML 1.1 or 1.2 readers (go-yaml, PyYAML) would take for something else, and
/// other text a writer must get right.
const TRICKY: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    "True",
    "NULL",
    "~",
    "0755",
    "0o17",
    "0x1F",
    "1e3",
    "1_000",
    "12:30",
    "1:30:00",
    "2024-01-01",
    "2024-01-01T12:00:00Z",
    ".inf",
    "-.inf",
    ".nan",
    "+1",
    "-0",
    "",
    " ",
    " leading",
    "trailing ",
    "a: b",
    "a #b",
    "#x",
    "- x",
    "? x",
    "-",
    "---",
    "...",
    "@x",
    "`x`",
    "%x",
    "!x",
    "&x",
    "*x",
    "{x}",
    "[x]",
    "'q'",
    "\"dq\"",
    "back\\slash",
    "multi\nline\n",
    "multi\nline",
    "\nleading newline",
    "trailing\n\n",
    "tab\tin",
    "\ttab",
    "crlf\r\nx",
    "ü日本🎉",
    "zero\u{200b}width",
    "nel\u{85}x",
    "ls\u{2028}x",
    "bom\u{feff}x",
    "${VAR}",
    "$${VAR}",
    "{{ .Values.x }}",
    "80-8080",
    "30d",
    "--port",
    "1.2.3",
    "k=v",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(TRICKY).prop_map(String::from),
        2 => "[a-zA-Z0-9 :#,.\\-_/'\"\\n]{0,16}",
        1 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => text().prop_map(Value::String),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(|n| Value::Number(n.into())),
        1 => any::<u64>().prop_map(|n| Value::Number(n.into())),
        1 => prop::num::f64::NORMAL.prop_map(|f| Value::Number(f.into())),
        1 => Just(Value::Null),
    ]
}

fn mapping_of(value: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    prop::collection::vec((text(), value), 0..4).prop_map(|entries| {
        Value::Mapping(Mapping::from_iter(
            entries.into_iter().map(|(k, v)| (Value::String(k), v)),
        ))
    })
}

/// Nested data: maps and lists of scalars, three levels deep at most.
fn data() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
            mapping_of(inner),
        ]
    })
}

fn string_map() -> impl Strategy<Value = Value> {
    mapping_of(text().prop_map(Value::String))
}

/// An object that is not the function's: random identity, labels, annotations (with the
/// orchestrator's own ones) and data. Names start with `user-`, so they never collide with a
/// generated object.
fn unrelated() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(&["v1", "apps/v1", "batch/v1", "example.com/v1beta1"][..]),
        prop::sample::select(&["ConfigMap", "Deployment", "Secret", "Widget", "Namespace"][..]),
        "user-[a-z0-9]{1,8}",
        prop::option::of(prop::sample::select(
            &["default", "apps", "loki", "monitoring"][..],
        )),
        string_map(),
        string_map(),
        prop::option::of("[a-z]{1,6}/[a-z]{1,6}\\.yaml"),
        data(),
    )
        .prop_map(
            |(api_version, kind, name, namespace, labels, annotations, path, data)| {
                let mut metadata = Mapping::new();
                metadata.insert("name".into(), name.into());
                if let Some(namespace) = namespace {
                    metadata.insert("namespace".into(), namespace.into());
                }
                metadata.insert("labels".into(), labels);
                let mut annotations = annotations.as_mapping().cloned().unwrap_or_default();
                if let Some(path) = path {
                    annotations.insert("internal.config.kubernetes.io/path".into(), path.into());
                    annotations.insert("internal.config.kubernetes.io/id".into(), "7".into());
                }
                metadata.insert("annotations".into(), Value::Mapping(annotations));
                let mut object = Mapping::new();
                object.insert("apiVersion".into(), api_version.into());
                object.insert("kind".into(), kind.into());
                object.insert("metadata".into(), Value::Mapping(metadata));
                object.insert("data".into(), data);
                Value::Mapping(object)
            },
        )
}

fn example(path: &str) -> Value {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("example");
    serde_yaml_ng::from_str(&text).expect("example YAML")
}

/// A small stack (two exporters and the CRDs): quick to expand, so properties about the items
/// around it can run many cases.
fn small_stack() -> Value {
    serde_yaml_ng::from_str(
        "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: main\nspec:\n  grafanaOperator: {enabled: false}\n  grafana: {enabled: false}\n  loki: {enabled: false}\n  mimir: {enabled: false}\n  alloyOperator: {enabled: false}\n  alloy: {enabled: false}\n",
    )
    .expect("stack")
}

const EXAMPLES: &[&str] = &[
    "krm/examples/minimal.yaml",
    "krm/examples/seed.yaml",
    "krm/examples/collectors-custom.yaml",
    "krm/examples/collectors-full.yaml",
    "krm/examples/collectors-logs-only.yaml",
    "krm/examples/collectors-metrics-only.yaml",
    "krm/examples/grafana-alerting.yaml",
    "krm/examples/grafana-httproute.yaml",
    "krm/examples/grafana-ingress.yaml",
    "krm/examples/grafana-no-oidc.yaml",
    "krm/kustomize/legacy-plugin/stack.yaml",
    "krm/examples/edge.yaml",
    "krm/examples/central.yaml",
    "krm/examples/destinations.yaml",
];

/// An example as the stack `main` (the pruning property moves one stack between examples,
/// roles included).
fn example_as_main(path: &str) -> Value {
    let mut stack = example(path);
    stack["metadata"]["name"] = Value::from("main");
    stack
}

fn list(items: Vec<Value>, config: Option<Value>) -> String {
    let mut list = Mapping::new();
    list.insert("apiVersion".into(), "config.kubernetes.io/v1".into());
    list.insert("kind".into(), "ResourceList".into());
    list.insert("items".into(), Value::Sequence(items));
    if let Some(config) = config {
        list.insert("functionConfig".into(), config);
    }
    yaml::to_string(&Value::Mapping(list))
}

fn items_of(list: &Value) -> Vec<Value> {
    invariants::sequence(list, "items")
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// Unrelated items come back first, in their order, with the same data and annotations;
    /// a second run on the output changes nothing (checked inside `invariants::check`).
    #[test]
    fn unrelated_items_pass_through_unchanged(
        items in prop::collection::vec(unrelated(), 0..6),
        as_item in any::<bool>(),
        at in any::<prop::sample::Index>(),
    ) {
        let stack = small_stack();
        let mut all = items.clone();
        let input = if as_item {
            all.insert(at.index(items.len() + 1), stack);
            list(all.clone(), None)
        } else {
            list(all.clone(), Some(stack))
        };
        let (output, out) = invariants::check(input.as_bytes());
        prop_assert!(!output.failed, "{}", output.stderr);
        let out_items = items_of(&out);
        // Read back from the text the orchestrator sends: the same values.
        let sent = items_of(&serde_yaml_ng::from_str(&input).expect("input"));
        prop_assert_eq!(&out_items[..sent.len()], &sent[..]);
        prop_assert_eq!(&sent, &all);
        prop_assert!(out_items.len() > sent.len(), "nothing generated");
    }

    /// The generated part is the same wherever the stack and the unrelated items are; the
    /// unrelated items keep the order they were given in.
    #[test]
    fn output_does_not_depend_on_the_order_of_unrelated_items(
        items in prop::collection::vec(unrelated(), 1..6),
        shuffled in any::<u64>(),
        at in any::<prop::sample::Index>(),
    ) {
        let stack = small_stack();
        let mut reordered = items.clone();
        // A deterministic shuffle from the case's random number.
        let mut seed = shuffled;
        for i in (1..reordered.len()).rev() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            reordered.swap(i, (seed >> 33) as usize % (i + 1));
        }
        let mut with_stack = reordered.clone();
        with_stack.insert(at.index(reordered.len() + 1), stack.clone());

        let (first, first_list) = invariants::check(list(items.clone(), Some(stack)).as_bytes());
        let (second, second_list) = invariants::check(list(with_stack.clone(), None).as_bytes());
        prop_assert!(!first.failed && !second.failed);
        let first_items = items_of(&first_list);
        let second_items = items_of(&second_list);
        prop_assert_eq!(&first_items[..items.len()], &items[..]);
        prop_assert_eq!(&second_items[..with_stack.len()], &with_stack[..]);
        prop_assert_eq!(&first_items[items.len()..], &second_items[with_stack.len()..]);
        prop_assert_eq!(first_list.get("results"), second_list.get("results"));
    }
}

/// Foreign objects a run must never remove: another stack's, one without the managed-by label,
/// one managed by another tool, one with neither mark.
fn foreign_objects() -> Vec<Value> {
    let object = |name: &str, labels: &str, annotations: &str| -> Value {
        serde_yaml_ng::from_str(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: loki\n  labels: {labels}\n  annotations: {annotations}\ndata:\n  x: \"1\"\n"
        ))
        .expect("object")
    };
    vec![
        object(
            "foreign-other-stack",
            "{app.kubernetes.io/managed-by: monitoring-stack}",
            "{monitoring-stack.dev/stack: other}",
        ),
        object(
            "foreign-no-label",
            "{}",
            "{monitoring-stack.dev/stack: main}",
        ),
        object(
            "foreign-other-tool",
            "{app.kubernetes.io/managed-by: helm}",
            "{monitoring-stack.dev/stack: main}",
        ),
        object("foreign-unmarked", "{}", "{}"),
    ]
}

proptest! {
    #![proptest_config(config(6))]

    /// From the output of one example to the next (same stack, another spec): the objects the
    /// first generated and the second does not are gone, the second's are there, and every
    /// foreign object (another stack's, without the label, another tool's) is untouched.
    #[test]
    fn pruning_removes_exactly_what_is_no_longer_generated(
        before in prop::sample::select(EXAMPLES),
        after in prop::sample::select(EXAMPLES),
        users in prop::collection::vec(unrelated(), 0..3),
    ) {
        let mut items = users.clone();
        items.extend(foreign_objects());
        let (first, first_list) = invariants::check(list(items, Some(example_as_main(before))).as_bytes());
        prop_assert!(!first.failed, "{}", first.stderr);
        let previous = items_of(&first_list);

        let input = list(previous.clone(), Some(example_as_main(after)));
        let (second, second_list) = invariants::check(input.as_bytes());
        prop_assert!(!second.failed, "{}", second.stderr);
        invariants::check_prune(input.as_bytes(), &second);

        let out = items_of(&second_list);
        let fresh = items_of(&invariants::check(list(users.clone(), Some(example_as_main(after))).as_bytes()).1);
        let key = |o: &Value| format!(
            "{}/{}/{}/{}",
            o.get("apiVersion").and_then(Value::as_str).unwrap_or_default(),
            o.get("kind").and_then(Value::as_str).unwrap_or_default(),
            o.get("metadata").and_then(|m| m.get("namespace")).and_then(Value::as_str).unwrap_or_default(),
            o.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or_default(),
        );
        let stacks = vec!["main".to_string()];
        let owned_keys = |items: &[Value]| -> std::collections::BTreeSet<String> {
            items.iter().filter(|o| invariants::owned_by(o, &stacks)).map(key).collect()
        };
        // Owned objects after the second run: exactly what `after` generates from scratch.
        prop_assert_eq!(owned_keys(&out), owned_keys(&fresh));
        // What `before` generated and `after` does not: gone.
        for gone in owned_keys(&previous).difference(&owned_keys(&fresh)) {
            prop_assert!(!out.iter().any(|o| key(o) == *gone), "{} was not pruned", gone);
        }
        // Foreign and user objects: all there, unchanged, in their order, first.
        let mut kept = users.clone();
        kept.extend(foreign_objects());
        prop_assert_eq!(&out[..kept.len()], &kept[..]);
    }
}

/// Tagged items and other unusual but valid nodes pass through as well.
#[test]
fn unusual_nodes_pass_through() {
    let text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- !Thing {apiVersion: v1, kind: ConfigMap, metadata: {name: user-t}}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: user-keys}\n  data: {1: one, true: t, null: n, 1.5: f, \"\": e, ? [complex, key] : v}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: user-big}\n  data: {n: 100000000000000000000, m: -100000000000000000000}\nfunctionConfig:\n  apiVersion: monitoring-stack.dev/v1alpha1\n  kind: MonitoringStack\n  metadata: {name: main}\n  spec: {grafana: {enabled: false}}\n";
    let (output, _) = invariants::check(text.as_bytes());
    assert!(!output.failed, "{}", output.stderr);
}

/// The `spec` fuzz target's checks hold for every example (flat layout too), and they catch
/// what they are there for: a lost ownership mark, a duplicate identity, a workload object in
/// the control-plane namespace, an escaping file path.
#[test]
fn expansion_invariants_hold_for_the_examples_and_catch_violations() {
    use monitoring_stack::{spec, stack};
    let expand = |object: &Value| {
        let parsed = spec::parse_stack(object).expect("example stack");
        let generated = stack::expand(&parsed);
        (parsed, generated)
    };
    for path in EXAMPLES {
        let mut object = example(path);
        let (parsed, generated) = expand(&object);
        invariants::check_expansion(&parsed, &generated);
        object["spec"]["layout"] = Value::from("flat");
        let (parsed, generated) = expand(&object);
        invariants::check_expansion(&parsed, &generated);
    }

    let (parsed, generated) = expand(&example("krm/examples/seed.yaml"));
    let broken = |change: &dyn Fn(&mut Vec<stack::Generated>)| {
        let mut objects = generated.clone();
        change(&mut objects);
        std::panic::catch_unwind(|| invariants::check_expansion(&parsed, &objects)).is_err()
    };
    let last = generated.len() - 1;
    assert!(broken(&|o| {
        o[last].object["metadata"]["labels"] = Value::Null;
    }));
    assert!(broken(&|o| {
        let copy = o[last].clone();
        o.push(copy);
    }));
    assert!(broken(&|o| {
        o[last].object["metadata"]["namespace"] = Value::from("monitoring");
        o[last].object["apiVersion"] = Value::from("v1");
    }));
    assert!(broken(&|o| o[last].path = "../outside.yaml".into()));
    assert!(broken(&|o| o.clear()));
}

/// Rejected specs: every error names a field of the stack, and the check refuses one that
/// does not.
#[test]
fn spec_errors_name_a_field_of_the_stack() {
    for spec in [
        "{loki: {retention: forever}}",
        "{grafana: {hostname: 3}}",
        "{flux: {namespace: Bad_Name}}",
        "{alloy: {logs: {relabelRules: [{action: explode}]}}}",
        "{unknownField: 1}",
        "[]",
    ] {
        let object: Value = serde_yaml_ng::from_str(&format!(
            "{{apiVersion: monitoring-stack.dev/v1alpha1, kind: MonitoringStack, metadata: {{name: main}}, spec: {spec}}}"
        ))
        .expect("stack");
        let errors = monitoring_stack::spec::parse_stack(&object).expect_err(spec);
        invariants::check_spec_errors(&errors);
    }
    let stray = monitoring_stack::spec::SpecError {
        path: "items[0]".into(),
        message: "x".into(),
    };
    assert!(std::panic::catch_unwind(|| invariants::check_spec_errors(&[stray])).is_err());
    assert!(std::panic::catch_unwind(|| invariants::check_spec_errors(&[])).is_err());
}

/// Every input that once broke an invariant (fuzz findings, minimised) keeps them now.
#[test]
fn fuzz_regressions_keep_the_invariants() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions") {
        let path = entry.expect("entry").path();
        let input = std::fs::read(&path).expect("regression input");
        let result = std::panic::catch_unwind(|| {
            invariants::check(&input);
            // The `spec` target's findings: each stack of the input that is accepted must
            // expand cleanly.
            let parsed = invariants::read_input(&input).expect("a ResourceList");
            for stack in parsed.function_config.iter().chain(&parsed.items) {
                if let Ok(stack) = monitoring_stack::spec::parse_stack(stack) {
                    invariants::check_expansion(&stack, &monitoring_stack::stack::expand(&stack));
                }
            }
        });
        assert!(
            result.is_ok(),
            "{} breaks an invariant again",
            path.display()
        );
        count += 1;
    }
    assert!(count > 0, "no regression inputs in {}", dir.display());
}

/// Fuzz finding (process_bytes): a literal block scalar that ends the input without a final
/// line break read as "…\n" on the fast path's copy; its value must stay as parsed.
#[test]
fn block_scalar_at_the_very_end_keeps_its_value() {
    let text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: user-script\n  data:\n    script: |\n      line one\n      line two";
    let (_, out) = invariants::check(text.as_bytes());
    let items = items_of(&out);
    assert_eq!(
        items[0]["data"]["script"].as_str(),
        Some("line one\nline two")
    );
}

// ---------------------------------------------------------------------------------------------
// The output directory (`render --output-dir`): whatever state it is in, no file of the user's
// is lost or changed and nothing is written outside the tree.

/// What a path of the tree holds before the render.
#[derive(Debug, Clone, Copy)]
enum Entry {
    /// A file of the user's, without the ownership marks.
    UserFile,
    /// The user's file that only mentions the marks (in a comment), and is no YAML we own.
    UserFileMentioningMarks,
    /// This render's file, hand-edited (still carrying the marks).
    EditedOwned,
    /// This render's file with invalid UTF-8 appended (the marks intact).
    DamagedOwned,
    /// A link to a folder outside the tree.
    LinkOutside,
    /// A link to a file outside the tree.
    LinkToOutsideFile,
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        Just(Entry::UserFile),
        Just(Entry::UserFileMentioningMarks),
        Just(Entry::EditedOwned),
        Just(Entry::DamagedOwned),
        Just(Entry::LinkOutside),
        Just(Entry::LinkToOutsideFile),
    ]
}

fn rendered_files() -> &'static std::collections::BTreeMap<String, String> {
    static FILES: std::sync::OnceLock<std::collections::BTreeMap<String, String>> =
        std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let stack = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/minimal.yaml"),
        )
        .expect("example");
        let objects = monitoring_stack::render(&stack).expect("renders");
        monitoring_stack::output_dir::files(&objects)
    })
}

/// Every entry below `root` without following links: path → file bytes, or `link -> target`,
/// or `dir`.
fn snapshot(root: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .expect("below")
                .to_string_lossy()
                .into_owned();
            let kind = entry.file_type().expect("type");
            if kind.is_symlink() {
                let target = std::fs::read_link(&path).expect("link");
                found.insert(
                    relative,
                    format!("link -> {}", target.display()).into_bytes(),
                );
            } else if kind.is_dir() {
                found.insert(relative, b"dir".to_vec());
                pending.push(path);
            } else {
                found.insert(relative, std::fs::read(&path).expect("file"));
            }
        }
    }
    found
}

fn property_dir(name: &str) -> std::path::PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "monitoring-stack-prop-{}-{name}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

proptest! {
    #![proptest_config(config(40))]

    /// Random states of an output directory that was rendered before (some files missing, some
    /// edited, damaged, replaced by the user's own files or by links out of the tree, user files
    /// beside them): a render either brings every generated path up to date or refuses and
    /// changes nothing; no user file is ever changed or removed, and nothing outside the tree
    /// changes. `--check`'s plan never changes anything either.
    #[cfg(unix)]
    #[test]
    fn output_directory_never_loses_a_user_file_or_writes_outside(
        rendered_before in any::<bool>(),
        states in prop::collection::vec((0usize..64, entry()), 0..6),
        extra_user_files in prop::collection::vec(("[a-z]{1,8}", prop::bool::ANY), 0..3),
    ) {
        let files = rendered_files();
        let paths: Vec<&String> = files.keys().collect();
        let base = property_dir("out");
        let tree = base.join("tree");
        let outside = base.join("outside");
        std::fs::create_dir_all(outside.join("folder")).expect("outside");
        std::fs::write(outside.join("file.yaml"), "# outside\n").expect("outside");
        std::fs::create_dir_all(&tree).expect("tree");
        if rendered_before {
            for (path, content) in files {
                let target = tree.join(path);
                std::fs::create_dir_all(target.parent().expect("parent")).expect("folder");
                std::fs::write(&target, content).expect("write");
            }
        }
        // Paths whose final state the render must not decide: the user's.
        let mut users: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        // A later state of the same path replaces an earlier one: only the last counts.
        let mut refusing: std::collections::BTreeMap<&str, bool> = std::collections::BTreeMap::new();
        for (index, state) in &states {
            let path = paths[index % paths.len()];
            let target = tree.join(path);
            let parent = target.parent().expect("parent").to_path_buf();
            // A later state replaces an earlier one, a folder made a link included: the link
            // goes, and the paths below it are absent again (nothing of theirs to refuse).
            if parent != tree
                && std::fs::symlink_metadata(&parent).is_ok_and(|m| m.file_type().is_symlink())
            {
                let _ = std::fs::remove_file(&parent);
                let folder = format!("{}/", parent.strip_prefix(&tree).expect("below").display());
                for (below, refuse) in refusing.iter_mut() {
                    if below.starts_with(&folder) {
                        *refuse = false;
                    }
                }
            }
            let _ = std::fs::create_dir_all(&parent);
            let _ = std::fs::remove_file(&target);
            let _ = std::fs::remove_dir_all(&target);
            let written = match state {
                Entry::UserFile => std::fs::write(&target, "# mine\nkey: value\n").map(|()| true),
                Entry::UserFileMentioningMarks => std::fs::write(
                    &target,
                    "# app.kubernetes.io/managed-by: monitoring-stack\n# monitoring-stack.dev/stack: main\nmine: true\n",
                )
                .map(|()| true),
                Entry::EditedOwned => std::fs::write(
                    &target,
                    files[path].replace("interval: 10m", "interval: 1h") + "# edited\n",
                )
                .map(|()| false),
                Entry::DamagedOwned => {
                    let mut bytes = files[path].clone().into_bytes();
                    bytes.extend_from_slice(b"\xff\xfe\x00broken: [");
                    std::fs::write(&target, bytes).map(|()| false)
                }
                Entry::LinkOutside => {
                    // The generated file's folder (or the file, at the root) becomes a link.
                    let (link, to) = if parent == tree {
                        (target.clone(), outside.join("file.yaml"))
                    } else {
                        let _ = std::fs::remove_dir_all(&parent);
                        (parent.clone(), outside.join("folder"))
                    };
                    std::os::unix::fs::symlink(&to, &link).map(|()| true)
                }
                Entry::LinkToOutsideFile => {
                    std::os::unix::fs::symlink(outside.join("file.yaml"), &target).map(|()| true)
                }
            };
            refusing.insert(path.as_str(), matches!(written, Ok(true)));
        }
        let must_refuse = refusing.values().any(|refuse| *refuse);
        for (name, nested) in &extra_user_files {
            let path = if *nested { format!("user/{name}.yaml") } else { format!("{name}.yaml") };
            let target = tree.join(&path);
            if std::fs::symlink_metadata(target.parent().expect("parent")).is_ok_and(|m| m.file_type().is_symlink()) {
                continue;
            }
            let _ = std::fs::create_dir_all(target.parent().expect("parent"));
            if std::fs::write(&target, format!("# the user's {name}\n")).is_ok() {
                users.insert(path);
            }
        }
        // Every user file and link as it is now.
        let before = snapshot(&tree);
        let outside_before = snapshot(&outside);
        let user_entries: Vec<(String, Vec<u8>)> = before
            .iter()
            .filter(|(path, bytes)| {
                users.contains(*path)
                    || bytes.starts_with(b"link -> ")
                    || bytes.starts_with(b"# mine")
                    || bytes.starts_with(b"# app.kubernetes.io")
            })
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();

        let objects = {
            let stack = std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/minimal.yaml"),
            )
            .expect("example");
            monitoring_stack::render(&stack).expect("renders")
        };
        let plan = monitoring_stack::output_dir::plan(&tree, &objects).expect("plan");
        prop_assert_eq!(&snapshot(&tree), &before, "planning changed the tree");
        prop_assert_eq!(plan.refused.is_empty(), !must_refuse, "{:?}", plan.refused);

        let result = monitoring_stack::output_dir::write_tree(&tree, &objects);
        let after = snapshot(&tree);
        prop_assert_eq!(&snapshot(&outside), &outside_before, "something was written outside the tree");
        for (path, bytes) in &user_entries {
            prop_assert_eq!(after.get(path), Some(bytes), "the user's {} changed or is gone", path);
        }
        if must_refuse {
            prop_assert!(result.is_err(), "a refusing plan was applied");
            prop_assert_eq!(&after, &before, "a refused render changed the tree");
        } else {
            prop_assert!(result.is_ok(), "{:?}", result.err());
            for (path, content) in files {
                prop_assert_eq!(after.get(path.as_str()), Some(&content.clone().into_bytes()), "{} not repaired", path);
            }
            let again = monitoring_stack::output_dir::plan(&tree, &objects).expect("plan");
            prop_assert!(again.is_clean(), "a second plan is not clean: {:?}", again);
        }
        let _ = std::fs::remove_dir_all(&base);
    }
}

// ---------------------------------------------------------------------------------------------
// grafana.ini: every string the spec lets through survives the text format it lands in.

/// grafana.ini as go-ini reads what the operator writes (`key = value` lines, unescaped):
/// lines trimmed, `#`/`;` lines and inline comments dropped, `[section]` headers, `"""..."""`
/// and backquoted values read as quoted, a value wrapped in one pair of `"` or `'` unwrapped.
fn go_ini(
    text: &str,
) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> {
    let mut sections: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, String>,
    > = std::collections::BTreeMap::new();
    let mut section = "DEFAULT".to_string();
    for line in text.split(['\n', '\r']) {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            section = name
                .split(']')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            sections.entry(section.clone()).or_default();
            continue;
        }
        let Some(at) = line.find(['=', ':']) else {
            continue;
        };
        let key = line[..at].trim().to_string();
        let rest = line[at + 1..].trim();
        let value = if let Some(quoted) = rest.strip_prefix("\"\"\"") {
            quoted
                .split("\"\"\"")
                .next()
                .unwrap_or_default()
                .to_string()
        } else if let Some(quoted) = rest.strip_prefix('`') {
            quoted.split('`').next().unwrap_or_default().to_string()
        } else {
            let cut = rest.split(['#', ';']).next().unwrap_or_default().trim();
            let surrounded = |q: char| {
                cut.len() >= 2
                    && cut.starts_with(q)
                    && cut.ends_with(q)
                    && cut[1..].find(q) == Some(cut.len() - 2)
            };
            if surrounded('"') || surrounded('\'') {
                cut[1..cut.len() - 1].to_string()
            } else {
                cut.to_string()
            }
        };
        sections
            .entry(section.clone())
            .or_default()
            .insert(key, value);
    }
    sections
}

fn ini_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 ._-]{0,6}",
        prop::sample::select(vec![
            "\n",
            "\r",
            "\t",
            "#",
            ";",
            "\"",
            "'",
            "`",
            "=",
            "[",
            "]",
            "[security]",
            "$__env{X}",
            "${X}",
            "$__file{/etc/passwd}",
            "\u{0}",
            " ",
            "\"\"\"",
            "\n[auth]\ndisable_login_form = false",
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 1..5).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(config(64))]

    /// A display name (OIDC) and a grafana.config value, each random text with the characters
    /// that mean something in grafana.ini: either the spec refuses it at its field, or the
    /// grafana.ini the operator writes from the Grafana CR reads back as exactly the CR's
    /// settings, and Grafana would expand nothing in the display name.
    #[test]
    fn grafana_ini_values_survive_the_ini_reader(name in ini_text(), value in ini_text()) {
        let mut oidc = Mapping::new();
        oidc.insert("issuerUrl".into(), "https://idp.example.com/realms/main".into());
        oidc.insert("displayName".into(), name.clone().into());
        let mut server = Mapping::new();
        server.insert("x".into(), value.clone().into());
        let mut config = Mapping::new();
        config.insert("server".into(), Value::Mapping(server));
        let mut grafana = Mapping::new();
        grafana.insert("hostname".into(), "grafana.example.com".into());
        grafana.insert("oidc".into(), Value::Mapping(oidc));
        grafana.insert("config".into(), Value::Mapping(config));
        let mut spec = Mapping::new();
        spec.insert("grafana".into(), Value::Mapping(grafana));
        let stack: Value = serde_yaml_ng::from_str(
            "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: main}\n",
        )
        .expect("stack");
        let mut stack = stack;
        if let Value::Mapping(object) = &mut stack {
            object.insert("spec".into(), Value::Mapping(spec));
        }
        let text = yaml::to_string(&stack);
        let Ok(objects) = monitoring_stack::render(text.as_bytes()) else {
            return Ok(());
        };
        let cr = objects
            .iter()
            .find(|o| o.get("kind").and_then(Value::as_str) == Some("Grafana"))
            .expect("a Grafana CR");
        let settings = cr.get("spec").and_then(|s| s.get("config")).and_then(Value::as_mapping).expect("spec.config");
        let mut ini = String::new();
        let mut expected = std::collections::BTreeMap::new();
        for (section, keys) in settings {
            let section = section.as_str().expect("section name");
            ini.push_str(&format!("[{section}]\n"));
            let mut values = std::collections::BTreeMap::new();
            for (key, value) in keys.as_mapping().expect("settings") {
                let (key, value) = (key.as_str().expect("key"), value.as_str().expect("string value"));
                ini.push_str(&format!("{key} = {value}\n"));
                // `"""..."""` in grafana.config is Grafana's own quoting, on purpose.
                let meant = value
                    .strip_prefix("\"\"\"")
                    .and_then(|v| v.strip_suffix("\"\"\""))
                    .unwrap_or(value);
                values.insert(key.to_string(), meant.to_string());
            }
            expected.insert(section.to_string(), values);
        }
        let read = go_ini(&ini);
        prop_assert_eq!(&read, &expected, "grafana.ini:\n{}", ini);
        let shown = &read["auth.generic_oauth"]["name"];
        prop_assert_eq!(shown, &name);
        prop_assert!(!shown.contains("$__") && !shown.contains("${"), "{:?} would be expanded", shown);
    }
}
